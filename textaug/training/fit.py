"""The Accelerate loop: optimizer, schedule, resume, steps, validation, checkpoints, selection.

``fit`` trains the model it is given in place and returns what happened. It prints nothing but
its progress bar and writes nothing but resumable checkpoints under ``checkpoint_dir``; the model
folder, the test evaluation and the tables are other stages' work. It runs unchanged in one
process or under ``accelerate launch`` / ``torchrun`` with many.
"""

from __future__ import annotations

import json
import math
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from ..config import Select, Strategy, TrainConfig
from .batches import EncodedRows, make_loader
from .evaluation import evaluate
from .folder import WEIGHTS_FILE
from .defaults import learning_rate, num_epochs
from .objectives import Objective, StepContext, step_seed

__all__ = ["Event", "Callback", "FitResult", "fit", "read_resume_state", "param_groups", "STATE_FILE"]

STATE_FILE = "trainer_state.json"
#: Options a checkpoint need not agree on to be resumed: they do not change what is trained.
_RESUME_FREE = ("resume", "keep_checkpoints", "num_proc", "test", "test_split", "dataset_name")
#: The running loss is copied to the CPU (a device sync) every this many batches, not every one.
_SYNC_EVERY = 10


@dataclass
class Event:
    """What a callback sees. ``kind``: ``"step"`` after each optimizer step, ``"evaluation"`` after
    each validation evaluation (``metrics`` set), ``"save"`` after each checkpoint."""

    kind: str
    epoch: int
    global_step: int
    examples_seen: int
    loss: float | None  # running mean training loss of this epoch, as last synchronised
    metrics: dict[str, Any] | None = None


#: A callback returns True to stop training (the selected weights are still kept and saved).
Callback = Callable[[Event], "bool | None"]


@dataclass
class _State:
    """Progress that a checkpoint must carry besides weights, optimizer, scheduler and RNGs."""

    epoch: int = 0
    batches_done: int = 0  # per-process batches of `epoch` already trained
    global_step: int = 0
    examples_seen: int = 0
    best_step: int | None = None
    best_metrics: dict[str, Any] | None = None
    bad_evals: int = 0
    last_eval_step: int | None = None
    # this epoch's summed training loss and batch count, so a resumed epoch reports the same mean
    epoch_loss_sum: float = 0.0
    epoch_batches: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)
    stopped_early: bool = False


@dataclass
class FitResult:
    history: list[dict[str, Any]]
    #: the step whose weights were kept, and its validation metrics (None without validation)
    selected_step: int
    validation: dict[str, Any] | None
    stopped_early: bool
    stopped_by_callback: bool
    global_step: int
    examples_seen: int
    seconds: float
    #: seconds in optimizer steps only (no evaluation, no checkpoints), as Trainer counts them
    loop_seconds: float
    resumed_from_step: int | None = None

    @property
    def examples_per_second(self) -> float | None:
        return round(self.trained_examples / self.loop_seconds, 2) if self.loop_seconds > 0 else None

    trained_examples: int = 0  # examples trained in this call (a resumed run counts its part)


def param_groups(config: TrainConfig, groups: list, head: list) -> list[dict[str, Any]]:
    """AdamW groups: layer-wise decayed learning rates, no weight decay on biases and norms."""
    lr = learning_rate(config)
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


def _adamw(groups: list[dict[str, Any]], lr: float) -> torch.optim.Optimizer:
    """AdamW, fused where torch supports it (CPU and CUDA): one kernel for all parameters instead
    of a Python loop over them, which on a CPU costs a fifth of a small model's step (MiniLM:
    about 20 ms a step fused, 105 ms not)."""
    try:
        return torch.optim.AdamW(groups, lr=lr, fused=True)
    except (RuntimeError, ValueError, TypeError):  # a device or dtype the fused kernel lacks
        return torch.optim.AdamW(groups, lr=lr, foreach=True)


def _frozen(config: TrainConfig, groups: list, epoch: int) -> list[torch.nn.Parameter]:
    """Gradual unfreezing: epoch 0 trains the head; each later epoch adds `unfreeze_per_epoch`
    pretrained groups from the top. Frozen parameters get no gradient (so AdamW skips them,
    moments and weight decay included) while staying registered, which DDP requires."""
    if config.strategy is not Strategy.GRADUAL:
        return []
    open_groups = min(len(groups), epoch * config.unfreeze_per_epoch)
    return [p for g in groups[: len(groups) - open_groups] for p in g]


def _improved(config: TrainConfig, value: float, best: float | None) -> bool:
    if best is None:
        return True
    return value < best if config.metric == "loss" else value > best


def _config_key(config: TrainConfig) -> dict[str, Any]:
    data = config.to_dict()
    for name in _RESUME_FREE:
        data.pop(name, None)
    return data


def read_resume_state(config: TrainConfig, checkpoint_dir: Path) -> dict[str, Any] | None:
    """The saved progress of ``checkpoint_dir/last`` when ``config.resume`` asks for it; a
    ValueError naming the options that differ when it was written with other options. Runs
    before any model is built."""
    last = checkpoint_dir / "last"
    if not config.resume or not (last / STATE_FILE).is_file():
        return None
    saved = json.loads((last / STATE_FILE).read_text())
    key = _config_key(config)
    changed = sorted(k for k in set(saved["config"]) | set(key) if saved["config"].get(k) != key.get(k))
    if changed:
        raise ValueError(f"the checkpoint in {last} was written with different options {changed}; "
                         "resume with the same options or start without --resume")
    return saved["state"]


def fit(model: torch.nn.Module, train_rows: EncodedRows, *, config: TrainConfig, accelerator, objective: Objective,
        groups: list, head: list, pad_id: int, names: Sequence[str], validation_rows: EncodedRows | None = None,
        checkpoint_dir: Path | None, resume_state: dict[str, Any] | None = None,
        callbacks: Sequence[Callback] = (), progress: bool = True) -> FitResult:
    """Train ``model`` on ``train_rows`` as ``config`` says; select and load the kept weights.

    ``checkpoint_dir=None`` writes nothing: no resumable checkpoints, and the best weights are kept
    in memory (a CPU copy) instead of on disk. ``progress=False`` hides the progress bar.
    """
    from tqdm.auto import tqdm
    from transformers import get_linear_schedule_with_warmup

    world = accelerator.num_processes
    # The loaders' own generators keep the global RNG (dropout) untouched, which is what makes a
    # resumed run equal to an uninterrupted one.
    train_loader, sampler = make_loader(train_rows, config.batch_size, pad_id, config.seed, shuffle=True,
                                        group_by_length=config.group_by_length)
    val_loader = None
    if validation_rows is not None:
        val_loader, _ = make_loader(validation_rows, config.eval_batch_size, pad_id, config.seed, shuffle=False)

    # The budget, in this process's optimizer steps.
    batches_per_epoch = math.ceil(len(sampler) / world)
    steps_per_epoch = math.ceil(batches_per_epoch / config.grad_accum)
    total_steps = config.max_steps or steps_per_epoch * num_epochs(config)
    epochs = math.ceil(total_steps / steps_per_epoch)

    optimizer = _adamw(param_groups(config, groups, head), learning_rate(config))
    scheduler = get_linear_schedule_with_warmup(optimizer, round(config.warmup_ratio * total_steps), total_steps)
    prepared = accelerator.prepare(model, optimizer, train_loader, *([val_loader] if val_loader is not None else []))
    model, optimizer, train_loader = prepared[:3]
    val_loader = prepared[3] if val_loader is not None else None
    accelerator.register_for_checkpointing(scheduler)

    state = _State()
    if resume_state is not None:
        accelerator.load_state(str(checkpoint_dir / "last"))
        state = _State(**resume_state)
    resumed_from = state.global_step if resume_state is not None else None
    patience = config.early_stopping_patience if val_loader is not None else None
    overhead = [0.0]  # seconds spent evaluating and checkpointing, not training
    stop = [False]
    latest: list[dict[str, Any] | None] = [None]  # the last validation metrics
    best_in_memory: list[dict[str, torch.Tensor] | None] = [None]  # the best weights without a checkpoint_dir

    def emit(event: Event) -> None:
        for callback in callbacks:
            if callback(event):
                stop[0] = True

    def checkpoint(epoch: int, loss: float | None) -> None:
        if checkpoint_dir is None:  # an in-memory run: nothing to resume from
            return
        began = time.perf_counter()
        state.epoch_loss_sum, state.epoch_batches = float(running.item()), seen
        last, tmp = checkpoint_dir / "last", checkpoint_dir / "last.tmp"
        accelerator.wait_for_everyone()
        if accelerator.is_main_process:
            shutil.rmtree(tmp, ignore_errors=True)
        accelerator.wait_for_everyone()
        accelerator.save_state(str(tmp))
        if accelerator.is_main_process:
            (tmp / STATE_FILE).write_text(json.dumps({"config": _config_key(config), "state": asdict(state)}, indent=2))
            shutil.rmtree(last, ignore_errors=True)
            tmp.rename(last)  # atomic: a kill never leaves a half-written "last"
        accelerator.wait_for_everyone()
        overhead[0] += time.perf_counter() - began
        emit(Event("save", epoch, state.global_step, state.examples_seen, loss))

    def record(epoch_progress: float, loss: float | None) -> None:
        """A history row; with validation data, evaluate and track the best weights."""
        began = time.perf_counter()
        row: dict[str, Any] = {"step": state.global_step, "epoch": round(epoch_progress, 2),
                               "examples_seen": state.examples_seen, "train_loss": loss}
        state.last_eval_step = state.global_step
        if val_loader is None:
            state.history.append(row)
            return
        metrics = latest[0] = evaluate(accelerator, model, val_loader, names)
        row.update({k: metrics[k] for k in ("accuracy", "macro_f1", "loss")})
        state.history.append(row)
        best = None if state.best_metrics is None else state.best_metrics[config.metric]
        if _improved(config, metrics[config.metric], best):
            state.best_step, state.best_metrics, state.bad_evals = state.global_step, metrics, 0
            if config.select is Select.BEST and checkpoint_dir is None:
                best_in_memory[0] = {k: v.detach().to("cpu", copy=True)
                                     for k, v in accelerator.unwrap_model(model).state_dict().items()}
            elif config.select is Select.BEST:
                accelerator.wait_for_everyone()
                if accelerator.is_main_process:
                    from safetensors.torch import save_model

                    (checkpoint_dir / "best").mkdir(parents=True, exist_ok=True)
                    save_model(accelerator.unwrap_model(model), str(checkpoint_dir / "best" / WEIGHTS_FILE))
                accelerator.wait_for_everyone()
        else:
            state.bad_evals += 1
            if patience is not None and state.bad_evals >= patience:
                state.stopped_early = True
        overhead[0] += time.perf_counter() - began
        emit(Event("evaluation", int(epoch_progress), state.global_step, state.examples_seen, loss, metrics))

    def show(bar, loss: float) -> None:
        postfix = {"loss": f"{loss:.4f}"}
        if state.history and config.metric in state.history[-1]:
            postfix[config.metric] = f"{state.history[-1][config.metric]:.4f}"
        bar.set_postfix(postfix)

    model.train()
    started = time.perf_counter()
    trained = 0
    loss_value: float | None = None
    running, seen = torch.zeros((), device=accelerator.device), 0
    while state.global_step < total_steps and not state.stopped_early and not stop[0]:
        epoch = state.epoch
        frozen = _frozen(config, groups, epoch)
        sampler.position(epoch, state.batches_done * world)
        bar_total = min(batches_per_epoch, state.batches_done + (total_steps - state.global_step) * config.grad_accum)
        bar = tqdm(total=bar_total, initial=state.batches_done, desc=f"epoch {epoch + 1}/{epochs}",
                   disable=not (progress and accelerator.is_local_main_process), leave=True, dynamic_ncols=True)
        running = torch.tensor(state.epoch_loss_sum if state.batches_done else 0.0, device=accelerator.device)
        seen = state.epoch_batches if state.batches_done else 0
        for batch in train_loader:
            ctx = StepContext(step_seed(config.seed, epoch, state.batches_done, accelerator.process_index), epoch,
                              state.batches_done, state.global_step / total_steps, accelerator.process_index, world)
            with accelerator.accumulate(model):
                loss = objective(model, batch, ctx)
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
            examples = len(batch["labels"]) * world
            state.examples_seen += examples
            trained += examples
            running, seen = running + loss.detach(), seen + 1
            bar.update(1)
            if seen % _SYNC_EVERY == 0:  # the only device sync of the loop besides evaluation
                loss_value = running.item() / seen
                show(bar, loss_value)
            if not accelerator.sync_gradients:
                continue
            state.global_step += 1
            at_end = state.global_step >= total_steps
            epoch_end = state.batches_done == batches_per_epoch
            if config.eval_steps and state.global_step % config.eval_steps == 0 or at_end \
                    or (not config.eval_steps and epoch_end):
                loss_value = running.item() / seen
                record(epoch + state.batches_done / batches_per_epoch, loss_value)
                show(bar, loss_value)
            if state.global_step % config.checkpoint_steps == 0 and not at_end and not epoch_end:
                checkpoint(epoch, loss_value)  # (an epoch's end has its own checkpoint, below)
            emit(Event("step", epoch, state.global_step, state.examples_seen, loss_value))
            if at_end or state.stopped_early or stop[0]:
                break
        bar.close()
        if state.batches_done >= batches_per_epoch:
            state.epoch, state.batches_done = epoch + 1, 0
            # an epoch-end checkpoint only while training goes on (or when asked to keep them)
            if state.global_step < total_steps and not state.stopped_early and not stop[0]:
                checkpoint(epoch, loss_value)
    seconds = time.perf_counter() - started
    if config.keep_checkpoints:
        checkpoint(state.epoch, loss_value)

    # Selection: the best validation weights, or the final ones.
    selected_step, selected_metrics = state.global_step, None
    if val_loader is not None and config.select is Select.BEST and state.best_step is not None:
        from safetensors.torch import load_model

        accelerator.wait_for_everyone()
        if best_in_memory[0] is not None:
            accelerator.unwrap_model(model).load_state_dict(best_in_memory[0])
        else:
            load_model(accelerator.unwrap_model(model), str(checkpoint_dir / "best" / WEIGHTS_FILE))
        selected_step, selected_metrics = state.best_step, state.best_metrics
    elif val_loader is not None:
        if state.last_eval_step != state.global_step or latest[0] is None:
            record(state.epoch, loss_value)
        selected_metrics = latest[0]
    return FitResult(history=state.history, selected_step=selected_step, validation=selected_metrics,
                     stopped_early=state.stopped_early, stopped_by_callback=stop[0], global_step=state.global_step,
                     examples_seen=state.examples_seen, seconds=round(seconds, 2),
                     loop_seconds=round(seconds - overhead[0], 2), resumed_from_step=resumed_from,
                     trained_examples=trained)
