"""recipes/train_with_and_without_augmentation.py at a reduced size (SST-2, 40 examples, a few
optimizer steps, GloVe 50-d): both conditions per seed on the same rows, the CSV, the table of
paired differences, the plot; --resume trains nothing more, --report redraws from the CSV."""

from __future__ import annotations

import csv
import statistics
from pathlib import Path

from helpers import load_recipe


def test_with_and_without_writes_paired_runs_table_and_plot(sst2_train_path, tmp_path):
    recipe = load_recipe("train_with_and_without_augmentation")
    out = tmp_path / "out"
    argv = ["--task", "sst2", "--n", "40", "--validation-n", "30", "--model", "lstm-glove", "--seeds", "0", "1",
            "--recipe", "eda", "--n-aug", "2", "--max-steps", "4", "--eval-steps", "2", "--patience", "1",
            "--data", str(Path(sst2_train_path).parents[1]), "--output-dir", str(out)]
    runs = recipe.main(argv)
    assert [(r["seed"], r["recipe"]) for r in runs] == [(0, "none"), (0, "eda"), (1, "none"), (1, "eda")]
    for seed in (0, 1):  # the augmented run trains on the same 40 rows and their copies, at the same cap
        none, eda = (r for r in runs if r["seed"] == seed)
        assert none["train_rows"] == 40 and eda["train_rows"] == 40 * 3
        assert none["steps"] <= 4 and eda["steps"] <= 4
    with (out / "runs.csv").open(encoding="utf-8") as handle:
        assert len(list(csv.DictReader(handle))) == 4
    text = (out / "results.md").read_text(encoding="utf-8")
    diffs = [runs[i + 1]["test_accuracy"] - runs[i]["test_accuracy"] for i in (0, 2)]
    sign = "+" if statistics.mean(diffs) >= 0 else ""
    assert "| sst2 | lstm-glove |" in text and f"| {sign}{statistics.mean(diffs) * 100:.2f} ± " in text
    assert "4 runs" in text
    assert (out / "results.png").stat().st_size > 5000
    # --resume keeps the finished runs and trains nothing when none is missing
    assert recipe.main(argv + ["--resume"]) == runs
    reported = recipe.main(["--report", str(out / "runs.csv"), "--output-dir", str(tmp_path / "report")])
    assert reported == runs
    assert "| sst2 | lstm-glove |" in (tmp_path / "report" / "results.md").read_text(encoding="utf-8")
