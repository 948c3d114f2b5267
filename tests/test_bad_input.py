"""Inputs that used to pass silently: texts an augmenter cannot change, labels that are a
regression target, a missing translator pair, folds too small to carve validation from."""

from __future__ import annotations

import json

import pytest
from datasets import Dataset

from helpers import tiny_config
from textaug.augment.dataset import augment_dataset, augmentation_stats
from textaug.augment.recipes import build_augmenter
from textaug.cli import main

SCRIPTS = ["这部电影很好看", "الفيلم كان رائعا", "फिल्म बहुत अच्छी थी", "😀🎬👍"]


def test_outputs_equal_to_their_source_are_counted_per_operation():
    ds = Dataset.from_dict({"text": SCRIPTS + ["the film was a great deal of fun"], "label": [1, 0, 1, 1, 1]})
    out = augment_dataset(ds, build_augmenter("eda", n_aug=4, seed=0))
    stats = augmentation_stats(out)
    made = sum(s["rows"] for s in stats.values())
    same = sum(s["unchanged"] for s in stats.values())
    assert made == 20
    # counted against the texts themselves, not guessed
    recount = sum(t == ds["text"][src] for t, op, src in zip(out["text"], out["aug_op"], out["aug_source"])
                  if op != "original")
    assert same == recount and same >= 8  # the texts without spaces pass through every operation
    assert json.loads(out.info.description)["textaug_augmentation"]["by_operation"] == stats


def test_the_cli_summary_says_what_was_not_changed(tmp_path, capsys):
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps({"text": t, "label": 1}, ensure_ascii=False) + "\n" for t in SCRIPTS),
                    encoding="utf-8")
    assert main(["augment", str(path), "-o", str(tmp_path / "o.jsonl"), "--recipe", "eda"]) == 0
    rows = [json.loads(line) for line in (tmp_path / "o.jsonl").read_text(encoding="utf-8").splitlines()]
    same = sum(r["text"] == SCRIPTS[r["aug_source"]] for r in rows if r["aug_op"] != "original")
    assert same >= 8
    assert f"unchanged: {same} of 16 augmented rows equal their source text" in capsys.readouterr().out


def test_nothing_unchanged_says_nothing(tmp_path, capsys):
    path = tmp_path / "in.csv"
    path.write_text("text,label\nthe film was a great deal of fun and games,1\n", encoding="utf-8")
    assert main(["augment", str(path), "-o", str(tmp_path / "o.csv"), "--recipe", "swap", "--n-aug", "1"]) == 0
    assert "unchanged:" not in capsys.readouterr().out


@pytest.mark.parametrize("labels, message", [
    ([0.5, 1.25, 3.0, 2.75] * 6, "holds fractional numbers \\(e.g. 0.5\\)"),
    (list(range(24)), "24 distinct values in 24 rows"),
])
def test_regression_like_labels_are_refused_unless_said_to_be_classes(tmp_path, labels, message):
    from textaug.training.pipeline import train

    ds = Dataset.from_dict({"text": [f"text number {i}" for i in range(len(labels))], "label": labels})
    with pytest.raises(ValueError, match=message + ".*--labels-are-classes"):
        train(tiny_config("lstm-glove", tmp_path, max_steps=1, select="last"), train_dataset=ds, quiet=True, save=False)
    result = train(tiny_config("lstm-glove", tmp_path, max_steps=1, select="last", labels_are_classes=True,
                               vocab_budget=10), train_dataset=ds, quiet=True, save=False)
    assert len(result.classifier.labels) == len(set(labels))


def test_a_few_shot_set_with_many_classes_is_not_refused():
    from textaug.training.data import check_classes

    check_classes(Dataset.from_dict({"text": ["x"] * 12, "label": list(range(12))}), "label")  # under 20 rows
    check_classes(Dataset.from_dict({"text": ["x"] * 40, "label": [i % 8 for i in range(40)]}), "label")


def test_a_missing_apertium_pair_names_the_installed_pivots():
    from textaug.augment.translators import apertium_modes
    from textaug.resources import ResourceNotFoundError

    if not apertium_modes():
        pytest.skip("apertium is not installed here")
    with pytest.raises(ResourceNotFoundError) as caught:
        build_augmenter("backtranslate:pivots=xyz", n_aug=1)
    message = str(caught.value)
    assert "<pivot>" not in message and "eng-xyz" in message and "apt-cache search apertium xyz" in message
    assert "pivots installed for eng:" in message and "spa" in message


def test_tune_says_when_folds_are_too_small_to_carve_validation(tmp_path):
    from textaug.tuning import tune

    # two folds of four rows: each fold trains on one row per class, none to spare for validation
    ds = Dataset.from_dict({"text": ["a good film", "a bad film", "a fine film", "a poor film"], "label": [1, 0, 1, 0]})
    lines = []
    result = tune(tiny_config("lstm-glove", tmp_path, max_steps=1, vocab_budget=10), folds=2, repeats=1,
                  candidates=["none"], train_dataset=ds, progress=lines.append)
    note = [line for line in lines if line.startswith("note: a fold's training part (2 rows")]
    assert note and "select last" in note[0] and note[0] in result.log
    assert result.config.select.value == "best"  # the configuration written keeps the user's choice
