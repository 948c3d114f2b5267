"""What augmentation buys, compared fairly: the same model trained on N examples of an EDA-paper
task with and without a recipe, over several seeds, scored once on the task's test file.

    python recipes/train_with_and_without_augmentation.py --task sst2 --n 500 --model lstm-glove --seeds 0 1 2
    python recipes/train_with_and_without_augmentation.py --task trec --model cnn-glove --protocol equal-steps

Two fair protocols (never "equal epochs", which gives the augmented run 17x the steps at n_aug 16):

- ``optimum`` (default): each run trains up to the same cap of optimizer steps (--max-steps),
  is evaluated on its validation rows every --eval-steps, stops after --patience evaluations
  without improvement, and keeps its best validation weights: each at its own validation optimum.
- ``equal-steps``: each run trains exactly --max-steps optimizer steps and keeps the final weights.

Validation rows are other rows of the training file (disjoint from the N training rows, never
augmented); the test file is only ever scored once per run, on the kept weights, and nothing is
chosen on it. alpha and n_aug default to the EDA paper's recommendation for N. Each seed draws
its own training and validation sample. Writes every run to a CSV and prints a Markdown table
with mean and standard deviation over seeds, and the paired difference (recipe minus none).

On a user's machine without ../shared/data, point --data at a folder holding {task}/train.tsv
and {task}/test.tsv (label<TAB>text).
"""

from __future__ import annotations

import argparse
import csv
import statistics
import time
from pathlib import Path

from textaug.atomic import atomic_path
from textaug.augment.recipes import eda_paper_setting
from textaug.config import TrainConfig
from textaug.data import read_labelled_tsv, stratified_sample
from textaug.training.pipeline import train

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "eda"
PROTOCOLS = ("optimum", "equal-steps")


def _mean_sd(values: list[float]) -> str:
    spread = f" ± {statistics.stdev(values) * 100:.2f}" if len(values) > 1 else ""
    return f"{statistics.mean(values) * 100:.2f}{spread}"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--task", nargs="+", default=["sst2"], choices=("sst2", "subj", "trec"))
    p.add_argument("--n", type=int, default=500, help="training examples (stratified sample)")
    p.add_argument("--validation-n", type=int, default=500, help="validation examples, other training rows")
    p.add_argument("--model", nargs="+", default=["lstm-glove"], help="lstm-glove, cnn-glove, minilm, or a hub id / folder")
    p.add_argument("--vectors", default=None, help="for lstm-glove/cnn-glove: glove-6b-50d (default), spacy-md, or a file")
    p.add_argument("--recipe", default="eda", help="a recipe or spec string, e.g. eda or aeda:ratio=0.2")
    p.add_argument("--alpha", type=float, default=None, help="default: the EDA paper's for N")
    p.add_argument("--n-aug", type=int, default=None, help="default: the EDA paper's for N")
    p.add_argument("--protocol", default="optimum", choices=PROTOCOLS)
    p.add_argument("--max-steps", type=int, default=1500, help="optimizer steps: the cap (optimum) or the budget")
    p.add_argument("--eval-steps", type=int, default=50, help="optimum: validation every N steps")
    p.add_argument("--patience", type=int, default=5, help="optimum: evaluations without improvement before stopping")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--data", default=str(DEFAULT_DATA))
    p.add_argument("--output-dir", default="out/with-and-without")
    p.add_argument("--csv", default=None, help="default: OUTPUT_DIR/runs.csv")
    args = p.parse_args()

    paper_alpha, paper_n_aug = eda_paper_setting(args.n)
    # the paper's rate is EDA's; another recipe keeps its own unless --alpha is given (back-translation has none)
    alpha = args.alpha if args.alpha is not None else (paper_alpha if args.recipe.split(":")[0] == "eda" else None)
    n_aug = args.n_aug or paper_n_aug
    out = Path(args.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    csv_path = Path(args.csv or out / "runs.csv")
    runs: list[dict] = []
    for task in args.task:
        full = read_labelled_tsv(Path(args.data) / task / "train.tsv").class_encode_column("label")
        test = read_labelled_tsv(Path(args.data) / task / "test.tsv")
        for seed in args.seeds:
            # the file is sorted by label: split and sample stratified, seeded
            pool = full.train_test_split(test_size=args.validation_n, seed=seed, stratify_by_column="label")
            train_ds = stratified_sample(pool["train"], args.n, seed=seed)
            val_ds = pool["test"]
            for model in args.model:
                for recipe in (None, args.recipe):
                    name = recipe or "none"
                    budget = ({"max_steps": args.max_steps, "select": "best", "eval_steps": args.eval_steps,
                               "patience": args.patience} if args.protocol == "optimum" else
                              {"max_steps": args.max_steps, "select": "last"})
                    static = model in ("lstm-glove", "cnn-glove")
                    config = TrainConfig(model=model, seed=seed, augment=recipe, alpha=alpha, n_aug=n_aug,
                                         max_length=64, vectors=args.vectors if static else None,
                                         dataset_name=f"{task} (the EDA paper's release)",
                                         output_dir=str(out / f"{task}-{args.n}-{model}-{name}-seed{seed}"), **budget)
                    started = time.perf_counter()
                    # quiet and in memory: the recipe's result is the row below, not a model folder
                    result = train(config, train_dataset=train_ds, validation_dataset=val_ds, test_dataset=test,
                                   quiet=True, save=False)
                    m = result.record
                    row = {"task": task, "n": args.n, "model": model, "vectors": config.vectors or "",
                           "recipe": name, "alpha": alpha if recipe else "", "n_aug": n_aug if recipe else "",
                           "protocol": args.protocol, "seed": seed, "train_rows": m.training.examples,
                           "steps": m.training.steps, "selected_step": m.validation.selected_step if m.validation else "",
                           "validation_accuracy": m.validation.scores.accuracy if m.validation else "",
                           "test_accuracy": m.test.accuracy, "test_macro_f1": m.test.macro_f1,
                           "seconds": round(time.perf_counter() - started, 1)}
                    runs.append(row)
                    print(f"{task} n={args.n} {model} seed={seed} {name}: test accuracy {row['test_accuracy']:.4f} "
                          f"(selected step {row['selected_step']} of {row['steps']})", flush=True)
    with atomic_path(csv_path) as tmp, tmp.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(runs[0]))
        writer.writeheader()
        writer.writerows(runs)

    budget = (f"each run to its validation optimum: up to {args.max_steps} steps, validation every "
              f"{args.eval_steps}, patience {args.patience}" if args.protocol == "optimum"
              else f"exactly {args.max_steps} optimizer steps each, final weights")
    print(f"\n{args.n} training examples, {args.validation_n} validation examples, recipe {args.recipe} "
          f"(alpha {alpha}, n_aug {n_aug}); {budget}; seeds {args.seeds}; test accuracy %, mean ± sd over seeds\n")
    print(f"| task | model | none | {args.recipe} | {args.recipe} − none (paired) | steps kept (none / {args.recipe}) |")
    print("|---|---|---|---|---|---|")
    for task in args.task:
        for model in args.model:
            cell = {name: [r for r in runs if r["task"] == task and r["model"] == model and r["recipe"] == name]
                    for name in ("none", args.recipe)}
            none = [r["test_accuracy"] for r in cell["none"]]
            aug = [r["test_accuracy"] for r in cell[args.recipe]]
            diff = [a - b for a, b in zip(aug, none)]
            kept = "/".join(str(round(statistics.mean([float(r["selected_step"] or r["steps"]) for r in cell[n]])))
                            for n in ("none", args.recipe))
            print(f"| {task} | {model} | {_mean_sd(none)} | {_mean_sd(aug)} | {'+' if statistics.mean(diff) >= 0 else ''}"
                  f"{_mean_sd(diff)} | {kept} |")
    print(f"\nevery run: {csv_path}")


if __name__ == "__main__":
    main()
