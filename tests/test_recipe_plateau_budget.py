"""recipes/plateau_budget.py at a reduced size (Rotten Tomatoes, 200 rows of which 20 are carved
for validation, the reference budget 20/3 and 4/1, a BiLSTM on GloVe 50-d): every budget per
seed on the same rows, carved validation like ``textaug train``, the stopping point recorded,
the table of paired differences; a bad budget or too few rows is refused in one line; --resume
trains nothing more."""

from __future__ import annotations

import csv

import pytest
from helpers import load_recipe


def test_plateau_budget_runs_each_budget_on_the_same_rows(tmp_path):
    recipe = load_recipe("plateau_budget")
    out = tmp_path / "out"
    argv = ["--task", "rt", "--model", "lstm-glove", "--budgets", "20/3", "4/1", "--n", "200", "--test-n", "60",
            "--dev", "100", "--seeds", "0", "1", "--output-dir", str(out)]
    runs = recipe.main(argv)
    assert [(r["seed"], r["budget"]) for r in runs] == [(0, "20/3"), (0, "4/1"), (1, "20/3"), (1, "4/1")]
    for run in runs:
        assert run["scored_on"] == "dev 100" and run["n"] == 200
        assert 0 < run["epochs_trained"] <= run["epochs"]
        assert 0 < run["selected_step"] <= run["steps"]
        assert 0.0 <= run["test_accuracy"] <= 1.0
    short = [r for r in runs if r["budget"] == "4/1"]
    # patience 1 stops after the first evaluation without improvement, 4 epochs at most either way
    assert all(r["epochs_trained"] <= 4 for r in short)
    with (out / "runs.csv").open(encoding="utf-8") as handle:
        assert len(list(csv.DictReader(handle))) == 4
    text = (out / "results.md").read_text(encoding="utf-8")
    diff = [b["test_accuracy"] - a["test_accuracy"] for a, b in zip(runs[::2], runs[1::2])]
    assert "| rt | dev 100 | lstm-glove | 4/1 |" in text
    assert f"{(sum(diff) / 2) * 100:+.1f} ± " in text
    assert recipe.main(argv + ["--resume"]) == runs
    with pytest.raises(SystemExit):
        recipe.main(["--budgets", "20-3", "--output-dir", str(tmp_path / "bad")])
    with pytest.raises(SystemExit, match="too few rows"):  # 4 rows carved: nothing would stop early
        recipe.main(["--task", "rt", "--n", "40", "--output-dir", str(tmp_path / "small")])
