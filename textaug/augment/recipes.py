"""Named augmentation recipes: what the command line and training configs refer to."""

from __future__ import annotations

from enum import Enum

from .backtranslate import BackTranslate
from .base import Augmenter
from .embedding import EmbeddingSubstitute
from .eda import AEDA, EDA, RandomDelete, RandomInsert, RandomSwap, SynonymReplace

__all__ = ["Recipe", "build_augmenter", "eda_paper_setting"]


class Recipe(str, Enum):
    EDA = "eda"
    SYNONYM = "synonym"
    INSERT = "insert"
    SWAP = "swap"
    DELETE = "delete"
    AEDA = "aeda"
    BACKTRANSLATE = "backtranslate"
    EMBEDDING = "embedding"


def build_augmenter(
    recipe: Recipe | str,
    *,
    alpha: float | None = None,
    n_aug: int = 4,
    seed: int = 0,
    column: str = "text",
    keep_original: bool = True,
    pivots: tuple[str, ...] | None = None,
) -> Augmenter:
    """The augmenter a recipe names. ``alpha`` is the one rate each recipe has (EDA: all four
    rates; delete: the per-word probability; aeda: the punctuation ratio); None keeps defaults.
    Back-translation has no rate (``alpha`` must be None); ``pivots`` names its pivot languages."""
    try:
        recipe = Recipe(recipe)
    except ValueError:
        raise ValueError(f"unknown recipe {recipe!r}; choose one of {[r.value for r in Recipe]}") from None
    common = {"n_aug": n_aug, "seed": seed, "column": column, "keep_original": keep_original}
    if recipe is Recipe.BACKTRANSLATE:
        if alpha is not None:
            raise ValueError("the backtranslate recipe has no rate (alpha); choose its pivot languages instead")
        aug = BackTranslate(**common, **({"pivots": tuple(pivots)} if pivots else {}))
        aug.check()  # the translator is there, or one error naming the packages, before any work
        return aug
    if pivots:
        raise ValueError(f"pivots apply to the backtranslate recipe, not {recipe.value!r}")
    rate = {} if alpha is None else None
    if recipe is Recipe.EDA:
        rate = rate if rate is not None else {"alpha_sr": alpha, "alpha_ri": alpha, "alpha_rs": alpha, "p_rd": alpha}
        return EDA(**common, **rate)
    if recipe is Recipe.DELETE:
        return RandomDelete(**common, **(rate if rate is not None else {"p": alpha}))
    if recipe is Recipe.AEDA:
        return AEDA(**common, **(rate if rate is not None else {"ratio": alpha}))
    cls = {Recipe.SYNONYM: SynonymReplace, Recipe.INSERT: RandomInsert, Recipe.SWAP: RandomSwap,
           Recipe.EMBEDDING: EmbeddingSubstitute}[recipe]
    return cls(**common, **(rate if rate is not None else {"alpha": alpha}))


def eda_paper_setting(n: int) -> tuple[float, int]:
    """(alpha, n_aug) the EDA paper (Wei & Zou 2019) recommends for ``n`` training examples."""
    if n <= 500:
        return 0.05, 16
    if n <= 2000:
        return 0.05, 8
    return 0.1, 4
