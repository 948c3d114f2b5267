"""Training objectives as objects handed to :func:`textaug.training.fit.fit`.

An objective turns a batch into the loss to minimise. It sees the whole batch, ``aug_source``
included (the index of the original row each training row came from), so objectives that pair an
example with its augmentations (consistency training) or mix examples (mixup) slot in here
without touching the loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import torch

__all__ = ["Objective", "CrossEntropy", "MODEL_INPUTS", "model_inputs"]

#: Batch keys a classifier's forward takes; the others (labels, aug_source) are the objective's.
MODEL_INPUTS = ("input_ids", "attention_mask")


def model_inputs(batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: batch[k] for k in MODEL_INPUTS if k in batch}


class Objective(Protocol):
    name: str

    def __call__(self, model: torch.nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor: ...

    def config(self) -> dict[str, Any]:
        """Its parameters, for training_config.json and the model card."""


@dataclass(frozen=True)
class CrossEntropy:
    """The supervised loss: mean cross-entropy of the logits against ``labels``."""

    label_smoothing: float = 0.0
    name: str = "cross-entropy"

    def __post_init__(self) -> None:
        if not 0 <= self.label_smoothing < 1:
            raise ValueError(f"label_smoothing must be in [0, 1), got {self.label_smoothing}")

    def __call__(self, model: torch.nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        logits = model(**model_inputs(batch)).logits
        return torch.nn.functional.cross_entropy(logits.float(), batch["labels"], label_smoothing=self.label_smoothing)

    def config(self) -> dict[str, Any]:
        return {"objective": self.name, "label_smoothing": self.label_smoothing}
