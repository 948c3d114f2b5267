"""The showcase (``textaug demo``, ``make demo``): does augmentation help this model at 500 labels?

On the built-in Rotten Tomatoes corpus it

1. samples ``n`` labelled training snippets, ``validation_n`` *other* training snippets for
   checkpoint selection and ``test_n`` test snippets;
2. runs :func:`textaug.tune` on the ``n`` training rows only (repeated k-fold cross-validation,
   the corrected resampled t-test, Holm across the candidates; neither the validation nor the
   test snippets are read) to choose an augmentation among a few candidates, and prints its table
   with the intervals and its one-sentence decision;
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

from .augment.recipes import build_augmenter
from .config import TrainConfig
from .data import load_builtin, stratified_sample
from .training.folder import check_output_dir
from .training.pipeline import train
from .tuning import NONE, tune, write_config_file

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
#: cores, the BiLSTM's ~0.03 s and it needs more of them. With three candidates over 3 folds x 2
#: repeats (18 runs at most) the MiniLM demo fits in 15 minutes.
DEMO_BUDGETS = {"transformer": (150, 25), "vectors": (1000, 50)}


def demo_candidates() -> list[str]:
    """The demo's short list: none, EDA (the strength the first demo's uncorrected rule chose, and
    then lost 2 points with on test) and AEDA (punctuation insertion). Two candidates keep the
    repeated cross-validation inside the demo's time; ``textaug tune`` has the full default grid."""
    return ["none", "eda:alpha=0.1,n_aug=8", "aeda:n_aug=4"]


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
    return DEMO_BUDGETS["transformer" if config.kind == "transformer" else "vectors"]


def check_demo_options(n: int, validation_n: int, test_n: int, folds: int, repeats: int,
                       tune_minutes: float | None) -> None:
    """The demo's own options, checked before anything is read or trained, named by their flag."""
    for flag, value, least in (("--n", n, 2 * folds), ("--validation-n", validation_n, 2), ("--test-n", test_n, 2),
                               ("--folds", folds, 2), ("--repeats", repeats, 1)):
        if value < least:
            raise ValueError(f"{flag} must be at least {least}, got {value}")
    if tune_minutes is not None and not tune_minutes > 0:
        raise ValueError(f"--tune-minutes must be above 0, got {tune_minutes}")


def run_demo(config: TrainConfig, *, n: int = 500, validation_n: int = 500, test_n: int = 1000, folds: int = 3,
             repeats: int = 2, candidates: Sequence[str] | None = None, tune_minutes: float | None = None,
             progress: Callable[[str], None] = print) -> DemoResult:
    """The whole showcase for ``config`` (its model, seed, options; its ``augment`` is ignored:
    tune chooses it). ``config.output_dir`` receives the folders and files named above."""
    began = time.perf_counter()
    check_demo_options(n, validation_n, test_n, folds, repeats, tune_minutes)
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

    progress(f"\n1. tune: {folds}-fold cross-validation x {repeats} repeats on the {len(train_ds):,} training "
             "snippets only")
    tuned = tune(base, folds=folds, repeats=repeats, candidates=list(candidates or demo_candidates()),
                 max_minutes=tune_minutes, train_dataset=train_ds, progress=lambda line: progress("   " + line))
    out.mkdir(parents=True, exist_ok=True)
    write_config_file(tuned, out / TUNED_FILE)
    progress("\n" + tuned.table() + f"\n\n   rule: {tuned.rule}\n   {tuned.sentence}")
    chosen = tuned.chosen.candidate.name != NONE
    if chosen:
        compared = tuned.chosen
    else:  # show what the best rejected candidate would have given, labelled as such
        others = [r for r in tuned.results if r.candidate.name != NONE and r.scores]
        compared = max(others, key=lambda r: r.mean) if others else None
    compared_name = compared.candidate.name if compared else None

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
        runs[label] = train(run_config, train_dataset=train_ds, validation_dataset=val_ds, test_dataset=test_ds,
                            tuned=tuned.report() if label == "with" and chosen else None)

    table = results_table(tuned, runs, compared_name, chosen)
    seconds = time.perf_counter() - began
    header = (f"textaug demo: {base.model} on {len(train_ds):,} Rotten Tomatoes snippets (seed {base.seed}), "
              f"{base.max_steps} optimizer steps per run, checkpoints selected on {len(val_ds):,} other training "
              f"snippets, test on {len(test_ds):,} test snippets evaluated once per model; "
              f"{seconds / 60:.1f} minutes in all.")
    (out / RESULTS_FILE).write_text(f"{header}\n\n## Cross-validation (tune)\n\n{tuned.table()}\n\nRule: {tuned.rule}."
                                    f"\n\n**{tuned.sentence}.**\n\nTune took {tuned.seconds / 60:.1f} minutes."
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
        block = run.record.test if part == "test" else (run.record.validation.scores if run.record.validation else None)
        return None if block is None else getattr(block, key)

    rows = [("validation accuracy % (used for selection)", lambda r: _pct(metric(r, "validation", "accuracy"))),
            ("**test accuracy %** (the result)", lambda r: _pct(metric(r, "test", "accuracy"))),
            ("test macro-F1 %", lambda r: _pct(metric(r, "test", "macro_f1"))),
            ("training rows", lambda r: f"{r.record.training.examples:,}"),
            ("optimizer steps (kept step)", lambda r: f"{r.record.training.steps} "
                                                      f"({r.record.validation.selected_step if r.record.validation else '-'})"),
            ("training seconds", lambda r: f"{r.record.training.seconds:.0f}")]
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
    """Left: each candidate's paired gain over none with its corrected 95% interval (green: chosen).
    Middle: the validation curve of both final runs, kept step marked. Right: their test scores."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (cv_ax, val_ax, test_ax) = plt.subplots(1, 3, figsize=(13, 3.8))
    # the decision's evidence: each candidate's mean paired gain over none with its corrected interval
    tests = [(r, tuned.decision.tests[r.candidate.name]) for r in tuned.results
             if r.candidate.name in tuned.decision.tests and r.scores]
    for y, (r, t) in enumerate(tests):
        low = t.low if t.low > -1 else t.gain
        high = t.high if t.high < 1 else t.gain
        cv_ax.errorbar([100 * t.gain], [y], xerr=[[100 * (t.gain - low)], [100 * (high - t.gain)]], fmt="o",
                       color="tab:green" if r is tuned.chosen else "tab:grey", capsize=3)
    cv_ax.axvline(0, color="black", lw=0.8)
    cv_ax.set_yticks(list(range(len(tests))), [r.candidate.name for r, _ in tests], fontsize=7)
    cv_ax.set_ylim(-0.7, len(tests) - 0.3)
    cv_ax.set_xlabel(f"gain in {metric} vs none, points\n(95% corrected interval, {tuned.folds} folds x "
                     f"{tuned.repeats} repeats)", fontsize=8)
    cv_ax.set_title("tune (training rows only)", fontsize=10)
    colours = {"without": "tab:blue", "with": "tab:orange"}
    for label, run in runs.items():
        history = [h for h in run.history if metric in h]
        if history:
            val_ax.plot([h["step"] for h in history], [100 * h[metric] for h in history], "o-", ms=3,
                        color=colours[label], label=f"{label} augmentation")
            kept = run.record.validation.selected_step
            val_ax.axvline(kept, color=colours[label], linestyle=":", lw=1)
    val_ax.set_xlabel("optimizer step (dotted: kept)")
    val_ax.set_ylabel(f"validation {metric} %")
    val_ax.set_title("selection (validation snippets)", fontsize=10)
    val_ax.legend(fontsize=8)
    names = list(runs)
    values = [100 * runs[k].record.test.metric(metric) for k in names]
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
