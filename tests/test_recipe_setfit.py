"""recipes/setfit_baseline.py at a reduced size (TREC, 500 examples, 3 contrastive steps, a tiny BERT
built from a config): the same training rows as eda_paper.py, the CSV, and the table with
textaug's rows beside."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

from helpers import load_recipe

if not os.environ.get("CI"):  # under CI, where `make test` installs it, a missing setfit fails
    pytest.importorskip("setfit", reason="`make setfit` installs requirements-setfit.txt")


def test_the_setfit_recipe_writes_its_csv_and_table_beside_textaug(tiny_bert, sst2_train_path, tmp_path):
    recipe = load_recipe("setfit_baseline")
    eda_paper = load_recipe("eda_paper")
    data_dir = Path(sst2_train_path).parents[1]
    compare = tmp_path / "eda-runs.csv"
    with compare.open("w", newline="") as handle:  # two of eda_paper.py's MiniLM rows, as it writes them
        writer = csv.DictWriter(handle, fieldnames=["task", "size", "model", "recipe", "seed", "test_accuracy", "seconds"])
        writer.writeheader()
        writer.writerow({"task": "trec", "size": "500", "model": "minilm", "recipe": "none", "seed": 0,
                         "test_accuracy": 0.9, "seconds": 100.0})
        writer.writerow({"task": "trec", "size": "500", "model": "minilm", "recipe": "eda", "seed": 0,
                         "test_accuracy": 0.8, "seconds": 300.0})
    out = tmp_path / "out"
    runs = recipe.main(["--task", "trec", "--size", "500", "--seeds", "0", "--num-iterations", "1", "--max-steps", "3",
                        "--model", tiny_bert, "--data-dir", str(data_dir), "--compare", str(compare),
                        "--validation-n", "60", "--output-dir", str(out)])
    assert len(runs) == 1 and runs[0]["train_rows"] == 500 and 0 <= runs[0]["test_accuracy"] <= 1
    full, _ = eda_paper.load_task("trec", data_dir)
    same_rows, _ = eda_paper.split(full, "500", 0, 60)
    assert runs[0]["train_rows"] == len(same_rows)
    with (out / "runs.csv").open() as handle:
        assert [r["model"] for r in csv.DictReader(handle)] == ["setfit"]
    table = (out / "results.md").read_text()
    assert "| trec | 500 |" in table and "| 90.0 (n=1) | 80.0 (n=1) | 100, 300 |" in table
    reported = recipe.main(["--report", str(out / "runs.csv"), "--compare", str(compare),
                            "--output-dir", str(tmp_path / "report")])
    assert [r["test_accuracy"] for r in reported] == [r["test_accuracy"] for r in runs]
    assert "| 90.0 (n=1) | 80.0 (n=1) | 100, 300 |" in (tmp_path / "report" / "results.md").read_text()
