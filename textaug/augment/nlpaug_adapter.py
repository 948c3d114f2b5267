"""Any nlpaug augmenter as a textaug map step, so existing nlpaug pipelines plug in.

nlpaug draws from the global ``random`` and ``numpy.random`` generators. The adapter seeds them
per batch (from the seed and the batch's first row index), calls nlpaug's list API once per batch,
and restores the global state afterwards, so the caller's random streams are left as they were.
Determinism is therefore per batch: the same ``seed`` and ``batch_size`` give the same output;
unlike textaug's own augmenters, a different ``batch_size`` gives different (equally valid) output.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar, Iterator

from .base import Augmenter, live_rows

__all__ = ["NlpaugAugmenter"]


@contextmanager
def _seeded_globals(seed: int) -> Iterator[None]:
    import numpy as np

    py_state = random.getstate()
    np_state = np.random.get_state()
    torch = sys.modules.get("torch")  # only when nlpaug (or the caller) already imported it
    torch_state = torch.random.get_rng_state() if torch is not None else None
    random.seed(seed)
    np.random.seed(seed % 2**32)
    if torch is not None:
        torch.manual_seed(seed)
    try:
        yield
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)
        if torch is not None and torch_state is not None:
            torch.random.set_rng_state(torch_state)


def _as_text(result: Any, fallback: str) -> str:
    if isinstance(result, list):  # some nlpaug versions wrap single results in a list
        result = result[0] if result else None
    return result if isinstance(result, str) and result else fallback


@dataclass(frozen=True, kw_only=True)
class NlpaugAugmenter(Augmenter):
    """Wrap ``augmenter`` (any ``nlpaug`` text augmenter). ``aug_op`` is ``nlpaug:<its name>``.

    Where nlpaug returns nothing for a text (it can, for texts it cannot change), the text itself
    stands in, so every row still gets exactly ``n_aug`` outputs.
    """

    augmenter: Any = field(default=None, metadata={"help": "an nlpaug augmenter instance"})
    name: ClassVar[str] = "nlpaug"

    def __post_init__(self) -> None:
        super().__post_init__()
        module = type(self.augmenter).__module__
        if not module.startswith("nlpaug") or not callable(getattr(self.augmenter, "augment", None)):
            raise ValueError(f"augmenter must be an nlpaug augmenter, got {type(self.augmenter).__name__}")

    @property
    def op_name(self) -> str:
        return f"nlpaug:{getattr(self.augmenter, 'name', type(self.augmenter).__name__)}"

    def augment_batch(self, texts: Sequence[str | None], indices: Sequence[int],
                      rank: int | None = None) -> list[list[tuple[str, str]] | None]:
        positions = live_rows(texts)
        repeated = [texts[i] for i in positions for _ in range(self.n_aug)]
        results: list[Any] = []
        if repeated:
            with _seeded_globals(self.rng(int(indices[0])).getrandbits(63)):
                results = self.augmenter.augment(repeated)
                if not isinstance(results, list) or len(results) != len(repeated):
                    # nlpaug's list API gave up on some items; fall back to one call per text.
                    results = [self.augmenter.augment(t) for t in repeated]
        out: list[list[tuple[str, str]] | None] = [None] * len(texts)
        name = self.op_name
        for k, pos in enumerate(positions):
            chunk = results[k * self.n_aug:(k + 1) * self.n_aug]
            out[pos] = [(_as_text(r, texts[pos]), name) for r in chunk]
        return out
