"""What model-backed augmenters share at run time: heavy resources loaded once per worker process,
the device a worker's model goes on, and the sentence encoder (the similarity filter's and the
contextual augmenter's re-ranker).

A resource is held here, keyed by process, never on the (frozen, picklable) augmenter: it stays
out of pickling and of the datasets fingerprint, and each ``num_proc`` worker loads its own.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..resources import resolve_model

__all__ = ["process_resource", "resolve_device", "SentenceEncoder"]

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


@dataclass(frozen=True)
class SentenceEncoder:
    """Unit-length mean-pooled sentence embeddings from a transformer encoder (``minilm``, the
    packaged all-MiniLM-L6-v2, by default), loaded once per process and device."""

    model: str = "minilm"
    batch_size: int = 64
    device: str = "cpu"
    max_length: int = 256

    def _load(self):
        def load():
            from transformers import AutoModel, AutoTokenizer

            source = resolve_model(self.model)
            return AutoTokenizer.from_pretrained(source), AutoModel.from_pretrained(source).to(
                resolve_device(self.device)).eval()

        return process_resource(("sentence-encoder", self.model, self.device), load)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors, one per text; the texts are sorted into length-grouped batches internally
        (less padding), the result is in the given order."""
        import torch

        tokenizer, model = self._load()
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), model.config.hidden_size), dtype=np.float32)
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                chosen = order[start:start + self.batch_size]
                batch = tokenizer([texts[i] for i in chosen], padding=True, truncation=True,
                                  max_length=self.max_length, return_tensors="pt").to(model.device)
                hidden = model(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)
                out[chosen] = torch.nn.functional.normalize(pooled, dim=-1).float().cpu().numpy()
        return out
