"""Augmentation inside training, measured: at N labels, the same model trained five ways, over
several seeds, each selected on validation and scored once on test.

    python recipes/training_time_augmentation.py                       # the full table (about an hour on 2 cores)
    python recipes/training_time_augmentation.py --quick               # one task, BiLSTM, one seed (a minute)
    python recipes/training_time_augmentation.py --task sst2 --model minilm --seeds 0 1 2 3 4

The conditions, each fixed before any run (nothing here is tuned, on test or otherwise):

- ``none``: cross-entropy on the N labeled rows.
- ``eda``: the N rows plus EDA copies at the paper's setting for N (500: alpha 0.05, 16 copies each).
- ``mixup``: mixup at the pooled representation, alpha 0.4 (Sun et al. 2020 mix BERT at its last layer).
- ``feature``: Gaussian noise (sd 0.1) on, and same-class interpolation (p 0.5) between, pooled features.
- ``consistency``: UDA with the rest of the task's training file as unlabeled data (never the
  validation or test rows), weight 1, EDA copies made on the fly, UDA's text settings (confidence
  threshold 0.45, sharpening temperature 0.85, linear signal annealing), 3 unlabeled per labeled.

Every condition fine-tunes the whole model (``--strategy finetune``) under the same protocol:
up to the same cap of optimizer steps, validation every ``eval_steps``, early stopping after
``patience`` evaluations without improvement, the best validation weights kept. So each run is at
its own validation optimum within an equal step budget; the test data is scored once per run.
Validation rows are other rows of the training data, disjoint from the labeled and unlabeled rows.
Each seed draws its own labeled, validation and unlabeled rows; all conditions of a seed share them,
so differences are paired.

Writes every run to ``runs.csv``, a Markdown table (mean ± sd over seeds, and the paired difference
from ``none``) to ``results.md`` and a plot to ``results.png``, all under ``--output-dir``.

Tasks: ``builtin`` (the built-in Rotten Tomatoes corpus; its own test split) and the EDA paper's
``sst2``, ``subj``, ``trec`` from ``--data`` ({task}/train.tsv and test.tsv, label<TAB>text; here
../shared/data/eda).
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textaug.augment.recipes import eda_paper_setting
from textaug.config import TrainConfig
from textaug.data import load_builtin, read_labelled_tsv, stratified_sample
from textaug.training.pipeline import train

from recipe_runs import add_run_options, mean_sd, previous_runs, signed, write_results

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "eda"
TASKS = ("builtin", "sst2", "subj", "trec")


def conditions(n: int) -> dict[str, dict[str, Any]]:
    """Condition name -> the TrainConfig options it adds (fixed a priori; see the docstring)."""
    alpha, n_aug = eda_paper_setting(n)
    return {
        "none": {},
        "eda": {"augment": "eda", "alpha": alpha, "n_aug": n_aug},
        "mixup": {"mixup": 0.4, "mixup_layer": "pooled"},
        "feature": {"feature_noise": 0.1, "feature_interpolate": 0.5},
        "consistency": {"consistency": 1.0, "consistency_augment": "eda", "unlabeled_ratio": 3},
    }


@dataclass(frozen=True)
class Budget:
    """The step protocol for a model family: a cap, how often validation runs, patience."""

    max_steps: int
    eval_steps: int
    patience: int


#: transformers converge in few steps; the vector models train from scratch and need more
BUDGETS = {"transformer": Budget(max_steps=150, eval_steps=25, patience=3),
           "static": Budget(max_steps=1000, eval_steps=50, patience=5)}


def _splits(task: str, data: Path, validation_n: int, n: int, seed: int, test_n: int | None):
    """(labeled, validation, unlabeled texts, test) for one seed: validation first, then the
    labeled rows, the rest of the training data unlabeled."""
    if task == "builtin":
        corpus = load_builtin("rotten_tomatoes", seed=0)  # a fixed test split across seeds
        full, test = corpus["train"], corpus["test"]
    else:
        full = read_labelled_tsv(data / task / "train.tsv").class_encode_column("label")
        test = read_labelled_tsv(data / task / "test.tsv")
    if test_n is not None and test_n < len(test):
        test = stratified_sample(test, test_n, seed=0)
    pool = full.train_test_split(test_size=validation_n, seed=seed, stratify_by_column="label")
    rest = pool["train"].train_test_split(train_size=n, seed=seed, stratify_by_column="label")
    return rest["train"], pool["test"], list(rest["test"]["text"]), test


#: runs.csv's columns that are not text, with their types (for --resume and --report)
NUMERIC = {"seed": int, "labeled": int, "unlabeled": int, "train_rows": int, "steps": int, "selected_step": int,
           "validation_accuracy": float, "test_accuracy": float, "test_macro_f1": float, "seconds": float}


def table(runs: list[dict], names: list[str]) -> str:
    """Markdown: test accuracy mean ± sd per condition, then the paired difference from none."""
    head = "| task | model | " + " | ".join(names) + " | " + " | ".join(f"{c} − none" for c in names[1:]) + " |"
    lines = [head, "|" + "---|" * (2 + 2 * len(names) - 1)]
    for task, model in dict.fromkeys((r["task"], r["model"]) for r in runs):
        cell = {c: {r["seed"]: r["test_accuracy"] for r in runs if (r["task"], r["model"], r["condition"]) == (task, model, c)}
                for c in names}
        seeds = sorted(cell["none"])
        means = [mean_sd(list(cell[c].values()), digits=2) for c in names]
        diffs = [signed([cell[c][s] - cell["none"][s] for s in seeds if s in cell[c]], digits=2) for c in names[1:]]
        lines.append(f"| {task} | {model} | " + " | ".join(means) + " | " + " | ".join(diffs) + " |")
    return "\n".join(lines)


def plot(runs: list[dict], names: list[str], path: Path) -> None:
    """Test accuracy per condition (mean, with the seeds' sd as error bars), one panel per task and model."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = list(dict.fromkeys((r["task"], r["model"]) for r in runs))
    fig, axes = plt.subplots(1, len(panels), figsize=(3.6 * len(panels), 3.4), squeeze=False)
    for ax, (task, model) in zip(axes[0], panels):
        values = [[100 * r["test_accuracy"] for r in runs if (r["task"], r["model"], r["condition"]) == (task, model, c)]
                  for c in names]
        means = [statistics.mean(v) if v else 0 for v in values]
        sds = [statistics.stdev(v) if len(v) > 1 else 0 for v in values]
        ax.bar(range(len(names)), means, yerr=sds, capsize=3, color=["#888888"] + ["#4c72b0"] * (len(names) - 1))
        ax.axhline(means[0], color="#888888", linewidth=0.8, linestyle="--")
        low = min(m - s for m, s in zip(means, sds) if m) - 2
        ax.set_ylim(max(0, low), min(100, max(m + s for m, s in zip(means, sds)) + 1.5))
        ax.set_xticks(range(len(names)), names, rotation=30, ha="right")
        ax.set_title(f"{task}, {model}", fontsize=10)
        ax.set_ylabel("test accuracy %")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> list[dict]:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--task", nargs="+", default=["builtin", "sst2"], choices=TASKS)
    p.add_argument("--model", nargs="+", default=["minilm", "lstm-glove"],
                   help="minilm, lstm-glove, cnn-glove, or a transformers hub id / folder")
    p.add_argument("--conditions", nargs="+", default=list(conditions(500)), choices=list(conditions(500)))
    p.add_argument("--n", type=int, default=500, help="labeled training examples (stratified sample)")
    p.add_argument("--validation-n", type=int, default=500, help="validation examples, other training rows")
    p.add_argument("--test-n", type=int, default=None, help="score a stratified sample of the test data (default: all)")
    p.add_argument("--unlabeled-n", type=int, default=None, help="cap on the unlabeled texts (default: all the rest)")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--max-steps", type=int, default=None, help="override the step cap of every model")
    p.add_argument("--data", default=str(DEFAULT_DATA))
    p.add_argument("--quick", action="store_true", help="builtin task, BiLSTM, one seed")
    add_run_options(p, "out/training-time-augmentation")
    args = p.parse_args(argv)
    if args.quick:
        args.task, args.model, args.seeds = ["builtin"], ["lstm-glove"], [0]

    out = Path(args.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    names = [c for c in conditions(args.n) if c in args.conditions]
    if names[0] != "none":
        raise SystemExit("--conditions must include none: every difference is taken from it")
    runs = previous_runs(args, NUMERIC)
    if args.report:
        _write_report(out, runs, [c for c in names if any(r["condition"] == c for r in runs)],
                      _header(args, sorted({r["seed"] for r in runs}), sum(r["seconds"] for r in runs) / 60, len(runs)))
        return runs
    done = {(r["task"], r["model"], r["condition"], int(r["seed"])) for r in runs}
    for task in args.task:
        for seed in args.seeds:
            labeled, validation, unlabeled, test = _splits(task, Path(args.data), args.validation_n, args.n, seed,
                                                           args.test_n)
            if args.unlabeled_n is not None:
                unlabeled = unlabeled[: args.unlabeled_n]  # already in a seeded random order
            for model in args.model:
                static = model in ("lstm-glove", "cnn-glove")
                budget = BUDGETS["static" if static else "transformer"]
                steps = args.max_steps or budget.max_steps
                for name in names:
                    if (task, model, name, seed) in done:
                        continue
                    options = conditions(args.n)[name]
                    config = TrainConfig(
                        model=model, seed=seed, max_length=64, max_steps=steps, select="best",
                        eval_steps=min(budget.eval_steps, steps), patience=budget.patience,
                        dataset_name=task, output_dir=str(out / "models" / f"{task}-{model.replace('/', '_')}-{name}-{seed}"),
                        **options)
                    started = time.perf_counter()
                    result = train(config, train_dataset=labeled, validation_dataset=validation, test_dataset=test,
                                   unlabeled_dataset=unlabeled if config.consistency else None, quiet=True, save=False)
                    m = result.record
                    row = {"task": task, "model": model, "condition": name, "seed": seed, "labeled": len(labeled),
                           "unlabeled": len(unlabeled) if config.consistency else 0, "train_rows": m.training.examples,
                           "steps": m.training.steps, "selected_step": m.validation.selected_step,
                           "validation_accuracy": m.validation.scores.accuracy, "test_accuracy": m.test.accuracy,
                           "test_macro_f1": m.test.macro_f1, "seconds": round(time.perf_counter() - started, 1)}
                    runs.append(row)
                    write_results(out, runs, "(partial)\n\n" + table(runs, names))  # after every run: a cut-off run keeps what it measured
                    print(f"{task} {model} seed={seed} {name}: test accuracy {row['test_accuracy']:.4f} "
                          f"(validation {row['validation_accuracy']:.4f}, step {row['selected_step']} of "
                          f"{row['steps']}, {row['seconds']:.0f} s)", flush=True)
    # the runs' own seconds, so a resumed table still states the compute it took
    _write_report(out, runs, names, _header(args, args.seeds, sum(float(r["seconds"]) for r in runs) / 60, len(runs)))
    return runs


def _header(args, seeds, minutes: float, n_runs: int) -> str:
    budgets = "; ".join(f"{kind}: up to {args.max_steps or b.max_steps} steps, validation every {b.eval_steps}, "
                        f"patience {b.patience}" for kind, b in BUDGETS.items())
    return (f"{args.n} labeled examples, {args.validation_n} validation examples; test accuracy %, mean ± sd over "
            f"seeds {list(seeds)}; differences paired by seed. Budgets ({budgets}); the best validation weights "
            f"kept. {n_runs} runs, {minutes:.0f} minutes of training and testing.")


def _write_report(out: Path, runs: list[dict], names: list[str], header: str) -> None:
    text = header + "\n\n" + table(runs, names) + "\n"
    write_results(out, runs, text, lambda path: plot(runs, names, path))
    print("\n" + text)
    print(f"every run: {out / 'runs.csv'}; plot: {out / 'results.png'}")


if __name__ == "__main__":
    main()
