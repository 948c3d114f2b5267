"""Evaluation of a (prepared) model over a (prepared) loader, gathered across processes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from ..metrics import classification_metrics
from .objectives import model_inputs

__all__ = ["evaluate"]


def evaluate(accelerator, model: torch.nn.Module, loader, names: Sequence[str]) -> dict[str, Any]:
    """Metrics and mean cross-entropy over every example once (``gather_for_metrics`` drops the
    padding accelerate adds to even out the last batch across processes)."""
    was_training = model.training
    model.eval()
    preds, golds, loss_sum = [], [], 0.0
    with torch.no_grad():
        for batch in loader:
            logits = model(**model_inputs(batch)).logits.float()
            logits, gold = accelerator.gather_for_metrics((logits, batch["labels"]))
            loss_sum += torch.nn.functional.cross_entropy(logits, gold, reduction="sum").item()
            preds += logits.argmax(dim=-1).tolist()
            golds += gold.tolist()
    model.train(was_training)
    return classification_metrics(golds, preds, names, loss=loss_sum / max(len(golds), 1))
