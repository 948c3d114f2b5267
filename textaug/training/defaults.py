"""The learning rate and epoch count a run trains when the configuration leaves them unset.

They depend on the model kind (a BiLSTM wants 2e-3 and 20 epochs, a transformer 5e-5 and 3), so
they are resolved here, in the training layer that knows the kinds, not in ``TrainConfig``: the
pipeline writes them into the configuration it trains, so ``training_config.json`` and the model
card say what ran.
"""

from __future__ import annotations

from dataclasses import replace

from ..config import CONTRASTIVE_LR, TrainConfig
from ..models import get_kind

__all__ = ["learning_rate", "num_epochs", "with_defaults"]


def learning_rate(config: TrainConfig) -> float:
    """``config.lr``, else the contrastive stage's or the kind's default."""
    if config.lr is not None:
        return config.lr
    return CONTRASTIVE_LR if config.contrastive else get_kind(config.kind).default_lr


def num_epochs(config: TrainConfig) -> int:
    """Passes over the training rows: ``config.epochs`` or the kind's default; for the contrastive
    stage its pairs per row (one partner per row per pass)."""
    if config.contrastive:
        return config.contrastive_pairs
    return config.epochs if config.epochs is not None else get_kind(config.kind).default_epochs


def with_defaults(config: TrainConfig) -> TrainConfig:
    """``config`` with ``lr`` and (outside the contrastive stage, whose budget is its pairs)
    ``epochs`` filled in."""
    return replace(config, lr=learning_rate(config), epochs=None if config.contrastive else num_epochs(config))
