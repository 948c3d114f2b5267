"""The Accelerate loop's optimizer mechanics, each on its own, on a tiny BERT: linear warm-up,
gradient clipping and gradient accumulation."""

from __future__ import annotations

import torch

from textaug.training.pipeline import train

from helpers import folder_weights, tiny_config


def _moved(before: dict, after: dict) -> float:
    """The largest change of any weight."""
    return max(float((after[k] - before[k]).abs().max()) for k in before if k in after)


def _initial(tiny_bert, tmp_path, sst2_small, **kw):
    """The weights a run starts from, to within 1e-29: the same seed, one step at lr 1e-30."""
    train_ds, _ = sst2_small
    return folder_weights(train(tiny_config(tiny_bert, tmp_path / "init", max_steps=1, lr=1e-30, warmup_ratio=0.0,
                                            select="last", **kw), train_dataset=train_ds, quiet=True).output_dir)


def test_warm_up_starts_from_a_learning_rate_of_zero(tiny_bert, sst2_small, tmp_path):
    train_ds, _ = sst2_small
    start = _initial(tiny_bert, tmp_path, sst2_small)
    # warm-up over the whole budget (round(0.9 x 1) = 1 step): the only step runs at lr 0 and moves nothing
    warm = train(tiny_config(tiny_bert, tmp_path / "warm", max_steps=1, warmup_ratio=0.9, select="last"),
                 train_dataset=train_ds, quiet=True)
    cold = train(tiny_config(tiny_bert, tmp_path / "cold", max_steps=1, warmup_ratio=0.0, select="last"),
                 train_dataset=train_ds, quiet=True)
    assert _moved(start, folder_weights(warm.output_dir)) < 1e-20
    assert _moved(start, folder_weights(cold.output_dir)) > 1e-4  # lr 3e-3 at once


def test_clipping_bounds_the_update(tiny_bert, sst2_small, tmp_path):
    """AdamW divides by the gradients' own scale, so clipping shows where the clipped norm falls
    below its epsilon (1e-8): a norm of 1e-12 leaves steps about 1e-4 of the unclipped ones."""
    train_ds, _ = sst2_small
    start = _initial(tiny_bert, tmp_path, sst2_small)
    kw = {"max_steps": 2, "warmup_ratio": 0.0, "select": "last", "weight_decay": 0.0}
    free = train(tiny_config(tiny_bert, tmp_path / "free", max_grad_norm=0.0, **kw), train_dataset=train_ds, quiet=True)
    clipped = train(tiny_config(tiny_bert, tmp_path / "clip", max_grad_norm=1e-12, **kw), train_dataset=train_ds,
                    quiet=True)
    unclipped, bounded = _moved(start, folder_weights(free.output_dir)), _moved(start, folder_weights(clipped.output_dir))
    assert unclipped > 1e-4 and bounded < unclipped * 1e-2


def test_gradient_accumulation_counts_one_step_per_group_of_batches(tiny_bert, sst2_small, tmp_path):
    train_ds, _ = sst2_small  # 48 rows: 6 batches of 8 per epoch
    kw = {"epochs": 1, "select": "last", "warmup_ratio": 0.0}
    one = train(tiny_config(tiny_bert, tmp_path / "one", grad_accum=1, **kw), train_dataset=train_ds, quiet=True)
    three = train(tiny_config(tiny_bert, tmp_path / "three", grad_accum=3, **kw), train_dataset=train_ds, quiet=True)
    assert (one.fit.global_step, three.fit.global_step) == (6, 2)
    assert one.fit.examples_seen == three.fit.examples_seen == 48  # every row trained once either way
    # two accumulated steps are not six plain ones
    a, b = folder_weights(one.output_dir), folder_weights(three.output_dir)
    assert any(not torch.equal(a[k], b[k]) for k in a)
