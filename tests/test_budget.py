"""Too little data to validate: no share carved, a fixed budget that scales with the data, the last
weights, one line; a transformer at few-shot sizes takes the contrastive stage."""

from __future__ import annotations

import json

import pytest
from datasets import Dataset

from textaug.config import Select, TrainConfig
from textaug.training.budget import MIN_STEPS, unvalidated_config
from textaug.training.data import validation_rows
from textaug.training.pipeline import train

from helpers import assert_resumes_to_the_same_weights, tiny_config


@pytest.mark.parametrize("rows, classes, held", [(48, 2, None), (189, 2, None), (200, 2, 20), (500, 6, None),
                                                 (600, 6, 60), (30, 2, None)])
def test_validation_is_carved_only_when_each_class_gets_ten_rows(rows, classes, held):
    assert validation_rows(rows, classes, 0.1) == held


def test_a_few_shot_transformer_takes_the_contrastive_stage():
    config, line = unvalidated_config(TrainConfig(model="minilm"), 16, 2, objective_given=False)
    assert config.contrastive and config.select is Select.LAST and config.patience is None
    pairs = TrainConfig.contrastive_pairs  # 16 rows, batch 16: one step per pass
    assert "too few to hold out validation" in line and f"the contrastive stage, {pairs} pairs per row ({pairs} steps)" in line
    assert "\n" not in line


@pytest.mark.parametrize("options, rows, classes, expect", [
    ({"model": "lstm-glove"}, 16, 2, {"max_steps": MIN_STEPS, "contrastive": False}),  # 20 epochs of 1 step
    ({"model": "minilm", "epochs": 5}, 16, 2, {"max_steps": None, "epochs": 5, "contrastive": False}),  # asked for
    ({"model": "minilm", "max_steps": 50}, 16, 2, {"max_steps": 50, "contrastive": False}),
    ({"model": "minilm", "mixup": 0.4}, 16, 2, {"max_steps": MIN_STEPS, "contrastive": False}),  # its objective kept
    ({"model": "minilm"}, 500, 6, {"max_steps": MIN_STEPS, "contrastive": False}),  # 83 per class: not few-shot
    ({"model": "lstm-glove"}, 180, 2, {"max_steps": None, "contrastive": False}),  # 20 epochs x 12 steps >= 200
])
def test_other_runs_keep_their_objective_and_train_at_least_the_minimum(options, rows, classes, expect):
    config, line = unvalidated_config(TrainConfig(**options), rows, classes, objective_given=False)
    assert config.select is Select.LAST
    for name, value in expect.items():
        assert getattr(config, name) == value, (name, line)
    assert "keeps the last weights" in line


def test_a_given_objective_is_never_replaced():
    config, _ = unvalidated_config(TrainConfig(model="minilm"), 16, 2, objective_given=True)
    assert not config.contrastive and config.max_steps == MIN_STEPS


def test_train_on_sixteen_rows_says_so_and_trains_the_few_shot_budget(tiny_bert, sst2_small, tmp_path, capsys):
    train_ds, _ = sst2_small
    sixteen = Dataset.from_dict({"text": train_ds["text"][:8] + train_ds["text"][-8:],
                                 "label": train_ds["label"][:8] + train_ds["label"][-8:]})
    assert sorted(set(sixteen["label"])) == [0, 1]
    result = train(tiny_config(tiny_bert, tmp_path, epochs=None, contrastive_pairs=3), train_dataset=sixteen)
    out = capsys.readouterr().out
    notes = [line for line in out.splitlines() if "too few to hold out validation" in line]
    assert len(notes) == 1 and "the contrastive stage, 3 pairs per row (6 steps)" in notes[0]
    assert result.fit.global_step == 6 and result.data.validation is None
    training = json.loads((result.output_dir / "training_config.json").read_text())
    assert training["objective"]["objective"] == "contrastive" and training["unvalidated"] == notes[0]
    assert training["config"]["contrastive"] is True and training["config"]["select"] == "last"
    # a killed run resumes under the configuration it trained with (the checkpoint's options are
    # the adjusted ones, derived again from the same data)
    assert_resumes_to_the_same_weights(tmp_path / "resume", tiny_bert, 5, epochs=None, contrastive_pairs=3,
                                       train_dataset=sixteen)
