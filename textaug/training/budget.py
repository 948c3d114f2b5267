"""What a run trains when its data is too small to validate.

With no validation data given and too few training rows to carve a share worth selecting on
(:data:`textaug.training.data.MIN_VALIDATION_PER_CLASS`), nothing can pick a checkpoint or stop
early: the run keeps its last weights after a fixed budget that scales with the data, and says so
in one line. A transformer left at plain cross-entropy takes the contrastive stage at few-shot
sizes (up to :data:`FEW_SHOT_ROWS_PER_CLASS` rows per class), the setting ``recipes/fewshot.py``
measured best there; anything else keeps its objective, and a default epoch count that would give fewer than
:data:`MIN_STEPS` steps trains that many (epochs or steps the user gave are kept).
"""

from __future__ import annotations

import math
from dataclasses import replace

from ..config import Select, TrainConfig
from .data import MIN_VALIDATION_PER_CLASS
from .defaults import num_epochs

__all__ = ["FEW_SHOT_ROWS_PER_CLASS", "MIN_STEPS", "unvalidated_config"]

#: Up to this many rows per class (the largest K of recipes/fewshot.py), a transformer left at
#: cross-entropy trains the contrastive stage instead.
FEW_SHOT_ROWS_PER_CLASS = 64
#: The fewest optimizer steps a run without validation trains when its epochs would give fewer:
#: 16 rows at batch 16 and 3 epochs would be 3 steps.
MIN_STEPS = 200


def _plain_objective(config: TrainConfig) -> bool:
    return not (config.mixup is not None or config.feature_noise or config.feature_interpolate or config.consistency
                or config.cache_features or config.contrastive)


def unvalidated_config(config: TrainConfig, rows: int, classes: int, *, objective_given: bool) -> tuple[TrainConfig, str]:
    """(the configuration to train, the line that says what changed and why)."""
    why = (f"{rows} training rows, {classes} classes: too few to hold out validation ({MIN_VALIDATION_PER_CLASS} rows "
           f"per class at validation_fraction {config.validation_fraction}), so no checkpoint is selected")
    changes = {"select": Select.LAST, "patience": None}
    if (config.kind == "transformer" and _plain_objective(config) and not objective_given
            and config.epochs is None and config.max_steps is None and config.strategy.value == "finetune"
            and rows <= FEW_SHOT_ROWS_PER_CLASS * classes):
        changes["contrastive"] = True
        adjusted = replace(config, **changes)
        steps = math.ceil(adjusted.contrastive_pairs * rows / config.batch_size)
        return adjusted, (f"{why}; few-shot: the contrastive stage, {adjusted.contrastive_pairs} pairs per row "
                          f"({steps} steps), the last weights kept (pass --validation, or --epochs/--max-steps, "
                          "to choose otherwise)")
    if config.max_steps is None and config.epochs is None and not config.contrastive:  # epochs asked for stay
        steps = num_epochs(config) * math.ceil(rows / config.batch_size)
        if steps < MIN_STEPS:
            changes["max_steps"] = MIN_STEPS
    adjusted = replace(config, **changes)
    budget = (f"{adjusted.max_steps} steps" if adjusted.max_steps is not None
              else f"{num_epochs(adjusted)} {'pairs per row' if adjusted.contrastive else 'epochs'}")
    return adjusted, f"{why}; trains {budget} and keeps the last weights"
