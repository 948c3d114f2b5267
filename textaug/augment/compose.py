"""Composition: augmenters built from augmenters, themselves map steps.

The children's own ``column``, ``n_aug``, ``keep_original`` and ``seed`` are ignored: the
composite's fields govern, and its per-row random generator drives every child.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import ClassVar

from .base import Augmenter

__all__ = ["Sequential", "OneOf"]


def _check_children(owner: str, augmenters) -> tuple[Augmenter, ...]:
    if isinstance(augmenters, Augmenter) or not isinstance(augmenters, (list, tuple)) or not augmenters:
        raise ValueError(f"{owner} needs a non-empty list of augmenters, got {augmenters!r}")
    for child in augmenters:
        if not isinstance(child, Augmenter):
            raise ValueError(f"{owner}: {child!r} is not a textaug Augmenter")
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

    def augment(self, text: str, rng: random.Random) -> str:
        for child in self.augmenters:
            if text.strip():  # a child may empty a text (a user's own augmenter); stop there
                text = child.augment(text, rng)
        return text

    def augment_many(self, text: str, rng: random.Random, n: int) -> list[tuple[str, str]]:
        name = self.op_name
        return [(self.augment(text, rng), name) for _ in range(n)]


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

    def augment(self, text: str, rng: random.Random) -> str:
        return self._pick(rng).augment(text, rng)

    def augment_many(self, text: str, rng: random.Random, n: int) -> list[tuple[str, str]]:
        out = []
        for _ in range(n):
            child = self._pick(rng)
            out.append((child.augment(text, rng), child.op_name))
        return out
