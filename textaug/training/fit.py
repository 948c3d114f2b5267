"""The Accelerate loop: optimizer, schedule, steps; checkpoints (:mod:`.checkpoints`) and the
choice of the kept weights (:mod:`.selection`) are objects it calls.

``fit`` trains the model it is given in place and returns what happened. It prints nothing but
its progress bar and writes nothing but resumable checkpoints under ``checkpoint_dir``; the model
folder, the test evaluation and the tables are other stages' work. It runs unchanged in one
process or under ``accelerate launch`` / ``torchrun`` with many.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from ..config import Strategy, TrainConfig
from .batches import EncodedRows, make_loader
from .checkpoints import Checkpoints
from .defaults import learning_rate, num_epochs
from .objectives import Objective, StepContext, step_seed
from .selection import Selector

__all__ = ["Event", "Callback", "FitResult", "fit", "param_groups"]

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
class _Events:
    """The callbacks, and whether one of them asked to stop."""

    callbacks: Sequence[Callback]
    stop: bool = False

    def emit(self, event: Event) -> None:
        for callback in self.callbacks:
            if callback(event):
                self.stop = True


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

    events = _Events(callbacks)
    checkpoints = Checkpoints(accelerator, config, checkpoint_dir)
    state = checkpoints.resume(resume_state)
    # the events carry the state's counters at the moment they happen
    checkpoints.on_save = lambda epoch, loss: events.emit(Event("save", epoch, state.global_step,
                                                                state.examples_seen, loss))
    selection = Selector(accelerator, config, checkpoints, val_loader, names,
                          on_evaluation=lambda epoch, loss, metrics: events.emit(
                              Event("evaluation", epoch, state.global_step, state.examples_seen, loss, metrics)))
    resumed_from = state.global_step if resume_state is not None else None

    def show(bar, loss: float) -> None:
        postfix = {"loss": f"{loss:.4f}"}
        if state.history and config.metric in state.history[-1]:
            postfix[config.metric] = f"{state.history[-1][config.metric]:.4f}"
        bar.set_postfix(postfix)

    def save(epoch: int, loss: float | None) -> None:
        state.epoch_loss_sum, state.epoch_batches = float(running.item()), seen  # a resumed epoch's mean loss
        checkpoints.save(state, epoch, loss)

    model.train()
    started = time.perf_counter()
    trained = 0
    loss_value: float | None = None
    running, seen = torch.zeros((), device=accelerator.device), 0
    while state.global_step < total_steps and not state.stopped_early and not events.stop:
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
                selection.record(state, model, epoch + state.batches_done / batches_per_epoch, loss_value)
                show(bar, loss_value)
            if state.global_step % config.checkpoint_steps == 0 and not at_end and not epoch_end:
                save(epoch, loss_value)  # (an epoch's end has its own checkpoint, below)
            events.emit(Event("step", epoch, state.global_step, state.examples_seen, loss_value))
            if at_end or state.stopped_early or events.stop:
                break
        bar.close()
        if state.batches_done >= batches_per_epoch:
            state.epoch, state.batches_done = epoch + 1, 0
            # an epoch-end checkpoint only while training goes on (or when asked to keep them)
            if state.global_step < total_steps and not state.stopped_early and not events.stop:
                save(epoch, loss_value)
    seconds = time.perf_counter() - started
    if config.keep_checkpoints:
        save(state.epoch, loss_value)

    selected_step, selected_metrics = selection.finish(state, model, loss_value)
    return FitResult(history=state.history, selected_step=selected_step, validation=selected_metrics,
                     stopped_early=state.stopped_early, stopped_by_callback=events.stop, global_step=state.global_step,
                     examples_seen=state.examples_seen, seconds=round(seconds, 2),
                     loop_seconds=round(seconds - checkpoints.seconds - selection.seconds, 2),
                     resumed_from_step=resumed_from, trained_examples=trained)
