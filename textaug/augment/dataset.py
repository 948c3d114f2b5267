"""Running an augmenter over a ``Dataset`` or ``DatasetDict``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .base import AUG_OP, AUG_SOURCE, Augmenter

if TYPE_CHECKING:
    from datasets import Dataset, DatasetDict

__all__ = ["augment_dataset", "check_text_column"]


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


def augment_dataset(
    ds: "Dataset | DatasetDict",
    aug: Augmenter,
    *,
    num_proc: int | None = None,
    batch_size: int = 1000,
    splits: Sequence[str] = ("train",),
    load_from_cache_file: bool | None = None,
    desc: str | None = None,
) -> "Dataset | DatasetDict":
    """``ds.map(aug, batched=True, with_indices=True)`` with the output features spelled out.

    On a ``DatasetDict`` only ``splits`` (default: train) are augmented; evaluation splits are
    returned untouched. Every other column keeps its feature type (a ``ClassLabel`` stays one).
    With a :class:`~textaug.augment.filters.Filtered` step, what the filters dropped (per
    operation and per label) is returned in ``info.description`` as JSON.
    """
    from datasets import Dataset, DatasetDict, Value

    if not isinstance(aug, Augmenter):
        raise ValueError(f"aug must be a textaug Augmenter, got {type(aug).__name__}")
    if isinstance(ds, DatasetDict):
        missing = [s for s in splits if s not in ds]
        if missing:
            raise ValueError(f"split(s) {missing} not found; the dataset has splits {list(ds)}")
        return DatasetDict(
            {
                name: augment_dataset(part, aug, num_proc=num_proc, batch_size=batch_size,
                                      load_from_cache_file=load_from_cache_file, desc=desc)
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
    from .filters import FILTER_STATS, Filtered, merge_filter_stats

    features = ds.features.copy()
    features[AUG_OP] = Value("string")
    features.setdefault(AUG_SOURCE, Value("int64"))
    filtered = isinstance(aug, Filtered)
    if filtered:
        features[FILTER_STATS] = Value("string")
    out = ds.map(
        aug,
        batched=True,
        with_indices=True,
        batch_size=batch_size,
        num_proc=num_proc if num_proc and num_proc > 1 and len(ds) > 1 else None,
        features=features,
        load_from_cache_file=load_from_cache_file,
        desc=desc or f"augment ({aug.op_name})",
    )
    if filtered:
        # what the filters dropped, summed over every batch and worker, travels with the dataset
        import json
        import logging

        stats = merge_filter_stats(out[FILTER_STATS])
        out = out.remove_columns(FILTER_STATS)
        out.info.description = json.dumps({"textaug_filter_stats": stats})
        logging.getLogger(__name__).info("filters: %s", stats)
    return out
