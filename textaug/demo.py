"""The showcase (``textaug demo``, ``make demo``): does augmentation help this model at 500 labels?

On the built-in Rotten Tomatoes corpus it

1. samples ``n`` labelled training snippets, ``validation_n`` *other* training snippets for
   checkpoint selection and ``test_n`` test snippets;
2. runs :func:`textaug.tune` on the ``n`` training rows only (k-fold cross-validation; neither the
   validation nor the test snippets are read) to choose an augmentation among a few candidates;
3. trains the model twice at the same budget (optimizer steps), without augmentation and with the
   tuned choice, each keeping its best validation checkpoint; if tune answered ``none``, the
   "with" run uses the best-scoring candidate that was *not* chosen, so the table still shows
   what it would have given, labelled as rejected;
4. evaluates each once on the test snippets and writes, under the output folder, both model
   folders (cards, curves), the tuned configuration file, a Markdown table and a PNG plot.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .config import TrainConfig

__all__ = ["DemoResult", "run_demo", "demo_candidates", "DEMO_BUDGETS", "WITHOUT_DIR", "WITH_DIR", "TUNED_FILE",
           "RESULTS_FILE", "PLOT_FILE"]

# The files and folders the demo writes under its output folder, named once here.
WITHOUT_DIR = "without-augmentation"
WITH_DIR = "with-augmentation"
TUNED_FILE = "tuned.json"
RESULTS_FILE = "results.md"
PLOT_FILE = "results.png"

#: Optimizer steps per run (each fold's run and both final runs) and validation interval, by
#: whether the model is a transformer or a vector model: the transformer's steps cost ~0.3 s on 2
#: cores, the BiLSTM's ~0.03 s and it needs more of them. Both fit the demo in about 10 minutes.
DEMO_BUDGETS = {"transformer": (150, 25), "vectors": (1000, 50)}


def demo_candidates() -> list[str]:
    """The demo's short list: none, EDA at the paper's 500-example strength and a light one, and
    AEDA (punctuation insertion). ``textaug tune`` has the full default grid."""
    return ["none", "eda:alpha=0.05,n_aug=4", "eda:alpha=0.1,n_aug=8", "aeda:n_aug=4"]


@dataclass
class DemoResult:
    tuned: Any  # TuneResult
    #: "without" and "with": the two final TrainResults
    runs: dict[str, Any]
    #: the candidate the "with" run used, and whether tune chose it
    compared: str
    chosen: bool
    table: str
    output_dir: Path
    seconds: float


def _budget(config: TrainConfig) -> tuple[int, int]:
    from .models import kind_name

    return DEMO_BUDGETS["transformer" if kind_name(config.model) == "transformer" else "vectors"]


def run_demo(config: TrainConfig, *, n: int = 500, validation_n: int = 500, test_n: int = 1000, folds: int = 3,
             candidates: Sequence[str] | None = None, tune_minutes: float | None = None,
             progress: Callable[[str], None] = print) -> DemoResult:
    """The whole showcase for ``config`` (its model, seed, options; its ``augment`` is ignored:
    tune chooses it). ``config.output_dir`` receives the folders and files named above."""
    from .augment.recipes import build_augmenter
    from .data import load_builtin, stratified_sample
    from .training.folder import check_output_dir
    from .training.pipeline import train
    from .tuning import NONE, tune, write_config_file

    began = time.perf_counter()
    out = check_output_dir(config.output_dir)  # before any training, as train() does
    steps, every = _budget(config)
    base = replace(config, augment=None, max_steps=config.max_steps or steps,
                   eval_steps=min(config.eval_steps or every, config.max_steps or steps))
    corpus = load_builtin("rotten_tomatoes", seed=config.seed)
    # training and validation rows are disjoint samples of the training split; the test split is apart
    pool = corpus["train"].train_test_split(test_size=validation_n, seed=config.seed, stratify_by_column="label")
    train_ds = stratified_sample(pool["train"], n, seed=config.seed)
    val_ds, test_ds = pool["test"], stratified_sample(corpus["test"], test_n, seed=config.seed)
    progress(f"Rotten Tomatoes (built-in): {len(train_ds):,} labelled training snippets, {len(val_ds):,} other "
             f"training snippets for checkpoint selection, {len(test_ds):,} test snippets; {base.model}, "
             f"{base.max_steps} optimizer steps per run")

    progress(f"\n1. tune: {folds}-fold cross-validation on the {len(train_ds):,} training snippets only")
    tuned = tune(base, folds=folds, candidates=list(candidates or demo_candidates()), max_minutes=tune_minutes,
                 train_dataset=train_ds, progress=lambda line: progress("   " + line))
    out.mkdir(parents=True, exist_ok=True)
    write_config_file(tuned, out / TUNED_FILE)
    progress("\n" + tuned.table() + f"\n\n   rule: {tuned.rule}")
    chosen = tuned.chosen.candidate.name != NONE
    if chosen:
        compared = tuned.chosen
    else:  # show what the best rejected candidate would have given, labelled as such
        others = [r for r in tuned.results if r.candidate.name != NONE and r.scores]
        compared = max(others, key=lambda r: r.mean) if others else None
    compared_name = compared.candidate.name if compared else None
    progress(f"   chosen: {tuned.chosen.candidate.name}" + ("" if chosen else " (no candidate beat none by more "
                                                            "than the fold noise)"))

    runs: dict[str, Any] = {}
    plan = [("without", NONE, {}, WITHOUT_DIR)]
    if compared is not None:
        plan.append(("with", compared.candidate.name, compared.candidate.options, WITH_DIR))
    for label, name, options, folder in plan:
        progress(f"\n2. training {label} augmentation ({name}) on all {len(train_ds):,} snippets ...")
        run_config = TrainConfig.from_dict({**base.to_dict(), **options, "output_dir": str(out / folder)})
        if run_config.augment:
            aug = build_augmenter(run_config.augment, alpha=run_config.alpha, n_aug=run_config.n_aug,
                                  seed=run_config.seed)
            progress(f"   augmenter: {aug!r}")
        runs[label] = train(run_config, train_dataset=train_ds, validation_dataset=val_ds, test_dataset=test_ds)

    table = results_table(tuned, runs, compared_name, chosen)
    seconds = time.perf_counter() - began
    header = (f"textaug demo: {base.model} on {len(train_ds):,} Rotten Tomatoes snippets (seed {base.seed}), "
              f"{base.max_steps} optimizer steps per run, checkpoints selected on {len(val_ds):,} other training "
              f"snippets, test on {len(test_ds):,} test snippets evaluated once per model; "
              f"{seconds / 60:.1f} minutes in all.")
    (out / RESULTS_FILE).write_text(f"{header}\n\n## Cross-validation (tune)\n\n{tuned.table()}\n\nRule: {tuned.rule}."
                                    f"\n\n## The two models\n\n{table}\n", encoding="utf-8")
    plot(tuned, runs, out / PLOT_FILE, tuned.metric, compared_name)  # tune's metric: what its folds scored
    progress(f"\n{header}\n\n{table}\n")
    best = out / (WITH_DIR if chosen else WITHOUT_DIR)
    progress(f"wrote {out / RESULTS_FILE}, {out / PLOT_FILE}, {out / TUNED_FILE} and the model folders; "
             f"the model tune's choice gives: {best}")
    return DemoResult(tuned, runs, compared_name or NONE, chosen, table, out, seconds)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.2f}"


def results_table(tuned, runs: dict[str, Any], compared: str | None, chosen: bool) -> str:
    """Side by side: validation (used for selection), test (the result), and the training cost."""
    label = "with " + (compared or "-") + ("" if chosen else " (rejected by tune)")
    cols = [("without augmentation", runs["without"])] + ([(label, runs["with"])] if "with" in runs else [])

    def metric(run, part, key):
        block = run.metrics.get(part) or {}
        return block.get(key)

    rows = [("validation accuracy % (used for selection)", lambda r: _pct(metric(r, "validation", "accuracy"))),
            ("**test accuracy %** (the result)", lambda r: _pct(metric(r, "test", "accuracy"))),
            ("test macro-F1 %", lambda r: _pct(metric(r, "test", "macro_f1"))),
            ("training rows", lambda r: f"{r.metrics['training']['examples']:,}"),
            ("optimizer steps (kept step)", lambda r: f"{r.metrics['training']['steps']} "
                                                      f"({metric(r, 'validation', 'selected_step')})"),
            ("training seconds", lambda r: f"{r.metrics['training']['seconds']:.0f}")]
    lines = ["| | " + " | ".join(name for name, _ in cols) + (" | difference |" if len(cols) == 2 else " |"),
             "|---|" + "---|" * (len(cols) + (len(cols) == 2))]
    for title, get in rows:
        cells = [get(run) for _, run in cols]
        diff = ""
        if len(cols) == 2 and "%" in title:
            key = ("validation", "accuracy") if "validation" in title else (
                ("test", "accuracy") if "accuracy" in title else ("test", "macro_f1"))
            a, b = metric(cols[0][1], *key), metric(cols[1][1], *key)
            diff = "-" if a is None or b is None else f"{(b - a) * 100:+.2f}"
        lines.append(f"| {title} | " + " | ".join(cells) + (f" | {diff} |" if len(cols) == 2 else " |"))
    lines.append("")
    lines.append("One seed and one test sample: a difference of a point or two is within the seed-to-seed spread "
                 "measured in RESULTS.md; tune's fold table above is the evidence the choice rests on.")
    return "\n".join(lines)


def plot(tuned, runs: dict[str, Any], path: Path, metric: str, compared: str | None = None) -> None:
    """Left: each candidate's cross-validated score (mean ± sd over folds; the chosen one filled).
    Middle: the validation curve of both final runs, kept step marked. Right: their test scores."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (cv_ax, val_ax, test_ax) = plt.subplots(1, 3, figsize=(13, 3.8))
    scored = [r for r in tuned.results if r.scores]
    ys = range(len(scored))
    cv_ax.barh(list(ys), [100 * r.mean for r in scored], xerr=[100 * r.sd for r in scored],
               color=["tab:green" if r is tuned.chosen else "#bbbbbb" for r in scored])
    cv_ax.set_yticks(list(ys), [r.candidate.name for r in scored], fontsize=7)
    lows = [100 * (r.mean - r.sd) for r in scored]
    cv_ax.set_xlim(max(0.0, min(lows) - 5), min(100.0, max(100 * (r.mean + r.sd) for r in scored) + 3))
    cv_ax.set_xlabel(f"{metric} % over {tuned.folds} folds (mean ± sd)")
    cv_ax.set_title("tune (training rows only)", fontsize=10)
    colours = {"without": "tab:blue", "with": "tab:orange"}
    for label, run in runs.items():
        history = [h for h in run.history if metric in h]
        if history:
            val_ax.plot([h["step"] for h in history], [100 * h[metric] for h in history], "o-", ms=3,
                        color=colours[label], label=f"{label} augmentation")
            kept = run.metrics["validation"]["selected_step"]
            val_ax.axvline(kept, color=colours[label], linestyle=":", lw=1)
    val_ax.set_xlabel("optimizer step (dotted: kept)")
    val_ax.set_ylabel(f"validation {metric} %")
    val_ax.set_title("selection (validation snippets)", fontsize=10)
    val_ax.legend(fontsize=8)
    names = list(runs)
    values = [100 * runs[k].metrics["test"][metric] for k in names]
    titles = {"without": "none", "with": compared.replace(",", ",\n") if compared else "with"}
    test_ax.bar([titles[k] for k in names], values, color=[colours[k] for k in names])
    test_ax.tick_params(axis="x", labelsize=8)
    for i, v in enumerate(values):
        test_ax.text(i, v + 0.3, f"{v:.1f}", ha="center", fontsize=9)
    test_ax.set_ylim(max(0.0, min(values) - 10), min(100.0, max(values) + 4))
    test_ax.set_ylabel(f"test {metric} %")
    test_ax.set_title("the result (test, evaluated once)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
