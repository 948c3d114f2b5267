"""Length-grouped batches: permutations per epoch, grouped by length, fixed by (seed, epoch),
resumable at any batch."""

from __future__ import annotations

import numpy as np

from textaug.sampling import LengthGroupedBatches

LENGTHS = np.random.default_rng(0).integers(1, 80, 1003).tolist()


def _flat(batches):
    return [i for b in batches for i in b]


def test_each_epoch_is_a_permutation_in_batches_of_the_given_size():
    sampler = LengthGroupedBatches(LENGTHS, 16, seed=0, mega=4)
    for epoch in range(3):
        batches = sampler.batches(epoch)
        assert sorted(_flat(batches)) == list(range(len(LENGTHS)))
        assert len(batches) == len(sampler) == 63
        assert all(len(b) == 16 for b in batches[:-1]) and len(batches[-1]) == 1003 - 62 * 16


def test_batches_are_grouped_by_length():
    grouped = LengthGroupedBatches(LENGTHS, 16, seed=0, mega=4).batches(0)
    plain = LengthGroupedBatches(LENGTHS, 16, seed=0, group_by_length=False).batches(0)
    lengths = np.asarray(LENGTHS)

    def padding(batches):
        return sum(int(lengths[b].max()) * len(b) - int(lengths[b].sum()) for b in batches)

    # sorted within each mega-batch of 64 rows: a batch spans a narrow band of lengths
    assert padding(grouped) < padding(plain) / 3
    spans = [int(lengths[b].max() - lengths[b].min()) for b in grouped[:-1]]
    assert np.median(spans) < 20


def test_seed_and_epoch_fix_the_batches():
    a = LengthGroupedBatches(LENGTHS, 16, seed=3)
    b = LengthGroupedBatches(LENGTHS, 16, seed=3)
    assert a.batches(2) == b.batches(2)
    assert a.batches(2) != a.batches(3)
    assert a.batches(2) != LengthGroupedBatches(LENGTHS, 16, seed=4).batches(2)


def test_position_resumes_at_the_exact_batch():
    sampler = LengthGroupedBatches(LENGTHS, 16, seed=1)
    full = sampler.batches(1)
    sampler.position(1, 17)
    assert list(sampler) == full[17:]
    sampler.position(0)
    assert list(sampler) == sampler.batches(0)


def test_evaluation_order_is_fixed_and_by_length():
    sampler = LengthGroupedBatches(LENGTHS, 50, seed=0, shuffle=False)
    order = _flat(list(sampler))
    assert sorted(order) == list(range(len(LENGTHS)))
    assert [LENGTHS[i] for i in order] == sorted(LENGTHS)
    assert list(sampler) == list(LengthGroupedBatches(LENGTHS, 50, seed=9, shuffle=False))
