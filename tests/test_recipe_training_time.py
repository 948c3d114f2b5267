"""recipes/training_time_augmentation.py at a reduced size (a tiny BERT built from a config, a few
dozen SST-2 rows): every condition runs, and the CSV, the Markdown table and the plot are written."""

from __future__ import annotations

import csv
from pathlib import Path

from helpers import load_recipe


def _recipe():
    return load_recipe("training_time_augmentation")


def test_the_recipe_writes_its_csv_table_and_plot(tiny_bert, sst2_train_path, tmp_path):
    recipe = _recipe()
    data = Path(sst2_train_path).parents[1]
    out = tmp_path / "out"
    runs = recipe.main(["--task", "sst2", "--model", tiny_bert, "--n", "24", "--validation-n", "16", "--test-n", "16",
                        "--unlabeled-n", "40", "--seeds", "0", "1", "--max-steps", "3", "--data", str(data),
                        "--output-dir", str(out)])
    names = list(recipe.conditions(24))
    assert [r["condition"] for r in runs] == names * 2
    with (out / "runs.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 10 and {r["seed"] for r in rows} == {"0", "1"}
    by = {(r["condition"], r["seed"]): r for r in rows}
    assert int(by[("eda", "0")]["train_rows"]) > int(by[("none", "0")]["train_rows"]) == 24
    assert by[("consistency", "0")]["unlabeled"] == "40" and by[("none", "0")]["unlabeled"] == "0"
    assert all(int(r["steps"]) <= 3 for r in rows)
    table = (out / "results.md").read_text()
    header = next(line for line in table.splitlines() if line.startswith("| task"))
    assert header.split(" | ")[2:7] == names and "consistency − none" in header
    assert table.count("| sst2 |") == 1
    assert (out / "results.png").stat().st_size > 5000
