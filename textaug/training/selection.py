"""Which weights a run keeps: each evaluation is recorded in the history, the best one (by
``config.metric``) has its weights saved, ``patience`` evaluations without improvement stop the
run, and at the end the kept weights are loaded back (``select="best"``) or the final ones stay
(``select="last"``). Without validation data the history still records the training loss.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from ..config import Select, TrainConfig
from .checkpoints import Checkpoints, LoopState
from .evaluation import evaluate

__all__ = ["Selector"]


def _improved(config: TrainConfig, value: float, best: float | None) -> bool:
    if best is None:
        return True
    return value < best if config.metric == "loss" else value > best


@dataclass
class Selector:
    """``on_evaluation(epoch, loss, metrics)`` is called after each evaluation; ``seconds`` is the
    time spent evaluating and saving the best weights, which is not training time."""

    accelerator: Any
    config: TrainConfig
    checkpoints: Checkpoints
    val_loader: Any | None
    names: Sequence[str]
    on_evaluation: Callable[[int, float | None, dict[str, Any]], None] = lambda epoch, loss, metrics: None
    seconds: float = 0.0
    latest: dict[str, Any] | None = None  # the last validation metrics

    @property
    def patience(self) -> int | None:
        return self.config.early_stopping_patience if self.val_loader is not None else None

    def record(self, state: LoopState, model: torch.nn.Module, epoch_progress: float, loss: float | None) -> None:
        """A history row; with validation data, evaluate and track the best weights."""
        began = time.perf_counter()
        row: dict[str, Any] = {"step": state.global_step, "epoch": round(epoch_progress, 2),
                               "examples_seen": state.examples_seen, "train_loss": loss}
        state.last_eval_step = state.global_step
        if self.val_loader is None:
            state.history.append(row)
            return
        metrics = self.latest = evaluate(self.accelerator, model, self.val_loader, self.names)
        row.update({k: metrics[k] for k in ("accuracy", "macro_f1", "loss")})
        state.history.append(row)
        best = None if state.best_metrics is None else state.best_metrics[self.config.metric]
        if _improved(self.config, metrics[self.config.metric], best):
            state.best_step, state.best_metrics, state.bad_evals = state.global_step, metrics, 0
            if self.config.select is Select.BEST:
                self.checkpoints.save_best(model)
        else:
            state.bad_evals += 1
            if self.patience is not None and state.bad_evals >= self.patience:
                state.stopped_early = True
        self.seconds += time.perf_counter() - began
        self.on_evaluation(int(epoch_progress), loss, metrics)

    def finish(self, state: LoopState, model: torch.nn.Module, loss: float | None) -> tuple[int, dict[str, Any] | None]:
        """(the step whose weights are kept, its validation metrics), the kept weights loaded into
        ``model``: the best validation weights, or the final ones (evaluated, if the last step was
        not)."""
        if self.val_loader is None:
            return state.global_step, None
        if self.config.select is Select.BEST and state.best_step is not None:
            self.checkpoints.restore_best(model)
            return state.best_step, state.best_metrics
        if state.last_eval_step != state.global_step or self.latest is None:
            self.record(state, model, state.epoch, loss)
        return state.global_step, self.latest
