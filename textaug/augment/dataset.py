"""Running an augmenter over a ``Dataset`` or ``DatasetDict``."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .base import AUG_OP, AUG_SOURCE, Augmenter

if TYPE_CHECKING:
    from datasets import Dataset, DatasetDict

__all__ = ["augment_dataset", "check_text_column", "label_budgets", "AUGMENTATION_STATS", "FILTER_STATS_KEY",
           "augmentation_stats", "filter_stats", "side_output_stats", "describe_unchanged", "uses_a_device"]

#: The key in an augmented dataset's ``info.description`` (JSON) under which the rows each
#: operation made, and how many of them equal their source text, are kept.
AUGMENTATION_STATS = "textaug_augmentation"
#: The key under which a filtered step's counts are kept there.
FILTER_STATS_KEY = "textaug_filter_stats"


def check_text_column(ds: "Dataset", column: str) -> None:
    """Raise ValueError unless ``column`` exists and holds strings."""
    if column not in ds.column_names:
        raise ValueError(f"text column {column!r} not found; the dataset has columns {ds.column_names}")
    feature = ds.features[column]
    dtype = getattr(feature, "dtype", None)
    if dtype not in ("string", "large_string"):
        raise ValueError(
            f"text column {column!r} must hold strings, but its type is {feature}; "
            f"the dataset has columns {ds.column_names}"
        )


@dataclass(frozen=True)
class _Reindexed:
    """``aug`` over a subset of rows, seeded and labelled by their indices in the whole dataset, so a
    row gets the same augmentations whichever subset it is augmented in."""

    aug: Augmenter
    rows: tuple[int, ...]

    def __call__(self, batch, indices, rank=None):
        return self.aug(batch, [self.rows[i] for i in indices], rank)


def label_budgets(ds: "Dataset", n_aug: int, label_column: str = "label", *, balance: bool = False,
                  per_label: Mapping[Any, int] | None = None) -> dict[Any, int]:
    """``n_aug`` per label value. ``per_label`` names it (by value, or by ClassLabel name);
    ``balance`` gives rarer classes more, so that every class ends with about as many rows as the
    largest one gets with ``n_aug``: ``round(largest * (1 + n_aug) / count) - 1`` (at least 0)."""
    from collections import Counter

    from datasets import ClassLabel

    if label_column not in ds.column_names:
        raise ValueError(f"label column {label_column!r} not found; the dataset has columns {ds.column_names}")
    counts = Counter(ds[label_column])
    feature = ds.features[label_column]
    name = (lambda v: feature.int2str(v)) if isinstance(feature, ClassLabel) else str
    if per_label is not None:
        given = {str(k): v for k, v in per_label.items()}
        unknown = sorted(set(given) - {str(v) for v in counts} - {name(v) for v in counts})
        if unknown:
            raise ValueError(f"n_aug given for labels {unknown} that the data does not have; its labels: "
                             f"{sorted(name(v) for v in counts)}")
        budgets = {v: given.get(str(v), given.get(name(v), n_aug)) for v in counts}
        bad = {k: v for k, v in budgets.items() if isinstance(v, bool) or not isinstance(v, int) or v < 0}
        if bad:
            raise ValueError(f"n_aug per label must be integers >= 0, got {bad}")
        return budgets
    if balance:
        largest = max(counts.values())
        return {v: max(0, round(largest * (1 + n_aug) / c) - 1) for v, c in counts.items()}
    return {v: n_aug for v in counts}


def augment_dataset(
    ds: "Dataset | DatasetDict",
    aug: Augmenter,
    *,
    num_proc: int | None = None,
    batch_size: int = 1000,
    splits: Sequence[str] = ("train",),
    load_from_cache_file: bool | None = None,
    desc: str | None = None,
    balance: bool = False,
    n_aug_per_label: Mapping[Any, int] | None = None,
    label_column: str = "label",
) -> "Dataset | DatasetDict":
    """``ds.map(aug, batched=True, with_indices=True)`` with the output features spelled out.

    On a ``DatasetDict`` only ``splits`` (default: train) are augmented; evaluation splits are
    returned untouched. Every other column keeps its feature type (a ``ClassLabel`` stays one).
    With a :class:`~textaug.augment.filters.Filtered` step, what the filters dropped (per
    operation and per label) is returned in ``info.description`` as JSON.

    Class-aware budgets: ``n_aug_per_label`` ({label: n}) or ``balance=True`` (see
    :func:`label_budgets`) augment each class with its own ``n_aug``; rows keep their order and a
    row's augmentations are the ones it would get with that ``n_aug`` alone.
    """
    from datasets import Dataset, DatasetDict

    if not isinstance(aug, Augmenter):
        raise ValueError(f"aug must be a textaug Augmenter, got {type(aug).__name__}")
    if isinstance(ds, DatasetDict):
        missing = [s for s in splits if s not in ds]
        if missing:
            raise ValueError(f"split(s) {missing} not found; the dataset has splits {list(ds)}")
        return DatasetDict(
            {
                name: augment_dataset(part, aug, num_proc=num_proc, batch_size=batch_size,
                                      load_from_cache_file=load_from_cache_file, desc=desc, balance=balance,
                                      n_aug_per_label=n_aug_per_label, label_column=label_column)
                if name in splits else part
                for name, part in ds.items()
            }
        )
    if not isinstance(ds, Dataset):
        raise ValueError(f"expected a datasets.Dataset or DatasetDict, got {type(ds).__name__}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    if num_proc is not None and (isinstance(num_proc, bool) or not isinstance(num_proc, int) or num_proc < 1):
        raise ValueError(f"num_proc must be None or a positive integer, got {num_proc!r}")
    check_text_column(ds, aug.column)
    aug = aug.bind(ds)
    kw = {"num_proc": num_proc, "batch_size": batch_size, "load_from_cache_file": load_from_cache_file, "desc": desc}
    if balance or n_aug_per_label is not None:
        budgets = label_budgets(ds, aug.n_aug, label_column, balance=balance, per_label=n_aug_per_label)
        out = _with_side_output(_augment_per_label(ds, aug, budgets, label_column, **kw), aug)
    else:
        out = _with_side_output(_map(ds, aug, aug, **kw), aug)
    return _with_unchanged_counts(out, ds, aug.column)


def _features(ds: "Dataset", aug: Augmenter):
    from datasets import Value

    features = ds.features.copy()
    features[AUG_OP] = Value("string")
    features.setdefault(AUG_SOURCE, Value("int64"))
    if aug.side_output is not None:
        features[aug.side_output.column] = Value("string")
    features.update(aug.extra_features())
    return features


def uses_a_device(obj: Any) -> bool:
    """True when ``obj`` (an augmenter, filter, or anything inside one) places a model on a device."""
    import dataclasses

    if not dataclasses.is_dataclass(obj):
        return False
    if any(f.name == "device" for f in dataclasses.fields(obj)):
        return True
    return any(uses_a_device(child) for f in dataclasses.fields(obj)
               for child in (getattr(obj, f.name) if isinstance(getattr(obj, f.name), tuple) else (getattr(obj, f.name),)))


def _map(ds: "Dataset", step, aug: Augmenter, *, num_proc, batch_size, load_from_cache_file, desc) -> "Dataset":
    """One ``ds.map`` of an augmentation step (``aug`` itself, or ``aug`` re-indexed)."""
    return ds.map(
        step,
        batched=True,
        with_indices=True,
        # A model-backed augmenter puts worker `rank` on its own GPU. Only then: with a rank,
        # datasets imports torch in every worker (about a second each), which the EDA family,
        # done in half a second, would pay for nothing (2 processes on 59,576 rows: 31k -> 22k/s).
        with_rank=uses_a_device(aug),
        batch_size=batch_size,
        num_proc=num_proc if num_proc and num_proc > 1 and len(ds) > 1 else None,
        features=_features(ds, aug),
        load_from_cache_file=load_from_cache_file,
        desc=desc or f"augment ({aug.op_name})",
    )


def _with_side_output(out: "Dataset", aug: Augmenter) -> "Dataset":
    """The step's side output (e.g. what the filters dropped), summed over every batch and worker,
    moved from its carrier column into ``info.description`` (and the log)."""
    side = aug.side_output
    if side is None or side.column not in out.column_names:
        return out
    totals = side.merge(out[side.column])
    out = out.remove_columns(side.column)
    _describe_in_info(out, side.key, totals)
    logging.getLogger(__name__).info("%s: %s", side.key, totals)
    return out


def _augment_per_label(ds: "Dataset", aug: Augmenter, budgets: dict[Any, int], label_column: str,
                       **kw: Any) -> "Dataset":
    """Each class through ``aug`` with its own ``n_aug``; the parts merged back in row order."""
    import dataclasses

    from datasets import concatenate_datasets

    labels = ds[label_column]
    parts = []
    for value, n in budgets.items():
        rows = tuple(i for i, v in enumerate(labels) if v == value)
        subset = ds.select(rows)
        if n == 0:  # this class is not augmented: its rows as originals
            extra = {aug.side_output.column: [""] * len(rows)} if aug.side_output is not None else {}
            extra.update({name: [None] * len(rows) for name in aug.extra_columns if name not in ds.column_names})
            part = subset.map(lambda b, idx: {AUG_OP: ["original"] * len(idx), AUG_SOURCE: [rows[i] for i in idx],
                                              **{k: v[: len(idx)] for k, v in extra.items()}},
                              batched=True, with_indices=True, features=_features(subset, aug))
        else:
            step = dataclasses.replace(aug, n_aug=n)
            part = _map(subset, _Reindexed(step, rows), step, **{**kw, "desc": kw.get("desc") or
                                                                   f"augment ({aug.op_name}, n_aug={n} for {value!r})"})
        parts.append(part)
    # Arrow's sort is stable: each source row's original and outputs stay together, in order
    return concatenate_datasets(parts).sort(AUG_SOURCE)


def _describe_in_info(ds: "Dataset", key: str, value: Any) -> None:
    """``value`` under ``key`` in the JSON object that ``ds.info.description`` holds."""
    import json

    try:
        described = json.loads(ds.info.description or "{}")
    except json.JSONDecodeError:
        described = None
    if not isinstance(described, dict):  # a hub dataset's own description, kept beside
        described = {"description": ds.info.description} if ds.info.description else {}
    described[key] = value
    ds.info.description = json.dumps(described)


def _with_unchanged_counts(out: "Dataset", source: "Dataset", column: str) -> "Dataset":
    """Per operation, the rows it made and how many of them equal their source text, into
    ``info.description``: an augmenter with nothing to work on (a script its resources do not
    cover, a one-word text) passes texts through tagged with its operation, and this says so."""
    from collections import Counter

    texts = list(source[column])  # a plain list: indexing a datasets Column row by row is 100x slower
    made, unchanged = Counter(), Counter()
    for batch in out.select_columns([column, AUG_OP, AUG_SOURCE]).iter(batch_size=10_000):
        for text, op, row in zip(batch[column], batch[AUG_OP], batch[AUG_SOURCE]):
            if op == "original":
                continue
            made[op] += 1
            unchanged[op] += text == texts[row]
    _describe_in_info(out, AUGMENTATION_STATS,
                      {"by_operation": {op: {"rows": made[op], "unchanged": unchanged[op]} for op in sorted(made)}})
    return out


def _described(ds: "Dataset") -> dict[str, Any]:
    """The JSON object ``info.description`` holds ({} for a description of another kind)."""
    import json

    try:
        described = json.loads(ds.info.description or "{}")
    except json.JSONDecodeError:
        return {}
    return described if isinstance(described, dict) else {}


def augmentation_stats(ds: "Dataset") -> dict[str, dict[str, int]]:
    """{operation: {"rows": made, "unchanged": equal to their source}} of a dataset
    :func:`augment_dataset` returned ({} for any other)."""
    return (_described(ds).get(AUGMENTATION_STATS) or {}).get("by_operation", {})


def side_output_stats(ds: "Dataset", key: str) -> dict[str, Any] | None:
    """What a step with a side output reported under ``key`` (None when it did not run)."""
    return _described(ds).get(key)


def filter_stats(ds: "Dataset") -> dict[str, Any] | None:
    """What the filters of a :class:`~textaug.augment.filters.Filtered` step dropped and kept
    (None when no filter ran)."""
    return side_output_stats(ds, FILTER_STATS_KEY)


def describe_unchanged(ds: "Dataset") -> str | None:
    """One line for the summary when some augmented rows equal their source, else None."""
    stats = augmentation_stats(ds)
    total = sum(s["rows"] for s in stats.values())
    same = sum(s["unchanged"] for s in stats.values())
    if not same:
        return None
    parts = ", ".join(f"{op} {s['unchanged']:,} of {s['rows']:,}" for op, s in stats.items() if s["unchanged"])
    return (f"unchanged: {same:,} of {total:,} augmented rows equal their source text ({parts}); "
            "the augmenter had nothing to change in them")
