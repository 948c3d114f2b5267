"""recipes/fewshot.py at a reduced size (SST-2, K=4, two seeds, a tiny BERT from a config): the
K-per-class draws shared by every condition, the equal contrastive budgets, runs.csv, --resume,
--report, the table against SetFit and the plot."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

from helpers import load_recipe

if not os.environ.get("CI"):  # under CI, where `make test` installs it, a missing setfit fails
    pytest.importorskip("setfit", reason="`make setfit` installs requirements-setfit.txt")


def test_kshot_draws_k_per_class_by_seed():
    from datasets import Dataset

    recipe = load_recipe("fewshot")
    pool = Dataset.from_dict({"text": [f"t{i}" for i in range(30)], "label": [i % 3 for i in range(30)]})
    a, b, c = recipe.kshot(pool, 4, 0), recipe.kshot(pool, 4, 0), recipe.kshot(pool, 4, 1)
    assert a["text"] == b["text"] and a["text"] != c["text"]
    assert sorted(a["label"]) == [0] * 4 + [1] * 4 + [2] * 4
    with pytest.raises(SystemExit, match="fewer than K=11"):
        recipe.kshot(pool, 11, 0)


def test_dev_rows_are_held_out_of_the_training_file_stratified_and_never_drawn():
    from datasets import Dataset

    recipe = load_recipe("fewshot")
    pool = Dataset.from_dict({"text": [f"t{i}" for i in range(60)], "label": [i % 3 for i in range(60)]})
    rest, dev = recipe.dev_split(pool, 15)
    assert sorted(dev["label"]) == [0] * 5 + [1] * 5 + [2] * 5 and len(rest) == 45
    assert not set(dev["text"]) & set(rest["text"])
    for seed in range(5):
        assert not set(recipe.kshot(rest, 4, seed)["text"]) & set(dev["text"])
    assert recipe.dev_split(pool, 15)[1]["text"] == dev["text"]  # the same rows every invocation
    with pytest.raises(SystemExit, match="only 60 rows"):
        recipe.dev_split(pool, 60)


def test_the_fewshot_recipe_writes_its_csv_table_and_plot(tiny_bert, sst2_train_path, tmp_path, monkeypatch):
    recipe = load_recipe("fewshot")
    monkeypatch.setitem(recipe.CONDITIONS, "finetune", recipe.Condition("finetune", {"max_steps": 3, "select": "last"}))
    data_dir = Path(sst2_train_path).parents[1]
    out = tmp_path / "out"
    args = ["--task", "sst2", "--k", "4", "--seeds", "0", "1", "--conditions", "finetune", "contrastive",
            "contrastive+eda", "setfit", "--model", tiny_bert, "--pairs", "2", "--num-iterations", "1",
            "--test-n", "40", "--data-dir", str(data_dir), "--output-dir", str(out)]
    runs = recipe.main(args)
    assert len(runs) == 8 and all(0 <= r["test_accuracy"] <= 1 and r["train_rows"] == 8 for r in runs)
    by = {(r["condition"], r["seed"]): r for r in runs}
    # the augmented contrastive run trains as many steps as the plain one, on 5x the rows
    assert by[("contrastive+eda", 0)]["steps"] == by[("contrastive", 0)]["steps"] == 1  # 2 x 8 / 16
    assert by[("contrastive+eda", 0)]["trained_rows"] == 40 and by[("contrastive", 0)]["trained_rows"] == 8
    assert by[("finetune", 1)]["steps"] == 3
    with (out / "runs.csv").open() as handle:
        assert len(list(csv.DictReader(handle))) == 8
    table = (out / "results.md").read_text()
    assert "| sst2 | 4 |" in table and "contrastive − SetFit" in table and "**mean of 1**" in table
    assert (out / "results.png").stat().st_size > 0
    again = recipe.main(args + ["--resume"])  # nothing left to run
    with pytest.raises(SystemExit, match="made with pairs=2,loss=cosine,lr=8e-05, not pairs=3,loss=cosine,lr=8e-05"):
        recipe.main(args + ["--resume", "--pairs", "3"])  # a kept run never passes for another setting
    assert [r["test_accuracy"] for r in again] == [r["test_accuracy"] for r in runs]
    reported = recipe.main(["--report", str(out / "runs.csv"), "--output-dir", str(tmp_path / "report")])
    assert (tmp_path / "report" / "results.md").read_text().split("\n\n", 1)[1] == table.split("\n\n", 1)[1]
    assert len(reported) == 8
