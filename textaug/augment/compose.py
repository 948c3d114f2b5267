"""Composition: augmenters built from augmenters, themselves map steps.

The children's own ``column``, ``n_aug``, ``keep_original`` and ``seed`` are ignored: the
composite's fields govern. A batch is handed to each child's batch method once (output ``k`` of
row ``i`` is one item, with its own index for the child's random generator), so a composite that
holds a model-backed augmenter still runs the model once per batch, not once per text.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from .base import Augmenter, passes_through

__all__ = ["Sequential", "OneOf"]


def _one_each(child: Augmenter, seed: int) -> Augmenter:
    """The child as the composite runs it: one output per item, the composite's seed."""
    return dataclasses.replace(child, n_aug=1, seed=seed, keep_original=True)


def _items(texts: Sequence[str | None], indices: Sequence[int], n: int) -> tuple[list[int], list[str], list[int]]:
    """(row, text, item index) for output k of every live row: item index = row index * n + k, so
    each output draws its own randomness and the result does not depend on the batch."""
    rows, items, keys = [], [], []
    for i, (text, index) in enumerate(zip(texts, indices)):
        if not passes_through(text):
            for k in range(n):
                rows.append(i)
                items.append(text)
                keys.append(int(index) * n + k)
    return rows, items, keys


def _check_children(owner: str, augmenters) -> tuple[Augmenter, ...]:
    if isinstance(augmenters, Augmenter) or not isinstance(augmenters, (list, tuple)) or not augmenters:
        raise ValueError(f"{owner} needs a non-empty list of augmenters, got {augmenters!r}")
    for child in augmenters:
        if not isinstance(child, Augmenter):
            raise ValueError(f"{owner}: {child!r} is not a textaug Augmenter")
        if child.extra_columns:  # its per-output columns have no meaning once another step rewrites the text
            raise ValueError(f"{owner}: {type(child).__name__} adds columns {list(child.extra_columns)} to its rows and "
                             "cannot be composed with + or |; use it alone, or filtered with '@ FILTER'")
    return tuple(augmenters)


@dataclass(frozen=True, kw_only=True)
class Sequential(Augmenter):
    """Apply every child in turn to the same text; ``aug_op`` names them joined by ``+``."""

    augmenters: tuple[Augmenter, ...] = field(default=(), metadata={"help": "augmenters applied in order"})
    name: ClassVar[str] = "sequential"

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "augmenters", _check_children("Sequential", self.augmenters))

    @property
    def op_name(self) -> str:
        return "+".join(child.op_name for child in self.augmenters)

    def augment_batch(self, texts: Sequence[str | None], indices: Sequence[int],
                      rank: int | None = None) -> list[list[tuple[str, str]] | None]:
        rows, items, keys = _items(texts, indices, self.n_aug)
        current: list[str] = list(items)
        for child in self.augmenters if items else ():
            made = _one_each(child, self.seed).augment_batch(current, keys, rank=rank)
            # a child may empty a text (a user's own augmenter): the item stays as it was
            current = [m[0][0] if m else c for m, c in zip(made, current)]
        out: list[list[tuple[str, str]] | None] = [None] * len(texts)
        for row, text in zip(rows, current):
            out[row] = (out[row] or []) + [(text, self.op_name)]
        return out


@dataclass(frozen=True, kw_only=True)
class OneOf(Augmenter):
    """For each output, one child drawn at random (by ``weights``, default uniform)."""

    augmenters: tuple[Augmenter, ...] = field(default=(), metadata={"help": "augmenters to choose from"})
    weights: tuple[float, ...] | None = field(default=None, metadata={"help": "relative weights, one per augmenter"})
    name: ClassVar[str] = "one_of"

    def __post_init__(self) -> None:
        super().__post_init__()
        children = _check_children("OneOf", self.augmenters)
        object.__setattr__(self, "augmenters", children)
        if self.weights is not None:
            weights = tuple(self.weights)
            if len(weights) != len(children):
                raise ValueError(f"OneOf: {len(weights)} weights for {len(children)} augmenters")
            if any(isinstance(w, bool) or not isinstance(w, (int, float)) or w < 0 for w in weights) or sum(weights) <= 0:
                raise ValueError(f"OneOf: weights must be non-negative numbers with a positive sum, got {weights!r}")
            object.__setattr__(self, "weights", tuple(float(w) for w in weights))

    def _pick(self, rng: random.Random) -> Augmenter:
        if self.weights is None:
            return self.augmenters[int(rng.random() * len(self.augmenters))]
        return rng.choices(self.augmenters, weights=self.weights)[0]

    def augment_batch(self, texts: Sequence[str | None], indices: Sequence[int],
                      rank: int | None = None) -> list[list[tuple[str, str]] | None]:
        rows, items, keys = _items(texts, indices, self.n_aug)
        # each output's child is drawn from the row's own generator, so the draw is batch-independent
        picks: list[int] = []
        for i, index in enumerate(indices):
            if not passes_through(texts[i]):
                rng = self.rng(index)
                picks += [self.augmenters.index(self._pick(rng)) for _ in range(self.n_aug)]
        results: list[tuple[str, str] | None] = [None] * len(items)
        for c, child in enumerate(self.augmenters):
            mine = [j for j, pick in enumerate(picks) if pick == c]
            if mine:  # every item of this child in one batch call
                made = _one_each(child, self.seed).augment_batch([items[j] for j in mine], [keys[j] for j in mine],
                                                                 rank=rank)
                for j, m in zip(mine, made):
                    results[j] = m[0] if m else (items[j], child.op_name)
        out: list[list[tuple[str, str]] | None] = [None] * len(texts)
        for row, result in zip(rows, results):
            out[row] = (out[row] or []) + [result]
        return out
