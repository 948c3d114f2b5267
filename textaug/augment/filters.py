"""Label-preservation filters, composable after any augmenter.

``Filtered(aug, filters=[...], oversample=k)`` draws ``k * n_aug`` candidates per row from ``aug``
(one batch call), asks every filter about all the batch's candidates at once, and keeps the first
``n_aug`` distinct candidates that pass them all. When fewer pass, ``fill`` decides: ``"fewer"``
keeps fewer rows, ``"best"`` fills up with the best-scoring rejects. What was dropped is counted
per operation and per label, logged, and returned with the dataset (``augment_dataset`` puts it
in ``ds.info.description`` as JSON; the CLI prints it and writes it beside the output).

- :class:`SimilarityFilter`: sentence-embedding cosine between source and candidate within
  ``[min_sim, max_sim]``: too close adds nothing, too far drifts from the label.
- :class:`textaug.confidence.ConfidenceFilter` (above the trainer, as it loads a trained model):
  a textaug model still gives the source's label a probability of at least ``tau`` on the
  candidate (the filter sees the labels).

A filter is any object with ``name``, ``needs_labels`` and ``__call__(sources, candidates,
labels) -> (passed, score)``: arrays of one bool and one float per candidate, a higher score
nearer to passing.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import KW_ONLY, dataclass, field
from typing import Any, ClassVar

import numpy as np

from .base import Augmenter, SideOutput, total_counts
from .dataset import FILTER_STATS_KEY
from .runtime import SentenceEncoder

__all__ = ["Filtered", "SimilarityFilter", "FILTER_STATS", "merge_filter_stats", "register_filter", "filter_class",
           "filter_names"]

#: Column that carries each source row's filter counts through ``datasets.map`` (then removed).
FILTER_STATS = "aug_filter_stats"
FILLS = ("fewer", "best")
_log = logging.getLogger(__name__)

#: Filter name in recipe specs (``eda @ similarity:min=0.6``) -> a function returning its class.
#: A function, so that a filter defined in a higher layer (the confidence filter loads a trained
#: model, so it sits above the trainer) registers without this module importing it.
_FILTERS: dict[str, Callable[[], type]] = {}


def register_filter(name: str, resolve: Callable[[], type]) -> None:
    """Make ``name`` a filter of the spec language; ``resolve()`` returns its class, whose
    ``spec_aliases`` (short key -> field) say what a spec may call its fields."""
    _FILTERS[name] = resolve


def filter_names() -> list[str]:
    return sorted(_FILTERS)


def filter_class(name: str) -> type:
    if name not in _FILTERS:
        raise ValueError(f"unknown filter {name!r}; filters: {filter_names()}")
    return _FILTERS[name]()


@dataclass(frozen=True, kw_only=True)
class SimilarityFilter:
    """Cosine of mean-pooled sentence embeddings (the packaged MiniLM by default) in range."""

    min_sim: float = field(default=0.6, metadata={"help": "lowest cosine kept (below: the meaning drifted)"})
    max_sim: float = field(default=0.98, metadata={"help": "highest cosine kept (above: too close to add anything)"})
    model: str = field(default="minilm", metadata={"help": "the sentence encoder: minilm, a folder or a hub id"})
    batch_size: int = field(default=64, metadata={"help": "texts embedded per forward pass"})
    device: str = field(default="cpu", metadata={"help": "cpu, cuda, cuda:N, mps or auto"})
    needs_labels: ClassVar[bool] = False
    name: ClassVar[str] = "similarity"
    spec_aliases: ClassVar[dict[str, str]] = {"min": "min_sim", "max": "max_sim"}

    def __post_init__(self) -> None:
        if not -1 <= self.min_sim < self.max_sim <= 1:
            raise ValueError(f"need -1 <= min_sim < max_sim <= 1, got min_sim={self.min_sim}, max_sim={self.max_sim}")

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors, one per text (see :class:`~textaug.augment.runtime.SentenceEncoder`)."""
        return SentenceEncoder(self.model, self.batch_size, self.device).embed(texts)

    def __call__(self, sources: Sequence[str], candidates: Sequence[str], labels: Sequence[Any] | None):
        unique = list(dict.fromkeys([*sources, *candidates]))  # each distinct text embedded once
        vectors = self.embed(unique)
        where = {t: i for i, t in enumerate(unique)}
        sims = np.einsum("ij,ij->i", vectors[[where[t] for t in sources]], vectors[[where[t] for t in candidates]])
        # a cosine of unit vectors is at most 1, but rounding puts a text's match with itself at
        # 1 + 1e-7 in some batches (padding changes the arithmetic): max_sim=1 must keep it always
        sims = np.clip(sims, -1.0, 1.0)
        passed = (sims >= self.min_sim) & (sims <= self.max_sim)
        score = -np.maximum(np.maximum(self.min_sim - sims, sims - self.max_sim), 0)  # 0 inside, below outside
        return passed, score


register_filter(SimilarityFilter.name, lambda: SimilarityFilter)


def _unique_name(seen: dict[str, Any], f: Any) -> str:
    """A filter's name in the stats (its registered name; a second filter of one kind: ``name#2``)."""
    name = getattr(f, "name", None) or type(f).__name__
    unique, n = name, 1
    while unique in seen:
        n += 1
        unique = f"{name}#{n}"
    return unique


def merge_filter_stats(values: Sequence[str]) -> dict[str, Any]:
    """Totals of the per-row JSON counts a :class:`Filtered` step leaves in :data:`FILTER_STATS`."""
    dropped_op, dropped_label, totals = Counter(), Counter(), Counter()
    refused: dict[str, Counter] = {}
    inner: list[dict[str, Any]] = []
    for value in values:
        if value:
            row = json.loads(value)
            dropped_op.update(row["dropped_by_op"])
            dropped_label.update(row["dropped_by_label"])
            for name, by_label in row.get("refused_by_filter", {}).items():
                refused.setdefault(name, Counter()).update(by_label)
            totals.update({k: row[k] for k in ("candidates", "kept", "rows_short", "filled")})
            if "augmenter" in row:  # the wrapped step's own counts (e.g. an LLM's requests and tokens)
                inner.append(row["augmenter"])
    merged = {**dict(totals), "dropped": sum(dropped_op.values()), "dropped_by_op": dict(dropped_op),
              "dropped_by_label": dict(dropped_label),
              # each filter's refusals per label; a candidate two filters refuse counts for both
              "refused_by_filter": {name: dict(c) for name, c in refused.items()}}
    if inner:
        merged["augmenter"] = total_counts(inner)
    return merged


@dataclass(frozen=True)
class Filtered(Augmenter):
    """``augmenter``'s outputs that pass every filter; see the module docstring.

    ``Filtered(EDA(n_aug=4), filters=[SimilarityFilter()])``: the augmenter comes first, as in
    TextAttack's ``Augmenter(transformation, constraints=...)``; everything else by keyword. Rows
    kept per source are the wrapped augmenter's ``n_aug`` unless ``n_aug`` is given here.
    """

    augmenter: Augmenter = field(metadata={"help": "the augmenter whose candidates are filtered"})
    _: KW_ONLY
    n_aug: int | None = field(default=None, metadata={  # type: ignore[assignment]
        "help": "augmented rows kept per input row (default: the wrapped augmenter's n_aug)"})
    filters: tuple[Any, ...] = field(default=(), metadata={"help": "SimilarityFilter, ConfidenceFilter, ..."})
    oversample: int = field(default=2, metadata={"help": "candidates drawn per output kept"})
    fill: str = field(default="fewer", metadata={"help": "when fewer pass: 'fewer' keeps fewer, 'best' fills with the best rejects"})
    label_column: str = field(default="label", metadata={"help": "column of the labels the filters see"})
    name: ClassVar[str] = "filtered"
    #: the counts of what the filters dropped, carried per row and summed by augment_dataset
    side_output: ClassVar[SideOutput] = SideOutput(FILTER_STATS, FILTER_STATS_KEY, merge_filter_stats)

    def __post_init__(self) -> None:
        if not isinstance(self.augmenter, Augmenter):
            raise ValueError(f"Filtered needs a textaug Augmenter, got {type(self.augmenter).__name__}")
        if self.n_aug is None:  # the wrapped augmenter's count, never a silent 1
            object.__setattr__(self, "n_aug", self.augmenter.n_aug)
        super().__post_init__()
        filters = tuple(self.filters)
        if not filters or not all(callable(f) and hasattr(f, "needs_labels") for f in filters):
            raise ValueError(f"filters must be a non-empty list of filters (SimilarityFilter, ConfidenceFilter), "
                             f"got {self.filters!r}")
        object.__setattr__(self, "filters", filters)
        if isinstance(self.oversample, bool) or not isinstance(self.oversample, int) or self.oversample < 1:
            raise ValueError(f"oversample must be a positive integer, got {self.oversample!r}")
        if self.fill not in FILLS:
            raise ValueError(f"fill must be one of {list(FILLS)}, got {self.fill!r}")

    @property
    def op_name(self) -> str:
        return self.augmenter.op_name

    @property
    def extra_columns(self) -> tuple[str, ...]:  # type: ignore[override]
        return self.augmenter.extra_columns

    def extra_features(self) -> dict[str, Any]:
        return self.augmenter.extra_features()

    @property
    def reproducible(self) -> str:  # type: ignore[override]
        return self.augmenter.reproducible

    def augment_batch_counted(self, batch, texts, indices, rank):
        labels = batch.get(self.label_column)
        if labels is None and any(f.needs_labels for f in self.filters):
            raise ValueError(f"a filter needs the labels, but the data has no column {self.label_column!r}; "
                             f"its columns are {sorted(batch)}")
        return self._select(texts, indices, labels, rank, batch)

    def augment_batch(self, texts, indices, rank=None):
        return self._select(texts, indices, None, rank)[0]

    def _select(self, texts: Sequence[str | None], indices: Sequence[int], labels: Sequence[Any] | None,
                rank: int | None, batch: Any = None) -> tuple[list, list[dict]]:
        child = dataclasses.replace(self.augmenter, n_aug=self.n_aug * self.oversample, keep_original=True)
        inner: list[dict] | None = None
        if batch is not None and child.side_output is not None:  # the wrapped step's own counts (an LLM's)
            drawn, inner = child.augment_batch_counted(batch, texts, indices, rank)
        else:
            drawn = child.augment_batch(texts, indices, rank=rank)
        flat = [(i, out[0], out[1], out[2:]) for i, made in enumerate(drawn) if made for out in made]
        outputs: list[list[tuple[str, str]] | None] = [None] * len(texts)
        stats: list[dict] = [{} for _ in texts]
        if not flat:
            return outputs, stats
        sources = [texts[i] for i, *_ in flat]
        candidates = [t for _, t, *_ in flat]
        row_labels = [labels[i] for i, *_ in flat] if labels is not None else None
        passed = np.ones(len(flat), dtype=bool)
        score = np.zeros(len(flat))
        refused: dict[str, np.ndarray] = {}  # per filter: the candidates it said no to
        for f in self.filters:  # every filter sees the whole batch of candidates at once
            ok, s = f(sources, candidates, row_labels)
            ok = np.asarray(ok, dtype=bool)
            refused[_unique_name(refused, f)] = ~ok
            passed &= ok
            score += np.asarray(s, dtype=float)
        by_row: dict[int, list[int]] = {}
        for j, (i, *_) in enumerate(flat):
            by_row.setdefault(i, []).append(j)
        for i, js in by_row.items():
            kept: list[int] = []
            for j in js:
                if passed[j] and candidates[j] not in {candidates[k] for k in kept} and len(kept) < self.n_aug:
                    kept.append(j)
            short = len(kept) < self.n_aug
            filled = 0
            if short and self.fill == "best":
                for j in sorted((j for j in js if j not in kept), key=lambda j: -score[j]):
                    if len(kept) == self.n_aug:
                        break
                    kept.append(j)
                    filled += 1
            outputs[i] = [(candidates[j], flat[j][2], *flat[j][3]) for j in kept]
            dropped = [j for j in js if not passed[j]]
            label = str(labels[i]) if labels is not None else "?"
            stats[i] = {"candidates": len(js), "kept": len(kept), "rows_short": int(short), "filled": filled,
                        "dropped_by_op": dict(Counter(flat[j][2] for j in dropped)),
                        "dropped_by_label": {label: len(dropped)} if dropped else {},
                        "refused_by_filter": {name: {label: n} for name, no in refused.items()
                                              if (n := int(no[js].sum()))}}
            if inner is not None and inner[i]:
                stats[i]["augmenter"] = inner[i]
        total = int((~passed).sum())
        if total:
            _log.info("filtered: %d of %d candidates dropped in this batch", total, len(flat))
        return outputs, stats
