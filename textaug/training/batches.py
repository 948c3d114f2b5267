"""Encoded rows and their loaders: length-grouped batches, dynamic padding, and ``aug_source``
carried through to every training batch (so an objective can pair an example with its
augmentations), with ``row`` (each row's index in the encoded rows, so an objective can look up
what it keeps per row) and, on the cached-features path, each row's ``features``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch

from ..augment.base import AUG_SOURCE
from ..models.encoding import pad_batch
from ..sampling import LengthGroupedBatches

if TYPE_CHECKING:
    from datasets import Dataset

__all__ = ["EncodedRows", "make_loader", "ROW", "FEATURES"]

#: Batch keys: the rows' indices in their EncodedRows, and their cached encoder features.
ROW, FEATURES = "row", "features"


@dataclass
class EncodedRows(torch.utils.data.Dataset):
    """Token ids, label ids and, for each row, the index of the original row it came from."""

    ids: list[list[int]]
    labels: list[int]
    sources: list[int]
    #: (rows, dim) encoder features, on the cached-features path (see training.features)
    features: "torch.Tensor | None" = None

    @classmethod
    def from_dataset(cls, ds: "Dataset") -> "EncodedRows":
        """From a dataset with ``input_ids`` and ``label`` (and ``aug_source`` when augmented;
        without it, each row is its own source)."""
        sources = list(ds[AUG_SOURCE]) if AUG_SOURCE in ds.column_names else list(range(len(ds)))
        return cls(list(ds["input_ids"]), list(ds["label"]), sources)

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> tuple[list[int], int, int, int]:
        return self.ids[i], self.labels[i], self.sources[i], i


def _collate(rows_: EncodedRows, pad_id: int) -> Callable:
    def collate(rows):
        batch = pad_batch([r[0] for r in rows], pad_id, [r[1] for r in rows])
        batch[AUG_SOURCE] = torch.as_tensor([r[2] for r in rows], dtype=torch.long)
        batch[ROW] = torch.as_tensor([r[3] for r in rows], dtype=torch.long)
        if rows_.features is not None:
            batch[FEATURES] = rows_.features[batch[ROW]]
        return batch

    return collate


def make_loader(rows: EncodedRows, batch_size: int, pad_id: int, seed: int, *, shuffle: bool,
                group_by_length: bool = True) -> tuple[torch.utils.data.DataLoader, LengthGroupedBatches]:
    """A DataLoader over length-grouped batches, and its sampler (whose ``position`` sets the epoch
    and first batch). The loader has its own generator, so it never draws from the global RNG."""
    sampler = LengthGroupedBatches([len(r) for r in rows.ids], batch_size, seed, group_by_length, shuffle=shuffle)
    loader = torch.utils.data.DataLoader(rows, batch_sampler=sampler, collate_fn=_collate(rows, pad_id), num_workers=0,
                                         generator=torch.Generator().manual_seed(seed))
    return loader, sampler
