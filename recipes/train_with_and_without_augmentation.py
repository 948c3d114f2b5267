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
its own training and validation sample. Writes every run to runs.csv (after each run; --resume runs only the
missing ones, --report redraws from CSV files), results.md (mean and standard deviation over seeds,
and the paired difference, recipe minus none) and results.png.

On a user's machine without ../shared/data, point --data at a folder holding {task}/train.tsv
and {task}/test.tsv (label<TAB>text).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from textaug.augment.recipes import eda_paper_setting
from textaug.config import TrainConfig
from textaug.data import read_labelled_tsv, stratified_sample
from textaug.training.pipeline import train

from recipe_runs import add_run_options, mean_sd, previous_runs, signed, write_results

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "eda"
PROTOCOLS = ("optimum", "equal-steps")
NONE = "none"
#: runs.csv's columns that are not text, with their types (for --resume and --report)
NUMERIC = {"n": int, "alpha": float, "n_aug": int, "seed": int, "train_rows": int, "steps": int, "selected_step": int,
           "validation_accuracy": float, "test_accuracy": float, "test_macro_f1": float, "seconds": float}


def _key(run: dict) -> tuple:
    return run["task"], int(run["n"]), run["model"], run["recipe"], run["protocol"], int(run["seed"])


def table(runs: list[dict]) -> str:
    """One row per task and model: none and the recipe (mean ± sd over seeds), their paired
    difference, and the mean step whose weights were kept."""
    recipe = next((r["recipe"] for r in runs if r["recipe"] != NONE), "recipe")
    lines = [f"| task | model | none | {recipe} | {recipe} − none (paired) | step kept (none / {recipe}) |",
             "|---|---|---|---|---|---|"]
    for task, model in dict.fromkeys((r["task"], r["model"]) for r in runs):
        cell = {name: {int(r["seed"]): r for r in runs if (r["task"], r["model"], r["recipe"]) == (task, model, name)}
                for name in (NONE, recipe)}
        none, aug = ({s: float(r["test_accuracy"]) for s, r in cell[n].items()} for n in (NONE, recipe))
        diff = [aug[s] - none[s] for s in sorted(none) if s in aug]
        kept = " / ".join(str(round(statistics.mean(float(r["selected_step"] or r["steps"]) for r in cell[n].values())))
                          if cell[n] else "-" for n in (NONE, recipe))
        lines.append(f"| {task} | {model} | {mean_sd(list(none.values()), 2)} | {mean_sd(list(aug.values()), 2)} | "
                     f"{signed(diff, 2)} | {kept} |")
    return "\n".join(lines)


def plot(runs: list[dict], path: Path) -> None:
    """Test accuracy without and with the recipe per task and model: each seed a dot, the mean a bar."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = list(dict.fromkeys((r["task"], r["model"]) for r in runs))
    recipes = list(dict.fromkeys(r["recipe"] for r in runs))
    fig, ax = plt.subplots(figsize=(1.6 + 1.4 * len(groups), 3.4))
    width = 0.8 / len(recipes)
    for j, name in enumerate(recipes):
        for i, group in enumerate(groups):
            ys = [100 * float(r["test_accuracy"]) for r in runs if (r["task"], r["model"], r["recipe"]) == (*group, name)]
            if ys:
                x = i + (j - (len(recipes) - 1) / 2) * width
                ax.bar(x, statistics.mean(ys), width * 0.9, color=f"C{j}", alpha=0.6, label=name if i == 0 else None)
                ax.plot([x] * len(ys), ys, "k.", ms=4)
    ax.set_xticks(range(len(groups)), [f"{t}\n{m}" for t, m in groups], fontsize=8)
    lows = [100 * float(r["test_accuracy"]) for r in runs]
    ax.set_ylim(max(0.0, min(lows) - 5), min(100.0, max(lows) + 3))
    ax.set_ylabel("test accuracy %")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> list[dict]:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--task", nargs="+", default=["sst2"], choices=("sst2", "subj", "trec"))
    p.add_argument("--n", type=int, default=500, help="training examples (stratified sample)")
    p.add_argument("--validation-n", type=int, default=500, help="validation examples, other training rows")
    p.add_argument("--model", nargs="+", default=["lstm-glove"], help="lstm-glove, cnn-glove, minilm, or a hub id / folder")
    p.add_argument("--vectors", default=None, help="for lstm-glove/cnn-glove: glove-6b-50d (default), spacy-md, or a file")
    p.add_argument("--recipe", default="eda", help="a recipe or spec string, e.g. eda or aeda:n_aug=4")
    p.add_argument("--alpha", type=float, default=None, help="default: the EDA paper's for N")
    p.add_argument("--n-aug", type=int, default=None, help="default: the EDA paper's for N")
    p.add_argument("--protocol", default="optimum", choices=PROTOCOLS)
    p.add_argument("--max-steps", type=int, default=1500, help="optimizer steps: the cap (optimum) or the budget")
    p.add_argument("--eval-steps", type=int, default=50, help="optimum: validation every N steps")
    p.add_argument("--patience", type=int, default=5, help="optimum: evaluations without improvement before stopping")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--data", default=str(DEFAULT_DATA))
    add_run_options(p, "out/with-and-without")
    args = p.parse_args(argv)

    paper_alpha, paper_n_aug = eda_paper_setting(args.n)
    # the paper's rate is EDA's; another recipe keeps its own unless --alpha is given (back-translation has none)
    alpha = args.alpha if args.alpha is not None else (paper_alpha if args.recipe.split(":")[0] == "eda" else None)
    n_aug = args.n_aug or paper_n_aug
    out = Path(args.output_dir)
    runs = previous_runs(args, NUMERIC)
    if args.report:
        args.task = []  # nothing to train
    done = {_key(r) for r in runs}
    budget_text = (f"each run to its validation optimum: up to {args.max_steps} steps, validation every "
                   f"{args.eval_steps}, patience {args.patience}" if args.protocol == "optimum"
                   else f"exactly {args.max_steps} optimizer steps each, final weights")
    for task in args.task:
        full = read_labelled_tsv(Path(args.data) / task / "train.tsv").class_encode_column("label")
        test = read_labelled_tsv(Path(args.data) / task / "test.tsv")
        for seed in args.seeds:
            # the file is sorted by label: split and sample stratified, seeded
            pool = full.train_test_split(test_size=args.validation_n, seed=seed, stratify_by_column="label")
            train_ds = stratified_sample(pool["train"], args.n, seed=seed)
            val_ds = pool["test"]
            for model in args.model:
                static = model in ("lstm-glove", "cnn-glove")
                for recipe in (None, args.recipe):
                    name = recipe or NONE
                    vectors = args.vectors if static else None
                    if (task, args.n, model, name, args.protocol, seed) in done:
                        continue
                    budget = ({"max_steps": args.max_steps, "select": "best", "eval_steps": args.eval_steps,
                               "patience": args.patience} if args.protocol == "optimum" else
                              {"max_steps": args.max_steps, "select": "last"})
                    config = TrainConfig(model=model, seed=seed, augment=recipe, alpha=alpha, n_aug=n_aug,
                                         max_length=64, vectors=vectors,
                                         dataset_name=f"{task} (the EDA paper's release)",
                                         output_dir=str(out / f"{task}-{args.n}-{model}-{name}-seed{seed}"), **budget)
                    started = time.perf_counter()
                    # quiet and in memory: the recipe's result is the row below, not a model folder
                    result = train(config, train_dataset=train_ds, validation_dataset=val_ds, test_dataset=test,
                                   quiet=True, save=False)
                    m = result.record
                    row = {"task": task, "n": args.n, "model": model, "vectors": config.vectors or "",
                           "recipe": name, "alpha": alpha if recipe and alpha is not None else "",
                           "n_aug": n_aug if recipe else "",
                           "protocol": args.protocol, "seed": seed, "train_rows": m.training.examples,
                           "steps": m.training.steps, "selected_step": m.validation.selected_step if m.validation else "",
                           "validation_accuracy": m.validation.scores.accuracy if m.validation else "",
                           "test_accuracy": m.test.accuracy, "test_macro_f1": m.test.macro_f1,
                           "seconds": round(time.perf_counter() - started, 1)}
                    runs.append(row)
                    print(f"{task} n={args.n} {model} seed={seed} {name}: test accuracy {row['test_accuracy']:.4f} "
                          f"(selected step {row['selected_step']} of {row['steps']})", flush=True)
                    write_results(out, runs, "(partial)\n\n" + table(runs))  # a cut-off run keeps what it measured
    if not runs:
        raise SystemExit("no runs")
    seeds = sorted({int(r["seed"]) for r in runs})
    header = (f"{args.n} training examples, {args.validation_n} validation examples, recipe {args.recipe} "
              f"(alpha {alpha}, n_aug {n_aug}); {budget_text}; seeds {seeds}; test accuracy %, mean ± sd over "
              f"seeds, differences paired by seed. {len(runs)} runs, "
              f"{sum(float(r['seconds']) for r in runs) / 60:.0f} minutes of run time.") if not args.report else (
              f"{len(runs)} runs from {', '.join(args.report)}; test accuracy %, mean ± sd over seeds {seeds}, "
              "differences paired by seed.")
    text = header + "\n\n" + table(runs)
    write_results(out, runs, text, lambda path: plot(runs, path))
    print("\n" + text + f"\n\nevery run: {out / 'runs.csv'}; plot: {out / 'results.png'}")
    return runs


if __name__ == "__main__":
    main()
