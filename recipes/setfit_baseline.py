"""SetFit beside textaug: the tool small-data users pick instead, with the same MiniLM on the same
splits as ``recipes/eda_paper.py``, accuracy and wall time.

    make setfit                                            # installs requirements-setfit.txt into .venv
    python recipes/setfit_baseline.py --data-dir ../shared/data/eda              # SST-2, SUBJ, TREC at 500, seed 0
    python recipes/setfit_baseline.py --data-dir ../shared/data/eda --compare out/eda-paper/runs.csv

The protocol:

- The training rows are exactly those ``eda_paper.py`` draws for the task, size and seed (its
  ``split``): the same labelled examples textaug's MiniLM rows were trained on.
- SetFit trains with fixed settings and selects nothing, which is how SetFit is used: contrastive
  fine-tuning of the sentence encoder on pairs (``--num-iterations`` pairs per example, 1 epoch,
  body learning rate 2e-5, batch 16, 64 tokens), then a logistic-regression head on the
  embeddings. The validation rows are not used; the test rows are predicted once.
- The encoder is the packaged all-MiniLM-L6-v2, the checkpoint textaug's ``minilm`` is.
- Wall time covers loading the encoder, training and predicting the test rows.

``--compare`` reads ``eda_paper.py``'s runs.csv and puts textaug's MiniLM rows (none and EDA;
mean ± sd over their seeds, and seconds per run) beside SetFit's in the table. Writes
``runs.csv`` (after every run) and ``results.md`` under ``--output-dir``.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from sklearn.metrics import accuracy_score, f1_score

import eda_paper  # the same tasks, loaders and splits
from recipe_runs import add_run_options, mean_sd, previous_runs, read_runs, write_results

PEER = "setfit"
#: runs.csv's columns that are not text, with their types (for --resume and --report)
NUMERIC = {"seed": int, "train_rows": int, "num_iterations": int, "test_accuracy": float, "test_macro_f1": float,
           "seconds": float}


def train_setfit(model_path: str, train_ds, test_ds, *, seed: int, num_iterations: int, max_steps: int,
                 batch_size: int = 16, max_length: int = 64) -> dict[str, Any]:
    """One SetFit run: its test accuracy, macro-F1 and wall seconds."""
    from setfit import SetFitModel, Trainer, TrainingArguments

    started = time.perf_counter()
    model = SetFitModel.from_pretrained(model_path)
    scratch = tempfile.mkdtemp(prefix="setfit-")  # SetFit's Trainer wants a folder; nothing is kept in it
    args = TrainingArguments(batch_size=batch_size, num_epochs=1, num_iterations=num_iterations,
                             max_steps=max_steps, body_learning_rate=2e-5, max_length=max_length, seed=seed,
                             report_to="none", show_progress_bar=False, save_strategy="no",
                             output_dir=scratch)
    # evaluation is ours (scikit-learn), so SetFit's metric, which loads from the hub, is never used
    try:
        Trainer(model=model, args=args, train_dataset=train_ds.select_columns(["text", "label"])).train()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    predicted = model.predict(list(test_ds["text"]), batch_size=64, show_progress_bar=False)
    predicted = [int(p) for p in predicted]
    truth = list(test_ds["label"])
    return {"test_accuracy": accuracy_score(truth, predicted), "test_macro_f1": f1_score(truth, predicted, average="macro"),
            "seconds": round(time.perf_counter() - started, 1)}


def _mean_sd(values: list[float]) -> str:
    return f"{mean_sd(values)} (n={len(values)})" if values else "-"


def table(runs: list[dict], compare: list[dict]) -> str:
    """One row per task and size: SetFit, and textaug's MiniLM without and with EDA when given."""
    lines = ["| task | size | SetFit accuracy % | SetFit s per run (median) | textaug MiniLM none % "
             "| textaug MiniLM EDA % | textaug s per run (median; none, EDA) |", "|---|---|---|---|---|---|---|"]
    for task, size in dict.fromkeys((r["task"], r["size"]) for r in runs):
        mine = [r for r in runs if (r["task"], r["size"]) == (task, size)]
        ours = {recipe: [r for r in compare if (r["task"], r["size"], r["model"], r["recipe"])
                         == (task, size, "minilm", recipe)] for recipe in ("none", "eda")}
        # medians: one slow (or paused) run does not stand for the rest
        seconds = ", ".join(f"{statistics.median(float(r['seconds']) for r in ours[k]):.0f}" if ours[k] else "-"
                            for k in ("none", "eda"))
        lines.append(f"| {task} | {size} | {_mean_sd([float(r['test_accuracy']) for r in mine])} | "
                     f"{statistics.median(float(r['seconds']) for r in mine):.0f} | "
                     f"{_mean_sd([float(r['test_accuracy']) for r in ours['none']])} | "
                     f"{_mean_sd([float(r['test_accuracy']) for r in ours['eda']])} | {seconds} |")
    return "\n".join(lines)


def _write(out: Path, runs: list[dict], compare: list[dict], header: str) -> None:
    write_results(out, runs, header + "\n\n" + table(runs, compare))


def main(argv: list[str] | None = None) -> list[dict]:
    from textaug.resources import minilm_path

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--task", nargs="+", default=list(eda_paper.TASKS), choices=eda_paper.TASKS)
    p.add_argument("--size", nargs="+", default=["500"], help="500, 2000, full (default: 500)")
    p.add_argument("--seeds", type=int, nargs="+", default=[0])
    p.add_argument("--validation-n", type=int, default=500, help="as eda_paper.py's, so the training rows match")
    p.add_argument("--num-iterations", type=int, default=5, help="SetFit's pairs per training example (default: 5)")
    p.add_argument("--max-steps", type=int, default=-1, help="cap SetFit's contrastive steps (default: none)")
    p.add_argument("--model", default=None, help="the sentence encoder (default: the packaged all-MiniLM-L6-v2)")
    p.add_argument("--data-dir", default=None, help="{task}/train.tsv and test.tsv (default: the hub copies)")
    p.add_argument("--compare", default=None, metavar="CSV", help="eda_paper.py's runs.csv, for textaug's MiniLM rows")
    add_run_options(p, "out/setfit")
    args = p.parse_args(argv)
    out = Path(args.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    compare = read_runs(args.compare, eda_paper.NUMERIC) if args.compare else []
    model_path = args.model or str(minilm_path())
    data_dir = Path(args.data_dir) if args.data_dir else None
    runs = previous_runs(args, NUMERIC)
    if args.report:
        args.task, args.seeds = [], sorted({int(r["seed"]) for r in runs})
    done = {(r["task"], r["size"], int(r["seed"]), int(r["num_iterations"])) for r in runs}
    for task in args.task:
        full, test = eda_paper.load_task(task, data_dir)
        for size in args.size:
            for seed in args.seeds:
                if (task, size, seed, args.num_iterations) in done:
                    continue
                train_ds, _ = eda_paper.split(full, size, seed, args.validation_n)
                result = train_setfit(model_path, train_ds, test, seed=seed, num_iterations=args.num_iterations,
                                      max_steps=args.max_steps)
                runs.append({"task": task, "size": size, "model": PEER, "seed": seed, "train_rows": len(train_ds),
                             "num_iterations": args.num_iterations, **result})
                print(f"{task} {size} setfit seed={seed}: test {result['test_accuracy']:.4f} in {result['seconds']:.0f} s",
                      flush=True)
                _write(out, runs, compare, "(partial)")
    minutes = sum(float(r["seconds"]) for r in runs) / 60
    header = (f"SetFit (1.2.0; {Path(model_path).name if args.model else 'all-MiniLM-L6-v2'}, {args.num_iterations} "
              f"pairs per example, 1 epoch, no selection) on eda_paper.py's splits, seeds {args.seeds}: test accuracy, "
              f"mean ± sd (n runs); {len(runs)} runs in {minutes:.0f} minutes. textaug's rows, where given, are "
              "eda_paper.py's MiniLM runs (each at its validation optimum within its step cap).")
    _write(out, runs, compare, header)
    print("\n" + header + "\n\n" + table(runs, compare))
    return runs


if __name__ == "__main__":
    main()
