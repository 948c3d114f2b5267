"""How long should a BiLSTM or CNN train by default? A fixed epoch count against training to the
validation plateau, at the size where users have validation data (500 labelled rows).

    python recipes/plateau_budget.py --data-dir ../shared/data/eda --task rt sst2 --dev 1000 --seeds 0 1 2
    python recipes/plateau_budget.py --data-dir ../shared/data/eda --task rt sst2 --seeds 3 4 5 \\
        --budgets 20/3 100/10

Each run is what ``textaug train --train 500-rows.csv`` does for the model: 10% of the 500 rows
carved for validation (evaluated every epoch, best weights kept), the kind's learning rate; only
the budget differs, written EPOCHS/PATIENCE (20/3 is the vector kinds' default budget
today). ``--dev N`` scores N rows held out of the training file (stratified, seed 0; the 500 are
drawn from the rest) instead of the test file: the default is chosen on those rows, then
confirmed once on the test file at seeds no choice had seen. Each seed draws its own 500 rows,
shared by every budget. Writes runs.csv after every run (``--resume``, ``--report``) and
results.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fewshot import capped_test, dev_split, load_task  # noqa: E402  (the task loaders)
from recipe_runs import add_run_options, mean_sd, previous_runs, signed, write_results  # noqa: E402

#: the vector kinds' default budget today, the reference of every paired difference
REFERENCE = "20/3"
NUMERIC = {"n": int, "seed": int, "epochs": int, "patience": int, "epochs_trained": float, "steps": int,
           "selected_step": int, "test_accuracy": float, "seconds": float}


def parse_budget(text: str) -> tuple[int, int]:
    try:
        epochs, patience = (int(part) for part in text.split("/"))
    except ValueError:
        raise ValueError(f"a budget is EPOCHS/PATIENCE, e.g. 100/10; got {text!r}") from None
    if epochs < 1 or patience < 1:
        raise ValueError(f"epochs and patience must be >= 1, got {text!r}")
    return epochs, patience


def _key(run: dict) -> tuple:
    return run["task"], run["scored_on"], run["model"], run["budget"], int(run["seed"])


def table(runs: list[dict]) -> str:
    """Per task, model and budget: accuracy (mean ± sd), the paired difference against the
    reference budget, the epochs trained (the stopping point) and the seconds per run."""
    lines = [f"| task | scored on | model | budget (epochs/patience) | accuracy | − {REFERENCE} (paired) | epochs "
             "trained (mean, max) | s per run |", "|---|---|---|---|---|---|---|---|"]
    for task, scored, model in dict.fromkeys((r["task"], r["scored_on"], r["model"]) for r in runs):
        group = [r for r in runs if (r["task"], r["scored_on"], r["model"]) == (task, scored, model)]
        reference = {int(r["seed"]): float(r["test_accuracy"]) for r in group if r["budget"] == REFERENCE}
        for budget in dict.fromkeys(r["budget"] for r in group):
            cell = [r for r in group if r["budget"] == budget]
            acc = {int(r["seed"]): float(r["test_accuracy"]) for r in cell}
            diff = [acc[s] - reference[s] for s in sorted(acc) if s in reference] if budget != REFERENCE else []
            trained = [float(r["epochs_trained"]) for r in cell]
            lines.append(f"| {task} | {scored} | {model} | {budget} | {mean_sd(list(acc.values()))} | "
                         f"{signed(diff) if diff else '-'} | {statistics.mean(trained):.1f}, {max(trained):.0f} | "
                         f"{statistics.median(float(r['seconds']) for r in cell):.0f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> list[dict]:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--task", nargs="+", default=["rt"], choices=("rt", "sst2", "subj", "trec"))
    p.add_argument("--model", nargs="+", default=["lstm-glove", "cnn-glove"])
    p.add_argument("--budgets", nargs="+", default=["20/3", "60/10", "100/10"],
                   help="EPOCHS/PATIENCE per budget (20/3 is the reference)")
    p.add_argument("--n", type=int, default=500, help="labelled rows per run (10%% of them carved for validation)")
    p.add_argument("--dev", type=int, default=None, help="score N held-out training rows instead of the test file")
    p.add_argument("--test-n", type=int, default=2000, help="test rows scored (a stratified, fixed sample)")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--data-dir", type=Path, default=None, help="the EDA paper's data (sst2/subj/trec)")
    add_run_options(p, "out/plateau-budget")
    args = p.parse_args(argv)
    try:
        budgets = {b: parse_budget(b) for b in args.budgets}
    except ValueError as err:
        p.error(str(err))

    from textaug.config import TrainConfig
    from textaug.data import stratified_sample
    from textaug.training.data import validation_rows
    from textaug.training.pipeline import train

    out = Path(args.output_dir)
    runs = previous_runs(args, NUMERIC)
    if args.report:
        args.task = []
    done = {_key(r) for r in runs}
    scored_on = f"dev {args.dev}" if args.dev else "test"
    for task in args.task:
        pool, test = load_task(task, args.data_dir)
        if args.dev:
            pool, test = dev_split(pool, args.dev)
        test = capped_test(test, args.test_n)
        classes = len(set(pool["label"]))
        if validation_rows(args.n, classes, TrainConfig().validation_fraction) is None:
            raise SystemExit(f"--n {args.n}: too few rows for textaug train to carve validation from "
                             f"({classes} classes), so no budget would stop early")
        for seed in args.seeds:
            rows = stratified_sample(pool, args.n, seed=seed)
            for model in args.model:
                for name, (epochs, patience) in budgets.items():
                    if (task, scored_on, model, name, seed) in done:
                        continue
                    config = TrainConfig(model=model, seed=seed, epochs=epochs, patience=patience, max_length=64)
                    started = time.perf_counter()
                    m = train(config, train_dataset=rows, test_dataset=test, quiet=True, save=False).record
                    runs.append({
                        "task": task, "scored_on": scored_on, "n": args.n, "model": model, "budget": name,
                        "epochs": epochs, "patience": patience, "seed": seed,
                        "epochs_trained": m.validation.history[-1]["epoch"],
                        "steps": m.training.steps, "selected_step": m.validation.selected_step,
                        "test_accuracy": m.test.accuracy, "seconds": round(time.perf_counter() - started, 1),
                    })
                    print(f"{task} {model} {name} seed {seed}: {m.test.accuracy:.4f} after {m.training.steps} steps",
                          flush=True)
                    write_results(out, runs, table(runs))
    if runs:
        write_results(out, runs, table(runs))
        print(table(runs))
    return runs


if __name__ == "__main__":
    main()
