"""Helpers the trainer tests share (imported as ``helpers``: pytest puts tests/ on sys.path)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from textaug.config import TrainConfig


def tiny_config(model: str, tmp_path: Path, **kw: Any) -> TrainConfig:
    """A config that trains a tiny model in seconds: 2 epochs of batch 8, checkpoints every 3 steps."""
    base = {"model": model, "output_dir": str(tmp_path / "model"), "epochs": 2, "batch_size": 8,
            "lr": 3e-3, "checkpoint_steps": 3, "max_length": 32}
    return TrainConfig(**{**base, **kw})


def folder_weights(folder) -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    return load_file(str(Path(folder) / "model.safetensors"))


class Killed(Exception):
    """Raised by a callback to stop a run the way a kill would (its checkpoints stay)."""


def kill_at_step(step: int) -> Callable:
    def callback(event) -> None:
        if event.kind == "step" and event.global_step == step:
            raise Killed

    return callback


def assert_resumes_to_the_same_weights(tmp_path: Path, model: str, kill_step: int, **run: Any) -> None:
    """A run killed at ``kill_step`` and resumed ends with the history and bit-identical weights of
    an uninterrupted one. ``run`` holds the config options and the datasets train() takes."""
    import pytest

    from textaug.training.pipeline import train

    datasets = {k: run.pop(k) for k in list(run) if k.endswith("_dataset")}
    whole = train(tiny_config(model, tmp_path / "a", **run), **datasets)
    with pytest.raises(Killed):
        train(tiny_config(model, tmp_path / "b", **run), callbacks=[kill_at_step(kill_step)], **datasets)
    resumed = train(tiny_config(model, tmp_path / "b", resume=True, **run), **datasets)
    assert resumed.fit.resumed_from_step is not None and resumed.fit.resumed_from_step < kill_step
    assert resumed.history == whole.history
    a, b = folder_weights(whole.output_dir), folder_weights(resumed.output_dir)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def load_recipe(name: str):
    """A script of recipes/ imported as a module (recipes/ is not a package)."""
    import importlib.util
    import sys

    folder = Path(__file__).resolve().parents[1] / "recipes"
    if str(folder) not in sys.path:  # as when run as a script: a recipe may import another
        sys.path.insert(0, str(folder))
    path = folder / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module
