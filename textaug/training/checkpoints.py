"""What a run saves while it trains: the resumable state under ``checkpoint_dir/last`` (written
whole or not at all), the best validation weights under ``checkpoint_dir/best`` (or in memory
when nothing is written), and the loop progress a checkpoint must carry besides weights,
optimizer, scheduler and random states.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from ..config import TrainConfig
from .folder import WEIGHTS_FILE

__all__ = ["LoopState", "Checkpoints", "read_resume_state", "STATE_FILE"]

STATE_FILE = "trainer_state.json"
#: Options a checkpoint need not agree on to be resumed: they do not change what is trained.
_RESUME_FREE = ("resume", "keep_checkpoints", "num_proc", "test", "test_split", "dataset_name")


@dataclass
class LoopState:
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


@dataclass
class Checkpoints:
    """Saves and restores for one run; ``directory=None`` writes nothing (the best weights are then
    a CPU copy in memory). ``seconds`` is the time spent saving, which is not training time."""

    accelerator: Any
    config: TrainConfig
    directory: Path | None
    on_save: Callable[[int, float | None], None] = lambda epoch, loss: None
    seconds: float = 0.0
    _best_in_memory: dict[str, torch.Tensor] | None = None

    def resume(self, saved: dict[str, Any] | None) -> LoopState:
        """The loop state to start from: fresh, or the saved one with weights, optimizer,
        scheduler and RNGs loaded back."""
        if saved is None:
            return LoopState()
        self.accelerator.load_state(str(self.directory / "last"))
        return LoopState(**saved)

    def save(self, state: LoopState, epoch: int, loss: float | None) -> None:
        """The resumable state as ``last``, then the save event; atomic: a kill never leaves a
        half-written ``last``."""
        if self.directory is None:  # an in-memory run: nothing to resume from
            return
        began, acc = time.perf_counter(), self.accelerator
        last, tmp = self.directory / "last", self.directory / "last.tmp"
        acc.wait_for_everyone()
        if acc.is_main_process:
            shutil.rmtree(tmp, ignore_errors=True)
        acc.wait_for_everyone()
        acc.save_state(str(tmp))
        if acc.is_main_process:
            (tmp / STATE_FILE).write_text(json.dumps({"config": _config_key(self.config), "state": asdict(state)},
                                                     indent=2))
            shutil.rmtree(last, ignore_errors=True)
            tmp.rename(last)
        acc.wait_for_everyone()
        self.seconds += time.perf_counter() - began
        self.on_save(epoch, loss)

    def save_best(self, model: torch.nn.Module) -> None:
        acc = self.accelerator
        if self.directory is None:
            self._best_in_memory = {k: v.detach().to("cpu", copy=True)
                                    for k, v in acc.unwrap_model(model).state_dict().items()}
            return
        acc.wait_for_everyone()
        if acc.is_main_process:
            from safetensors.torch import save_model

            (self.directory / "best").mkdir(parents=True, exist_ok=True)
            save_model(acc.unwrap_model(model), str(self.directory / "best" / WEIGHTS_FILE))
        acc.wait_for_everyone()

    def restore_best(self, model: torch.nn.Module) -> None:
        acc = self.accelerator
        acc.wait_for_everyone()
        if self._best_in_memory is not None:
            acc.unwrap_model(model).load_state_dict(self._best_in_memory)
        else:
            from safetensors.torch import load_model

            load_model(acc.unwrap_model(model), str(self.directory / "best" / WEIGHTS_FILE))
