"""recipes/eda_paper.py at a reduced size (TREC, 500 examples, a few optimizer steps, GloVe 50-d and
a tiny BERT built from a config): the CSV, the table beside the paper's numbers, and the plot."""

from __future__ import annotations

import csv
from pathlib import Path

from helpers import load_recipe


def _recipe():
    return load_recipe("eda_paper")


def test_the_eda_paper_recipe_writes_its_csv_table_and_plot(tiny_bert, sst2_train_path, tmp_path):
    recipe = _recipe()
    out = tmp_path / "out"
    runs = recipe.main(["--task", "trec", "--size", "500", "--model", "lstm", "cnn", "minilm", "--seeds", "0",
                        "--max-steps", "3", "--vectors", "glove-6b-50d", "--validation-n", "60",
                        "--transformer", tiny_bert, "--data-dir", str(Path(sst2_train_path).parents[1]),
                        "--output-dir", str(out)])
    assert [(r["model"], r["recipe"]) for r in runs] == [(m, c) for m in ("lstm", "cnn", "minilm") for c in ("none", "eda")]
    with (out / "runs.csv").open() as f:
        rows = list(csv.DictReader(f))
    eda = next(r for r in rows if r["model"] == "lstm" and r["recipe"] == "eda")
    assert (eda["alpha"], eda["n_aug"]) == ("0.05", "16") and int(eda["train_rows"]) == 500 * 17
    table = (out / "results.md").read_text()
    assert "| lstm-glove | 500 |" in table and "| 75.3 | 79.1 |" in table  # the paper's RNN row beside ours
    assert "| minilm | 500 |" in table and "| cnn-glove | 500 |" in table
    assert (out / "results.png").stat().st_size > 5000
    # --resume keeps the finished runs and trains nothing more when none is missing
    again = recipe.main(["--task", "trec", "--size", "500", "--model", "lstm", "cnn", "minilm", "--seeds", "0",
                         "--max-steps", "3", "--output-dir", str(out), "--resume",
                         "--data-dir", str(Path(sst2_train_path).parents[1])])
    assert again == runs
    # --report writes the table of given runs.csv files and trains nothing
    reported = recipe.main(["--report", str(out / "runs.csv"), "--output-dir", str(tmp_path / "report")])
    assert reported == runs
    assert "| lstm-glove | 500 |" in (tmp_path / "report" / "results.md").read_text()
    assert "6 runs in" in (tmp_path / "report" / "results.md").read_text()
