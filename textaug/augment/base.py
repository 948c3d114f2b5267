"""The Augmenter contract: a frozen configuration that is also a batched ``datasets.map`` step.

``ds.map(aug, batched=True, with_indices=True)`` returns a larger batch: for every input row the
original (when ``keep_original``) and then exactly ``n_aug`` augmented rows, every other column
copied, plus two provenance columns, ``aug_op`` and ``aug_source``.

Randomness comes from one ``random.Random`` per input row, seeded from (augmenter name, seed, row
index), never from global state: the output is the same whatever ``batch_size`` or ``num_proc``.

One primitive: :meth:`Augmenter.augment_batch` is the only thing a subclass implements, and the
``datasets.map`` step, :meth:`Augmenter.generate` and ``augment_dataset`` all derive from it, so
the per-text and the dataset paths cannot disagree. :class:`TextAugmenter` implements it for an
augmenter that edits one text at a time (``augment(text, rng)``). A step with counts to report
(the filters) declares a :class:`SideOutput`: ``augment_dataset`` sums it over batches and
workers into ``info.description``, whatever the augmenter.
"""

from __future__ import annotations

import json
import random
import zlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, is_dataclass, replace
from functools import lru_cache
from typing import Any, ClassVar

from .lexicon import STOPWORDS

__all__ = ["Augmenter", "TextAugmenter", "SideOutput", "AUG_OP", "AUG_SOURCE", "ORIGINAL", "assemble", "check_fraction", "check_positive_ints",
           "normalize_stopwords", "passes_through", "live_rows", "sum_counts", "total_counts"]

#: Provenance columns added to every augmented dataset.
AUG_OP = "aug_op"
AUG_SOURCE = "aug_source"
#: ``aug_op`` of a row copied unchanged from the input.
ORIGINAL = "original"

_MAX_SEED = 2**40  # seed and row index are packed side by side into one integer seed


@lru_cache(maxsize=None)
def _salt(name: str) -> int:
    """Per-augmenter-type bits of the row seed: two augmenters with one seed draw differently."""
    return zlib.crc32(name.encode()) << 80


def passes_through(text: Any) -> bool:
    """The pass-through rule, declared once: ``None``, empty and whitespace-only texts are copied
    once, unchanged, and get no augmented rows."""
    return text is None or not isinstance(text, str) or not text.strip()


def live_rows(texts: Sequence[Any]) -> list[int]:
    """Positions of the texts an augmenter works on (every one that does not pass through)."""
    return [i for i, t in enumerate(texts) if not passes_through(t)]


def _check_int(name: str, value: Any, low: int, high: int | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if value < low or (high is not None and value >= high):
        bound = f">= {low}" if high is None else f"in [{low}, {high})"
        raise ValueError(f"{name} must be {bound}, got {value}")


def check_positive_ints(aug: Any, *names: str) -> None:
    """Raise ValueError unless each named field of ``aug`` is an integer >= 1."""
    for name in names:
        _check_int(name, getattr(aug, name), 1)


def normalize_stopwords(aug: Any) -> frozenset[str]:
    """Check ``aug.stopwords`` (None or a list of strings), store it lower-cased, sorted and
    hashable, and return the set in force (None: the English list)."""
    stopwords = aug.stopwords
    if stopwords is None:
        return STOPWORDS
    if isinstance(stopwords, str) or not all(isinstance(w, str) for w in stopwords):
        raise ValueError("stopwords must be None or a list of strings")
    object.__setattr__(aug, "stopwords", tuple(sorted({w.lower() for w in stopwords})))
    return frozenset(aug.stopwords)


def check_fraction(name: str, value: Any, *, allow_zero: bool = True) -> None:
    """Raise ValueError unless ``value`` is a number in [0, 1] (or (0, 1])."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number in [0, 1], got {value!r}")
    if not (0 <= value <= 1) or (not allow_zero and value == 0):
        bound = "[0, 1]" if allow_zero else "(0, 1]"
        raise ValueError(f"{name} must be in {bound}, got {value}")


def total_counts(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The sum of per-row counts: numbers, or objects of numbers summed key by key."""
    totals: dict[str, Any] = {}
    for counts in rows:
        for key, count in counts.items():
            if isinstance(count, dict):
                inner = totals.setdefault(key, {})
                for k, v in count.items():
                    inner[k] = inner.get(k, 0) + v
            else:
                totals[key] = totals.get(key, 0) + count
    return {k: round(v, 6) if isinstance(v, float) else v for k, v in totals.items()}


def sum_counts(values: Sequence[str]) -> dict[str, Any]:
    """:func:`total_counts` of per-row JSON (a :class:`SideOutput`'s ``merge`` for any step whose
    counts are of that shape)."""
    return total_counts(json.loads(value) for value in values if value)


@dataclass(frozen=True)
class SideOutput:
    """Counts a map step reports beside its rows: each batch writes a JSON object (or "") per
    output row into ``column``; ``augment_dataset`` removes the column and stores ``merge`` of its
    values under ``key`` in ``info.description`` (and the log)."""

    column: str
    key: str
    merge: Callable[[Sequence[str]], dict[str, Any]]


@dataclass(frozen=True, kw_only=True)
class Augmenter(ABC):
    """Base of every augmenter. Subclasses implement :meth:`augment_batch` (one call per batch, so a
    model-backed augmenter runs its model once per batch); :class:`TextAugmenter` implements it
    for augmenters that edit one text at a time.

    ``None``, empty and whitespace-only texts pass through unchanged: the row appears once, as an
    original, even with ``keep_original=False``, and gets no augmented copies (copies of nothing
    would only duplicate the row). Every other row gets exactly ``n_aug`` outputs.
    """

    column: str = field(default="text", metadata={"help": "name of the text column to augment"})
    n_aug: int = field(default=1, metadata={"help": "augmented rows generated per input row"})
    keep_original: bool = field(default=True, metadata={"help": "keep each original row before its augmentations"})
    seed: int = field(default=0, metadata={"help": "seed; with the row index it fixes every random choice"})

    #: Operation name written to ``aug_op``.
    name: ClassVar[str] = "augment"
    #: The recipe name this class answers to in spec strings (``"eda:alpha=0.05"``), None if none;
    #: the field(s) a spec's ``alpha`` sets; and the model-card tags of its operations.
    recipe: ClassVar[str | None] = None
    rate_fields: ClassVar[tuple[str, ...]] = ()
    tags: ClassVar[tuple[str, ...]] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.column, str) or not self.column:
            raise ValueError(f"column must be a non-empty string, got {self.column!r}")
        _check_int("n_aug", self.n_aug, 1)
        if not isinstance(self.keep_original, bool):
            raise ValueError(f"keep_original must be True or False, got {self.keep_original!r}")
        _check_int("seed", self.seed, 0, _MAX_SEED)

    #: Counts this step reports beside its rows (see :class:`SideOutput`); None for most.
    side_output: ClassVar[SideOutput | None] = None
    #: Columns this step adds to its output rows (e.g. which rows an LLM was shown): an output
    #: of :meth:`augment_batch` is then ``(text, op, {column: value})``; an original row gets None.
    extra_columns: ClassVar[tuple[str, ...]] = ()

    def extra_features(self) -> dict[str, Any]:
        """The ``datasets`` feature of each of :attr:`extra_columns`."""
        return {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # The contract has one primitive: a per-text augment() on an Augmenter would be a second
        # path that the dataset run never takes. Say so when the class is defined.
        if "augment" in cls.__dict__ and not getattr(cls, "_per_text", False):
            raise TypeError(f"{cls.__name__} defines augment(text, rng): subclass textaug.augment.TextAugmenter "
                            "for a per-text augmenter, or implement augment_batch(texts, indices, rank)")

    @property
    def op_name(self) -> str:
        """What ``aug_op`` says of this augmenter's outputs."""
        return self.name

    @abstractmethod
    def augment_batch(self, texts: Sequence[str | None], indices: Sequence[int],
                      rank: int | None = None) -> list[list[tuple[str, str]] | None]:
        """Outputs for a batch: ``None`` for a pass-through text (:func:`passes_through`), else
        exactly ``n_aug`` ``(text, operation name)`` pairs, drawing randomness only from
        :meth:`rng` of each row's index. ``rank`` is the datasets worker's
        (``ds.map(..., with_rank=True)``), which picks a model-backed augmenter's GPU."""

    def rng(self, index: int) -> random.Random:
        """The random generator for input row ``index`` (what :meth:`augment_batch` uses)."""
        return random.Random(_salt(self.name) | (self.seed << 40) | (index % _MAX_SEED))

    def generate(self, text: str, index: int = 0) -> list[str]:
        """The ``n_aug`` augmented versions of one text, as row ``index`` of a dataset would get.

        Derived from :meth:`augment_batch`, the path a dataset run takes, so the two agree for
        every augmenter, composed and model-backed ones included (the latter up to their stated
        batch dependence, see ``reproducible``)."""
        made = self.augment_batch([text], [index])[0]
        return [] if made is None else [t for t, _ in made]

    def bind(self, ds: Any) -> "Augmenter":
        """This augmenter with what it must know of the whole dataset before its batches run
        (``augment_dataset`` calls it; a batch sees only its own rows): e.g. an LLM prompt's label
        names from a ``ClassLabel``. By default nothing, and augmenters inside it bound."""
        changes: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Augmenter):
                bound = value.bind(ds)
            elif isinstance(value, tuple) and value and all(isinstance(v, Augmenter) for v in value):
                bound = tuple(v.bind(ds) for v in value)
                bound = value if all(a is b for a, b in zip(bound, value)) else bound
            else:
                continue
            if bound is not value:
                changes[f.name] = bound
        return replace(self, **changes) if changes else self

    def config(self) -> dict[str, Any]:
        """The recipe: class name and every field, JSON-friendly (for model cards and logs)."""
        # fields bind() fills from the data (an LLM's example pool) are the data's, not the recipe's
        params = {f.name: getattr(self, f.name) for f in fields(self) if not f.metadata.get("bound")}
        return {"augmenter": type(self).__name__, **_jsonable(params)}

    # -- the datasets.map step --------------------------------------------------------------
    #: How reproducible the output is; docs/augmenters.md states it per augmenter.
    reproducible: ClassVar[str] = "the same output for any batch size and process count"

    def __call__(self, batch: Mapping[str, list], indices: Sequence[int] | None = None,
                 rank: int | None = None) -> dict[str, list]:
        if indices is None or isinstance(indices, int):
            raise ValueError(
                f"{type(self).__name__} is a batched map step with row indices: "
                "use ds.map(aug, batched=True, with_indices=True) or textaug.augment_dataset(ds, aug)"
            )
        texts = self._texts(batch)
        if self.side_output is None:
            return assemble(batch, self.column, indices, self.keep_original,
                            self.augment_batch(texts, indices, rank=rank), self.extra_columns)
        outputs, counts = self.augment_batch_counted(batch, texts, indices, rank)
        out = assemble(batch, self.column, indices, self.keep_original, outputs, self.extra_columns)
        carrier: list[str] = []
        for made, row_counts in zip(outputs, counts):  # a row's counts ride on the first row of its group
            size = (1 if self.keep_original or made is None else 0) + len(made or [])
            carrier += [json.dumps(row_counts) if row_counts else ""] + [""] * (size - 1)
        out[self.side_output.column] = carrier
        return out

    def augment_batch_counted(self, batch: Mapping[str, list], texts: Sequence[str | None], indices: Sequence[int],
                              rank: int | None) -> tuple[list[list[tuple[str, str]] | None], list[dict[str, Any]]]:
        """The hook of a step with a :attr:`side_output`: its outputs (as :meth:`augment_batch`)
        and one JSON-friendly dict of counts per input row, with the whole batch at hand (e.g. a
        label column)."""
        raise NotImplementedError(f"{type(self).__name__} declares a side_output: implement augment_batch_counted")

    def _texts(self, batch: Mapping[str, list]) -> list:
        if self.column not in batch:
            raise ValueError(
                f"text column {self.column!r} not found; the dataset has columns {sorted(batch)}"
            )
        texts = batch[self.column]
        if isinstance(texts, str):
            raise ValueError(f"{type(self).__name__} needs batches: use ds.map(aug, batched=True, with_indices=True)")
        for text in texts:
            if text is not None and not isinstance(text, str):
                raise ValueError(
                    f"text column {self.column!r} must hold strings, found {type(text).__name__} "
                    f"{text!r}; the dataset has columns {sorted(batch)}"
                )
        return texts


@dataclass(frozen=True, kw_only=True)
class TextAugmenter(Augmenter):
    """An augmenter that edits one text at a time: subclasses implement :meth:`augment` (and may
    override :meth:`augment_many` to share work between the ``n_aug`` outputs of one text);
    :meth:`augment_batch` runs them row by row, each row with its own generator."""

    _per_text: ClassVar[bool] = True

    @abstractmethod
    def augment(self, text: str, rng: random.Random) -> str:
        """One augmented version of a non-empty ``text``, drawing randomness only from ``rng``."""

    def augment_many(self, text: str, rng: random.Random, n: int) -> list[tuple[str, str]]:
        """``n`` augmented versions of ``text`` as ``(text, operation name)`` pairs."""
        return [(self.augment(text, rng), self.op_name) for _ in range(n)]

    def augment_batch(self, texts: Sequence[str | None], indices: Sequence[int],
                      rank: int | None = None) -> list[list[tuple[str, str]] | None]:
        return [None if passes_through(text) else self.augment_many(text, self.rng(index), self.n_aug)
                for text, index in zip(texts, indices)]


def _jsonable(value: Any) -> Any:
    if isinstance(value, Augmenter):
        return value.config()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if is_dataclass(value) and not isinstance(value, type):  # a filter: its class and fields
        return {"filter": type(value).__name__, **{f.name: _jsonable(getattr(value, f.name)) for f in fields(value)}}
    return repr(value)


def assemble(
    batch: Mapping[str, list],
    column: str,
    indices: Sequence[int],
    keep_original: bool,
    outputs: Sequence[list[tuple] | None],
    extra_columns: Sequence[str] = (),
) -> dict[str, list]:
    """The enlarged batch: originals (and pass-throughs), each followed by its outputs, every
    other column copied, provenance recorded (or extended, when the batch already has it). An
    output ``(text, op, extras)`` sets ``extra_columns`` on its row (an original keeps the
    batch's value, or None)."""
    texts = batch[column]
    has_provenance = AUG_OP in batch and AUG_SOURCE in batch
    prev_ops = batch[AUG_OP] if has_provenance else None
    source: list[int] = []  # position in the batch of each output row
    out_texts: list[Any] = []
    out_ops: list[str] = []
    extras: dict[str, list] = {name: [] for name in extra_columns}
    for pos, made in enumerate(outputs):
        prev = prev_ops[pos] if prev_ops is not None else ORIGINAL
        if keep_original or made is None:
            source.append(pos)
            out_texts.append(texts[pos])
            out_ops.append(prev)
            for name, values in extras.items():
                values.append(batch[name][pos] if name in batch else None)
        if made:
            for new_text, op, *more in made:
                source.append(pos)
                out_texts.append(new_text)
                out_ops.append(op if prev == ORIGINAL else f"{prev}+{op}")
                for name, values in extras.items():
                    values.append(more[0].get(name) if more else None)
    out: dict[str, list] = {}
    for key, values in batch.items():
        if key == column:
            out[key] = out_texts
        elif key != AUG_OP and key not in extras:
            out[key] = [values[i] for i in source]
    out.update(extras)
    out[AUG_OP] = out_ops
    if not has_provenance:
        out[AUG_SOURCE] = [int(indices[i]) for i in source]
    return out

