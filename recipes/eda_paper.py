"""The EDA experiment (Wei & Zou 2019), reproduced honestly: SST-2, SUBJ and TREC at 500, 2,000 and
all training examples, a BiLSTM and a CNN on 300-d vectors as in the paper, and MiniLM, each with
and without EDA at the paper's settings for the size, over several seeds.

    python recipes/eda_paper.py                          # the whole table (about 2 hours on 2 cores)
    python recipes/eda_paper.py --quick                  # SST-2, 500 examples, one seed, both vector models
    python recipes/eda_paper.py --data-dir ../shared/data/eda --task trec --size 500 2000 --seeds 0 1 2 3 4

What differs from the paper, on purpose:
- Selection: every run trains up to a cap of optimizer steps, validates every ``eval_steps`` on
  rows of the training file that are not trained on (never on test), stops after ``patience``
  evaluations without improvement and keeps its best validation weights; the paper trained a
  fixed number of epochs, which gives an augmented run ``n_aug + 1`` times the steps.
- Validation: 500 other training rows at 500 and 2,000 examples; a stratified 10% of the file
  for ``full`` (so ``full`` trains on 90% of the file).
- Vectors: spaCy en_core_web_md's 300-d vectors (``--vectors``), the 300-d set that installs
  offline here; the paper used 300-d GloVe (Common Crawl).
- Tasks: three of the paper's five (CR and PC have no offline copy); the paper's figures are
  averages over all five, so the comparison is of the averages, approximately.

Data: ``--data-dir`` holding ``{task}/train.tsv`` and ``{task}/test.tsv`` (label<TAB>text, the
paper's release), or, without it, the hub copies in :data:`HUB` (the ordinary online path). Writes
``runs.csv`` (after every run), ``results.md`` (mean ± sd per cell, the EDA gain, the paper's
numbers beside) and ``results.png`` (accuracy against training size, with and without EDA, per
model) under ``--output-dir``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from textaug.augment.recipes import eda_paper_setting
from textaug.config import TrainConfig
from textaug.data import load_table, read_labelled_tsv, stratified_sample
from textaug.training.pipeline import train

from recipe_runs import add_run_options, mean_sd, previous_runs, signed, write_results

TASKS = ("sst2", "subj", "trec")
#: Hub copies of the tasks (text, label), for users with the network and without the paper's files.
HUB = {"sst2": "SetFit/sst2", "subj": "SetFit/subj", "trec": "SetFit/TREC-QC"}
DEFAULT_SIZES = ("500", "2000", "full")

#: Wei & Zou 2019, Table 2: average accuracy % over their five tasks (RNN, CNN), by training size.
PAPER = {("lstm", "500"): (75.3, 79.1), ("lstm", "2000"): (83.7, 84.4), ("lstm", "full"): (87.4, 88.3),
         ("cnn", "500"): (78.6, 80.7), ("cnn", "2000"): (85.6, 86.4), ("cnn", "full"): (88.3, 88.8)}


@dataclass(frozen=True)
class Model:
    name: str  # textaug's model name
    family: str  # the paper's row it is compared with ("lstm", "cnn"), or "" for none
    max_steps: int
    eval_steps: int
    patience: int
    sizes: tuple[str, ...]  # the sizes it runs at by default


MODELS = {
    "lstm": Model("lstm-glove", "lstm", 1500, 100, 5, DEFAULT_SIZES),
    "cnn": Model("cnn-glove", "cnn", 1500, 100, 5, DEFAULT_SIZES),
    # a transformer on 2 cores: 500 and 2,000 only (full takes a GPU: --size full --model minilm)
    "minilm": Model("minilm", "", 250, 50, 3, ("500", "2000")),
}


def load_task(task: str, data_dir: Path | None):
    """(train, test) with ``text`` and an integer ``label``."""
    if data_dir is not None:
        return read_labelled_tsv(data_dir / task / "train.tsv"), read_labelled_tsv(data_dir / task / "test.tsv")
    return load_table(HUB[task], split="train"), load_table(HUB[task], split="test")


def split(full, size: str, seed: int, validation_n: int):
    """(training rows, validation rows), stratified and seeded; validation never trained on."""
    full = full.class_encode_column("label") if not hasattr(full.features["label"], "names") else full
    if size == "full":
        parts = full.train_test_split(test_size=0.1, seed=seed, stratify_by_column="label")
        return parts["train"], parts["test"]
    parts = full.train_test_split(test_size=validation_n, seed=seed, stratify_by_column="label")
    return stratified_sample(parts["train"], int(size), seed=seed), parts["test"]


def table(runs: list[dict]) -> str:
    """One row per model and size: each task with and without EDA, the mean over tasks, the gain,
    and the paper's average beside."""
    tasks = list(dict.fromkeys(r["task"] for r in runs))
    head = ("| model | size | " + " | ".join(f"{t} none | {t} EDA" for t in tasks)
            + " | mean none | mean EDA | EDA − none (paired) | paper none | paper EDA |")
    lines = [head, "|" + "---|" * (2 + 2 * len(tasks) + 5)]
    for model, size in dict.fromkeys((r["model"], r["size"]) for r in runs):
        cells, means = [], {"none": [], "eda": []}
        for task in tasks:
            for recipe in ("none", "eda"):
                values = [r["test_accuracy"] for r in runs if (r["model"], r["size"], r["task"], r["recipe"])
                          == (model, size, task, recipe)]
                cells.append(mean_sd(values))
        cell_runs = [r for r in runs if (r["model"], r["size"]) == (model, size)]
        seeds = sorted({r["seed"] for r in cell_runs})
        for recipe in means:  # per seed, the mean over the tasks, so the spread is over seeds
            for seed in seeds:
                values = [r["test_accuracy"] for r in cell_runs if (r["seed"], r["recipe"]) == (seed, recipe)]
                if len(values) == len(tasks):
                    means[recipe].append(statistics.mean(values))
        gain = [a - b for a, b in zip(means["eda"], means["none"])]
        paper = PAPER.get((MODELS[model].family, size))
        lines.append(f"| {MODELS[model].name} | {size} | " + " | ".join(cells)
                     + f" | {mean_sd(means['none'])} | {mean_sd(means['eda'])} | {signed(gain)}"
                     + f" | {paper[0] if paper else '-'} | {paper[1] if paper else '-'} |")
    return "\n".join(lines)


def plot(runs: list[dict], path: Path) -> None:
    """Mean test accuracy over tasks and seeds against training size, with and without EDA, per model."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    models = list(dict.fromkeys(r["model"] for r in runs))
    fig, axes = plt.subplots(1, len(models), figsize=(3.8 * len(models), 3.4), squeeze=False)
    for ax, model in zip(axes[0], models):
        sizes = [s for s in DEFAULT_SIZES if any(r["model"] == model and r["size"] == s for r in runs)]
        for recipe, style in (("none", "o--"), ("eda", "s-")):
            points = [(i, [r["test_accuracy"] for r in runs if (r["model"], r["size"], r["recipe"]) == (model, s, recipe)])
                      for i, s in enumerate(sizes)]
            points = [(i, 100 * statistics.mean(v)) for i, v in points if v]  # a partial run may lack some
            if points:
                ax.plot([i for i, _ in points], [y for _, y in points], style, label=recipe)
        family = MODELS[model].family
        if family:
            for i, (recipe, style) in enumerate((("none", "o:"), ("EDA", "s-."))):
                ax.plot(range(len(sizes)), [PAPER[(family, s)][i] for s in sizes], style, color="#999999", ms=3,
                        label=f"paper {recipe} (5 tasks)")
        ax.set_xticks(range(len(sizes)), sizes)
        ax.set_xlabel("training examples")
        ax.set_ylabel("test accuracy % (mean over tasks)")
        ax.set_title(MODELS[model].name, fontsize=10)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


#: runs.csv's columns that are not text, with their types (for --resume)
NUMERIC = {"seed": int, "alpha": float, "n_aug": int, "train_rows": int, "steps": int, "selected_step": int,
            "validation_accuracy": float, "test_accuracy": float, "seconds": float}


def _key(run: dict) -> tuple:
    return run["task"], run["size"], run["model"], run["recipe"], int(run["seed"])


def _write(out: Path, runs: list[dict], header: str) -> None:
    write_results(out, runs, header + "\n\n" + table(runs), lambda path: plot(runs, path))


def main(argv: list[str] | None = None) -> list[dict]:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--task", nargs="+", default=list(TASKS), choices=TASKS)
    p.add_argument("--size", nargs="+", default=None, help="500, 2000, full (default: each model's own)")
    p.add_argument("--model", nargs="+", default=list(MODELS), choices=list(MODELS))
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--vectors", default="spacy-md", help="the vector models' vectors (default: spacy-md, 300-d)")
    p.add_argument("--validation-n", type=int, default=500)
    p.add_argument("--max-steps", type=int, default=None, help="override every model's step cap")
    p.add_argument("--transformer", default=None, help="the checkpoint the minilm row uses (default: minilm)")
    p.add_argument("--data-dir", default=None, help="{task}/train.tsv and test.tsv (default: the hub copies)")
    p.add_argument("--quick", action="store_true", help="SST-2, 500 examples, one seed, the two vector models")
    add_run_options(p, "out/eda-paper")
    args = p.parse_args(argv)
    if args.quick:
        args.task, args.size, args.model, args.seeds = ["sst2"], ["500"], ["lstm", "cnn"], [0]
    out = Path(args.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    data_dir = Path(args.data_dir) if args.data_dir else None
    runs = previous_runs(args, NUMERIC)
    if args.report:  # the table of finished runs; the header names what they contain
        args.seeds = sorted({r["seed"] for r in runs})
        args.model = [k for k in MODELS if any(r["model"] == k for r in runs)]
        args.task = []  # nothing to train
    done = {_key(r) for r in runs}
    for task in args.task:
        full, test = load_task(task, data_dir)
        for key in args.model:
            model = MODELS[key]
            for size in args.size or model.sizes:
                alpha, n_aug = eda_paper_setting(len(full) if size == "full" else int(size))
                for seed in args.seeds:
                    train_ds, val_ds = split(full, size, seed, args.validation_n)
                    steps = args.max_steps or model.max_steps
                    for recipe in ("none", "eda"):
                        if _key({"task": task, "size": size, "model": key, "recipe": recipe, "seed": seed}) in done:
                            continue
                        static = model.family != ""
                        config = TrainConfig(
                            model=args.transformer if (args.transformer and not static) else model.name,
                            vectors=args.vectors if static else None, seed=seed, max_length=64,
                            augment="eda" if recipe == "eda" else None, alpha=alpha, n_aug=n_aug,
                            max_steps=steps, eval_steps=min(model.eval_steps, steps), patience=model.patience,
                            dataset_name=task, output_dir=str(out / "models" / f"{task}-{size}-{key}-{recipe}-{seed}"))
                        started = time.perf_counter()
                        # quiet and in memory: the recipe's result is its CSV row, not a model folder
                        result = train(config, train_dataset=train_ds, validation_dataset=val_ds, test_dataset=test,
                                       quiet=True, save=False)
                        m = result.record
                        runs.append({"task": task, "size": size, "model": key, "recipe": recipe, "seed": seed,
                                     "alpha": alpha if recipe == "eda" else "", "n_aug": n_aug if recipe == "eda" else "",
                                     "train_rows": m.training.examples, "steps": m.training.steps,
                                     "selected_step": m.validation.selected_step,
                                     "validation_accuracy": m.validation.scores.accuracy,
                                     "test_accuracy": m.test.accuracy,
                                     "seconds": round(time.perf_counter() - started, 1)})
                        print(f"{task} {size} {key} {recipe} seed={seed}: test {runs[-1]['test_accuracy']:.4f} "
                              f"(step {runs[-1]['selected_step']} of {runs[-1]['steps']}, {runs[-1]['seconds']:.0f} s)",
                              flush=True)
                        _write(out, runs, "(partial)")
    # the runs' own seconds, so a resumed table still states the compute it took
    minutes = sum(float(r["seconds"]) for r in runs) / 60
    vectors = f"vector models on {args.vectors}; " if any(MODELS[k].family for k in args.model) else ""
    header = (f"The EDA experiment: test accuracy %, mean ± sd over seeds {args.seeds}; {vectors}each run at its own "
              f"validation optimum within its step cap (" + "; ".join(
                  f"{MODELS[k].name}: {args.max_steps or MODELS[k].max_steps} steps, validation every "
                  f"{MODELS[k].eval_steps}, patience {MODELS[k].patience}" for k in args.model)
              + f"); EDA at the paper's alpha/n_aug for the size. {len(runs)} runs in {minutes:.0f} minutes. "
              "The paper's columns average five tasks (SST-2, CR, SUBJ, TREC, PC) and train for fixed epochs.")
    _write(out, runs, header)
    print("\n" + header + "\n\n" + table(runs))
    return runs


if __name__ == "__main__":
    main()
