"""Length-grouped batches: texts of similar length share a batch, so dynamic padding pads little.

The order is a pure function of (seed, epoch): every process computes the same batches, and a
resumed run can start mid-epoch at the batch it stopped at.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

__all__ = ["LengthGroupedBatches"]


class LengthGroupedBatches:
    """A batch sampler over ``lengths``.

    Each epoch: shuffle, cut into mega-batches of ``batch_size * mega`` rows, sort each by length,
    cut into batches, shuffle the batches (as ``transformers``' ``LengthGroupedSampler`` does, plus
    the batch shuffle, so long batches are not always first). With ``group_by_length=False`` it is a
    plain seeded shuffle.

    Deliberately has no ``set_epoch``: accelerate would call it with its own iteration counter,
    which restarts at 0 after a resume. :meth:`position` sets the epoch and the first batch.
    """

    def __init__(self, lengths: Sequence[int], batch_size: int, seed: int, group_by_length: bool = True,
                 shuffle: bool = True, mega: int = 50) -> None:
        self.lengths = np.asarray(lengths)
        self.batch_size = batch_size
        self.seed = seed
        self.group_by_length = group_by_length
        self.shuffle = shuffle
        self.mega = mega
        self.epoch = 0
        self.start = 0
        self.drop_last = False  # read by accelerate's BatchSamplerShard

    def position(self, epoch: int, start: int = 0) -> None:
        self.epoch, self.start = epoch, start

    def batches(self, epoch: int) -> list[list[int]]:
        """This epoch's batches. Without shuffling (evaluation) the order is fixed: by length when
        grouping, else as given. A short last batch stays last, where accelerate's sharding and
        ``gather_for_metrics`` expect it."""
        if not self.shuffle:
            order = np.argsort(self.lengths, kind="stable") if self.group_by_length else np.arange(len(self.lengths))
            return [order[i:i + self.batch_size].tolist() for i in range(0, len(order), self.batch_size)]
        rng = np.random.default_rng([self.seed, epoch])
        order = rng.permutation(len(self.lengths))
        if self.group_by_length:
            size = self.batch_size * self.mega
            chunks = [order[i:i + size] for i in range(0, len(order), size)]
            # stable sort, longest first within each mega-batch
            order = np.concatenate([c[np.argsort(-self.lengths[c], kind="stable")] for c in chunks])
        batches = [order[i:i + self.batch_size].tolist() for i in range(0, len(order), self.batch_size)]
        if self.group_by_length:
            full = len(self.lengths) // self.batch_size
            batches = [batches[i] for i in rng.permutation(full)] + batches[full:]
        return batches

    def __iter__(self) -> Iterator[list[int]]:
        yield from self.batches(self.epoch)[self.start:]

    def __len__(self) -> int:
        return -(-len(self.lengths) // self.batch_size)
