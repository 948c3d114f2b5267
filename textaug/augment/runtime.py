"""What model-backed augmenters share at run time: heavy resources loaded once per worker process,
and the device a worker's model goes on.

A resource is held here, keyed by process, never on the (frozen, picklable) augmenter: it stays
out of pickling and of the datasets fingerprint, and each ``num_proc`` worker loads its own.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

__all__ = ["process_resource", "resolve_device"]

_RESOURCES: dict[tuple[int, Any], Any] = {}


def process_resource(key: Any, load: Callable[[], Any]) -> Any:
    """``load()`` once per process and ``key`` (a datasets worker is a process: each loads its own;
    a forked worker does not reuse its parent's, which may sit on another device)."""
    slot = (os.getpid(), key)
    if slot not in _RESOURCES:
        _RESOURCES[slot] = load()
    return _RESOURCES[slot]


def resolve_device(device: str, rank: int | None = None) -> str:
    """``cpu``, ``cuda``, ``cuda:N``, ``mps`` or ``auto`` as a torch device string. With a worker
    ``rank`` (``ds.map(..., with_rank=True, num_proc=N)``), ``cuda``/``auto`` put worker ``rank`` on
    GPU ``rank % device_count``: the datasets way to use several GPUs."""
    import torch

    if device == "auto":
        if torch.cuda.is_available():
            device = "cuda"
        elif getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return "mps"
        else:
            return "cpu"
    if device == "cuda":
        if not torch.cuda.is_available():
            raise ValueError("device 'cuda' asked for, but torch sees no CUDA device")
        return f"cuda:{(rank or 0) % torch.cuda.device_count()}"
    if device.startswith("cuda:") and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} asked for, but torch sees no CUDA device")
    return device
