"""``textaug tune``: does an augmentation (recipe, strength, training-time objective) help this
model on these rows? Repeated k-fold cross-validation on the user's own training rows, a test that
knows the folds overlap, and a correction for the number of candidates.

- **Splits.** ``repeats`` independent stratified k-fold splits (``StratifiedGroupKFold`` when rows
  have groups), each with its own split seed, cut from the *original* rows before any
  augmentation: a candidate's copies are made from its fold's training rows only, so no copy of a
  held-out row is ever trained on. In every (repeat, fold) each candidate and ``none`` train on the
  same rows with the same training seed, so their scores are paired.
- **Runs.** Each is an ordinary :func:`textaug.train`, quiet and kept in memory: its checkpoint is
  selected on a validation share carved from the fold's training rows (before augmentation); the
  held-out fold is scored once. The user's own test data is never read.
- **The test** (:mod:`textaug.significance`). Per candidate, the J = repeats x folds paired
  differences d, the corrected resampled t statistic mean(d) / sqrt((1/J + n_test/n_train) var(d))
  with J - 1 degrees of freedom, one-sided p for "gain > 0"; Holm's correction across all the
  candidates at the family-wise level ``significance``. Chosen: among the candidates Holm rejects,
  the largest mean gain; otherwise ``none``, with the smallest gain this data could have detected.
- **Racing.** After each fold (or each repeat), a candidate is dropped when the upper bound of its
  corrected interval is below zero, or when it can no longer become significant within the planned
  runs (:func:`textaug.significance.futile`); tune stops when no candidate is left to change the
  decision. ``max_minutes`` stops starting runs that would not fit; a candidate short of runs is
  never chosen.

Defaults: 3 folds x 2 repeats. The demo's MiniLM runs (150 steps) cost about 40 s each on 2 cores,
so three candidates take at most 18 runs, about 12 minutes, before racing. A run costs the same
whatever the fold size (a fixed step budget), and at a fixed number of runs 3 folds x 2 repeats and
6 folds x 1 give about the same corrected variance (the held-out fold halves, its noise doubles),
while two repeats show how much a split alone moves a score. More runs buy a smaller detectable
gain: ``--folds 5 --repeats 4`` where time allows.

A candidate is ``none``, a recipe spec (``eda:alpha=0.05,n_aug=8``, as ``--augment`` takes), or
TrainConfig options (``mixup=0.4,mixup_layer=pooled``; ``consistency=1.0``).
"""

from __future__ import annotations

import json
import math
import os
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum
from pathlib import Path
from typing import Any

from .augment.recipes import build_augmenter
from .config import Select, TrainConfig, option_from_text
from .config_file import TUNED_KEY, check_output_path, read_config_file, read_tuned_report, write_config
from .significance import PairedTest, futile, holm, minimal_detectable_gain, paired_test

# textaug imports this module when it is imported; the trainer (torch, transformers, datasets) is
# imported inside the functions that train, so that 'import textaug' stays light.

__all__ = ["Candidate", "CandidateResult", "Split", "Racing", "Decision", "TuneResult", "parse_candidate",
           "default_candidates", "decide", "race", "paired_differences", "fold_indices", "repeated_splits", "tune",
           "write_config_file", "read_config_file", "read_tuned_report", "check_output_path", "TUNED_KEY"]

NONE = "none"


@dataclass(frozen=True)
class Candidate:
    """A name (as printed) and the TrainConfig options it sets."""

    name: str
    options: dict[str, Any] = field(default_factory=dict)


def parse_candidate(spec: str) -> Candidate:
    """``none``, a recipe spec, or ``field=value,field=value`` TrainConfig options."""
    spec = spec.strip()
    if spec == NONE:
        return Candidate(NONE)
    head = spec.split(",")[0]
    if "=" in head and ":" not in head:  # options: mixup=0.4,mixup_layer=pooled
        options = {}
        for part in spec.split(","):
            key, eq, value = part.partition("=")
            if not eq:
                raise ValueError(f"candidate {spec!r}: {part!r} is not field=value")
            options[key.strip()] = option_from_text(key.strip(), value.strip())
        return Candidate(spec, options)
    build_augmenter(spec, check=False)  # names and fields checked now
    return Candidate(spec, {"augment": spec})


def default_candidates(config: TrainConfig) -> list[Candidate]:
    """none; EDA at alpha 0.05/0.1 with 4/8/16 copies; AEDA; back-translation where Apertium is
    installed; mixup at the pooled layer; consistency training."""
    specs = [NONE] + [f"eda:alpha={a},n_aug={n}" for a in (0.05, 0.1) for n in (4, 8, 16)] + ["aeda:n_aug=4"]
    try:
        # two pivots, one copy each: Apertium is deterministic, so two copies through one pivot
        # would be the same round trip twice
        build_augmenter("backtranslate:n_aug=2,pivots=spa/cat")  # checks that the Apertium pairs are installed
        specs.append("backtranslate:n_aug=2,pivots=spa/cat")
    except Exception:  # noqa: BLE001 - any missing tool: the candidate is left out, not the run
        pass
    specs += ["mixup=0.4,mixup_layer=pooled", "consistency=1.0"]
    if config.kind == "transformer" and config.epochs is None and not config.patience:
        # the contrastive stage alone and with EDA copies as extra positives (its budget is its
        # pairs per row, so a base config fixing epochs or patience cannot run it)
        specs += ["contrastive=true", "contrastive=true,augment=eda:alpha=0.05,n_aug=4"]
    return [parse_candidate(s) for s in specs]


def fold_indices(labels: Sequence[int], folds: int, seed: int, groups: Sequence[Any] | None = None
                 ) -> list[tuple[list[int], list[int]]]:
    """(training rows, held-out rows) per fold: stratified, seeded; rows of a group stay together."""
    import numpy as np
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

    y = np.asarray(labels)
    smallest = int(np.bincount(y).min()) if len(y) else 0
    if folds < 2:
        raise ValueError(f"folds must be at least 2, got {folds}")
    if smallest < folds:
        raise ValueError(f"a class has {smallest} row(s): too few for {folds} stratified folds (use --folds {max(smallest, 2)} "
                         "or more rows)")
    if groups is not None and len(set(groups)) < folds:
        raise ValueError(f"the groups hold {len(set(groups))} distinct value(s): too few for {folds} folds, each of "
                         f"which holds whole groups out (use --folds {max(len(set(groups)), 2)} or finer groups)")
    splitter = (StratifiedGroupKFold(folds, shuffle=True, random_state=seed) if groups is not None
                else StratifiedKFold(folds, shuffle=True, random_state=seed))
    splits = splitter.split(np.zeros(len(y)), y, groups)
    return [(sorted(map(int, a)), sorted(map(int, b))) for a, b in splits]


@dataclass(frozen=True)
class Split:
    """One (repeat, fold) of the repeated k-fold: the rows trained on and the rows held out."""

    repeat: int
    fold: int
    train: list[int]
    held_out: list[int]

    @property
    def key(self) -> tuple[int, int]:
        return self.repeat, self.fold


def split_seed(seed: int, repeat: int) -> int:
    """Each repeat's own split seed, derived from the run's seed (independent streams)."""
    import numpy as np

    return int(np.random.SeedSequence([seed, repeat]).generate_state(1)[0])


def repeated_splits(labels: Sequence[int], folds: int, repeats: int, seed: int,
                    groups: Sequence[Any] | None = None) -> list[Split]:
    """``repeats`` stratified k-fold splits in order (repeat 0's folds, then repeat 1's, ...);
    a ValueError when a fold's training part would lack a class."""
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    classes = set(labels)
    out = []
    for r in range(repeats):
        for k, (train_idx, held_idx) in enumerate(fold_indices(labels, folds, split_seed(seed, r), groups)):
            missing = classes - {labels[i] for i in train_idx}
            if missing:
                raise ValueError(f"repeat {r + 1}, fold {k + 1}: its training part has no row of class(es) "
                                 f"{sorted(missing)} (the groups keep them together); use fewer folds or other groups")
            out.append(Split(r, k, train_idx, held_idx))
    return out


class Racing(str, Enum):
    """When tune looks at the results so far to drop candidates."""

    FOLD = "fold"
    REPEAT = "repeat"
    OFF = "off"


@dataclass
class CandidateResult:
    candidate: Candidate
    scores: list[float] = field(default_factory=list)  # the held-out score per run, in run order
    seconds: list[float] = field(default_factory=list)
    runs: list[tuple[int, int]] = field(default_factory=list)  # (repeat, fold) of each score
    dropped: str | None = None  # why it stopped early, if it did

    @property
    def mean(self) -> float:
        return statistics.mean(self.scores) if self.scores else float("nan")

    @property
    def sd(self) -> float:
        return statistics.stdev(self.scores) if len(self.scores) > 1 else 0.0


def paired_differences(result: CandidateResult, baseline: CandidateResult) -> list[float]:
    """candidate - baseline on every (repeat, fold) both ran."""
    base = dict(zip(baseline.runs, baseline.scores)) if baseline.runs else dict(enumerate(baseline.scores))
    keys = result.runs if result.runs else range(len(result.scores))
    return [s - base[k] for k, s in zip(keys, result.scores) if k in base]


@dataclass(frozen=True)
class Decision:
    """What the rule concluded from the runs: the tests, Holm's adjusted p-values, the choice."""

    chosen: CandidateResult
    #: per candidate name (not none): its corrected test over the runs it has
    tests: dict[str, PairedTest]
    #: per candidate name: Holm-adjusted p (None for a candidate short of runs, counted as p = 1)
    adjusted: dict[str, float | None]
    significant: dict[str, bool]
    #: the smallest gain this data could have detected (see significance.minimal_detectable_gain)
    detectable: float
    candidates_tested: int
    significance: float
    sentence: str
    #: the floor of the differences' sd (one held-out row's worth of score)
    min_sd: float = 0.0


def decide(results: Sequence[CandidateResult], planned_runs: int, test_train_ratio: float,
           significance: float = 0.05, min_sd: float = 0.0) -> Decision:
    """The rule on the runs so far: a candidate with all ``planned_runs`` can be chosen when Holm
    (across every candidate but none, those short of runs counted as p = 1) rejects "no gain" at
    ``significance``; among those, the largest mean gain. Else none. ``min_sd``: see
    :func:`textaug.significance.paired_test`."""
    baseline = next(r for r in results if r.candidate.name == NONE)
    others = [r for r in results if r is not baseline]
    tests = {r.candidate.name: paired_test(paired_differences(r, baseline), test_train_ratio, min_sd=min_sd)
             for r in others}
    complete = {r.candidate.name: tests[r.candidate.name].runs >= planned_runs and not r.dropped for r in others}
    family = [tests[r.candidate.name].p if complete[r.candidate.name] else 1.0 for r in others]
    rejected, adjusted_p = holm(family, significance)
    adjusted = {r.candidate.name: (p if complete[r.candidate.name] else None) for r, p in zip(others, adjusted_p)}
    significant = {r.candidate.name: rej and complete[r.candidate.name] for r, rej in zip(others, rejected)}
    winners = [r for r in others if significant[r.candidate.name]]
    chosen = max(winners, key=lambda r: tests[r.candidate.name].gain) if winners else baseline
    variances = [t.sd ** 2 for t in tests.values() if t.runs >= 2 and math.isfinite(t.sd)]
    detectable = (minimal_detectable_gain(statistics.median(variances), planned_runs, test_train_ratio, significance,
                                          len(others)) if variances else float("nan"))
    if not others:
        sentence = "none: no candidate was given besides none"
    elif chosen is not baseline:
        t = tests[chosen.candidate.name]
        sentence = (f"chosen: {chosen.candidate.name}, gain {t.gain * 100:+.2f} points "
                    f"[{t.low * 100:+.2f}, {t.high * 100:+.2f}], significant after correcting for {len(others)} "
                    f"candidate{'s' if len(others) > 1 else ''} (Holm-adjusted p = {adjusted[chosen.candidate.name]:.3g})")
    else:
        sentence = ("none: no candidate's gain is distinguishable from noise; with this data the smallest gain that "
                    "could have been detected is about "
                    + (f"{detectable * 100:.1f} points" if math.isfinite(detectable) else "(unknown: too few runs)"))
    return Decision(chosen, tests, adjusted, significant, detectable, len(others), significance, sentence, min_sd)


def race(results: Sequence[CandidateResult], planned_runs: int, test_train_ratio: float, significance: float,
         after: str, min_sd: float = 0.0) -> list[CandidateResult]:
    """Drop (and return) the candidates that cannot be chosen any more: the upper bound of the
    corrected 95% interval of the gain below zero, or futility (see significance.futile)."""
    baseline = next(r for r in results if r.candidate.name == NONE)
    dropped = []
    for r in results:
        if r is baseline or r.dropped:
            continue
        t = paired_test(paired_differences(r, baseline), test_train_ratio, min_sd=min_sd)
        if t.runs < 2 or t.runs >= planned_runs:
            continue
        if t.high < 0:
            r.dropped = (f"dropped after {after}: the gain's upper bound {t.high * 100:+.2f} is below zero "
                         f"(gain {t.gain * 100:+.2f} over {t.runs} runs)")
        elif futile(t, planned_runs, test_train_ratio, significance):
            r.dropped = (f"dropped after {after}: cannot become significant within {planned_runs} runs "
                         f"(gain {t.gain * 100:+.2f}, upper bound {t.high * 100:+.2f})")
        if r.dropped:
            dropped.append(r)
    return dropped


@dataclass
class TuneResult:
    results: list[CandidateResult]
    decision: Decision
    folds: int
    repeats: int
    metric: str
    #: the chosen configuration (TrainConfig), to train on all the rows
    config: TrainConfig
    seconds: float
    #: a fold's held-out rows over its training rows (mean over the splits): the test's correction
    test_train_ratio: float
    #: the drop decisions in the order they were made
    log: list[str] = field(default_factory=list)
    rule: str = ("corrected resampled t-test of the paired gain over none (variance x (1/J + n_test/n_train)), "
                 "Holm across the candidates; the largest significant gain, else none")

    @property
    def chosen(self) -> CandidateResult:
        return self.decision.chosen

    @property
    def planned_runs(self) -> int:
        return self.folds * self.repeats

    @property
    def sentence(self) -> str:
        return self.decision.sentence

    def _row(self, r: CandidateResult) -> dict[str, Any]:
        t = self.decision.tests.get(r.candidate.name)
        return {"candidate": r.candidate.name, "options": r.candidate.options, "runs": len(r.scores),
                "scores": r.scores, "mean": r.mean if r.scores else None, "sd": r.sd if r.scores else None,
                "gain": None if t is None else _finite(t.gain),
                "interval": None if t is None else [_finite(t.low), _finite(t.high)],
                "p": None if t is None else t.p, "holm_p": self.decision.adjusted.get(r.candidate.name),
                "significant": self.decision.significant.get(r.candidate.name, False),
                "seconds_per_run": statistics.mean(r.seconds) if r.seconds else None, "dropped": r.dropped}

    def table(self) -> str:
        lines = [f"| candidate | runs | {self.metric} % (mean ± sd) | gain vs none | 95% interval (corrected) "
                 "| p | Holm p | s per run | |", "|---|---|---|---|---|---|---|---|---|"]
        for r in self.results:
            row = self._row(r)
            scores = f"{r.mean * 100:.2f} ± {r.sd * 100:.2f}" if r.scores else "-"
            per_run = f"{row['seconds_per_run']:.0f}" if r.seconds else "-"
            if row["gain"] is None:
                gain = interval = p = holm_p = ""
            else:
                gain = f"{row['gain'] * 100:+.2f}"
                low, high = row["interval"]
                interval = "-" if low is None or high is None else f"[{low * 100:+.2f}, {high * 100:+.2f}]"
                p = f"{row['p']:.3f}"
                holm_p = "-" if row["holm_p"] is None else f"{row['holm_p']:.3f}"
            mark = "**chosen**" if r is self.chosen else (r.dropped or "")
            lines.append(f"| {r.candidate.name} | {len(r.scores)} | {scores} | {gain} | {interval} | {p} | {holm_p} "
                         f"| {per_run} | {mark} |")
        return "\n".join(lines)

    def report(self) -> dict[str, Any]:
        """The report written under ``tuned`` in the configuration file (plain JSON types)."""
        chosen_test = self.decision.tests.get(self.chosen.candidate.name)
        return {"chosen": self.chosen.candidate.name, "chosen_options": self.chosen.candidate.options,
                "decision": self.sentence,
                "gain": None if chosen_test is None else _finite(chosen_test.gain),
                "interval": None if chosen_test is None else [_finite(chosen_test.low), _finite(chosen_test.high)],
                "detectable_gain": _finite(self.decision.detectable),
                "significance": self.decision.significance, "candidates_tested": self.decision.candidates_tested,
                "rule": self.rule, "folds": self.folds, "repeats": self.repeats, "planned_runs": self.planned_runs,
                "test_train_ratio": round(self.test_train_ratio, 4), "min_sd": self.decision.min_sd,
                "metric": self.metric,
                "seconds": round(self.seconds, 1), "racing": self.log,
                "candidates": [self._row(r) for r in self.results]}


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


def _folds_unvalidated(config: TrainConfig, splits: Sequence[Split], classes: int) -> bool:
    """Whether the smallest fold is too small to carve a validation share from: train() then
    trains it without validation (training.budget), as it would the whole data at that size;
    said before any run."""
    if config.select is not Select.BEST:
        return False
    from .training.data import validation_rows

    smallest = min(len(s.train) for s in splits)
    return validation_rows(smallest, classes, config.validation_fraction) is None


def _distinct_at_size(config: TrainConfig, candidates: list[Candidate], rows: int, classes: int,
                      log: list[str], progress: Callable[[str], None]) -> list[Candidate]:
    """The candidates less those that train exactly as an earlier one at a size too small to
    validate (e.g. none becomes the contrastive stage at few-shot sizes: contrastive=true then
    repeats it), each left out with a line."""
    from .training.budget import unvalidated_config

    kept: list[Candidate] = []
    seen: dict[str, str] = {}
    for c in candidates:
        candidate_config = TrainConfig.from_dict({**config.to_dict(), **c.options})
        if candidate_config.select is Select.BEST:
            candidate_config = unvalidated_config(candidate_config, rows, classes, objective_given=False)[0]
        key = json.dumps(candidate_config.to_dict(), sort_keys=True, default=str)
        if key in seen:
            line = f"note: {c.name} trains exactly as {seen[key]} at this size: left out"
            log.append(line)
            progress(line)
            continue
        seen[key] = c.name
        kept.append(c)
    return kept


def check_budget(max_minutes: float | None) -> None:
    if max_minutes is not None and not max_minutes > 0:
        raise ValueError(f"max_minutes must be above 0, got {max_minutes}")


def tune(config: TrainConfig, *, folds: int = 3, repeats: int = 2, candidates: Sequence[str | Candidate] | None = None,
         max_minutes: float | None = None, significance: float = 0.05, racing: Racing | str = Racing.FOLD,
         train_dataset: Any = None, groups: Sequence[Any] | None = None, unlabeled_dataset: Any = None,
         progress: Callable[[str], None] = print, on_run: Callable[..., None] | None = None) -> TuneResult:
    """Cross-validate the candidates on the training rows ``config`` names (or ``train_dataset``)
    with ``config``'s model and options over ``repeats`` x ``folds`` runs, and decide by the rule
    above. ``groups`` (one per row) keeps rows of a group in one fold. ``on_run(split, candidate,
    train_rows, held_out, result)`` sees every run."""
    from .training.data import prepare_data
    from .training.pipeline import train

    if folds < 2:
        raise ValueError(f"folds must be at least 2, got {folds}")
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    if not 0 < significance < 1:
        raise ValueError(f"significance must be in (0, 1), got {significance}")
    check_budget(max_minutes)
    racing = Racing(racing)
    chosen_list = [c if isinstance(c, Candidate) else parse_candidate(c) for c in (candidates or default_candidates(config))]
    if not any(c.name == NONE for c in chosen_list):
        chosen_list.insert(0, Candidate(NONE))
    chosen_list.sort(key=lambda c: c.name != NONE)  # none first: every gain is paired with it
    for c in chosen_list:  # every candidate's options and external tools checked before the first run
        candidate_config = TrainConfig.from_dict({**config.to_dict(), **c.options})
        if candidate_config.augment:  # e.g. a back-translation pivot whose Apertium pair is missing
            build_augmenter(candidate_config.augment, alpha=candidate_config.alpha, n_aug=candidate_config.n_aug,
                            seed=candidate_config.seed)
    # All the training rows: no validation carved here (each fold carves its own), no test read.
    data = prepare_data(replace(config, select=Select.LAST, patience=None, validation=None, test=None),
                        train_dataset, read_test=False)
    rows = data.train
    if groups is not None and len(groups) != len(rows):
        raise ValueError(f"groups has {len(groups)} values for {len(rows)} training rows")
    labels = list(rows["label"])
    splits = repeated_splits(labels, folds, repeats, config.seed, groups)
    ratio = statistics.mean(len(s.held_out) / len(s.train) for s in splits)
    # one held-out row's worth of score: the floor of the differences' sd (exact ties are not certainty)
    resolution = 1 / max(len(s.held_out) for s in splits)
    metric = config.metric if config.metric in ("accuracy", "macro_f1") else "accuracy"
    log: list[str] = []
    if _folds_unvalidated(config, splits, len(data.labels)):
        chosen_list = _distinct_at_size(config, chosen_list, min(len(s.train) for s in splits), len(data.labels),
                                        log, progress)
    results = [CandidateResult(c) for c in chosen_list]
    planned = len(splits)
    if _folds_unvalidated(config, splits, len(data.labels)):
        smallest = min(len(s.train) for s in splits)
        line = (f"note: a fold's training part ({smallest} rows at the smallest) is too small to carve a validation "
                f"share from for {len(data.labels)} classes: those fold runs train as train does at that size, a "
                "fixed budget keeping the last weights (select last)")
        log.append(line)
        progress(line)
    progress(f"plan: {len(results)} candidates x {folds} folds x {repeats} repeat{'s' if repeats > 1 else ''} = "
             f"{len(results) * planned} runs at most ({len(rows):,} rows; n_test/n_train = {ratio:.2f}); racing "
             f"{'off' if racing is Racing.OFF else 'after each ' + racing.value}; Holm across "
             f"{len(results) - 1} candidates at {significance:g}"
             + (f"; budget {max_minutes:g} min" if max_minutes is not None else ""))
    began = time.perf_counter()
    estimated = False
    for n, split in enumerate(splits):
        fold_train, held_out = rows.select(split.train), rows.select(split.held_out)
        where = f"repeat {split.repeat + 1}/{repeats}, fold {split.fold + 1}/{folds}"
        for r in results:
            if r.dropped:
                continue
            elapsed = time.perf_counter() - began
            estimate = statistics.mean(r.seconds) if r.seconds else 0.0
            if max_minutes is not None and elapsed + estimate > max_minutes * 60:
                r.dropped = f"out of time after {len(r.scores)} runs"
                line = f"[{where}] {r.candidate.name}: stopped, the {max_minutes:g}-minute budget would be exceeded"
                log.append(line)
                progress(line)
                continue
            if r.candidate.name != NONE and results[0].runs[-1:] != [split.key]:
                continue  # none did not run on this split: nothing to pair with
            run_config = TrainConfig.from_dict({**config.to_dict(), **r.candidate.options, "train": None,
                                                "validation": None, "test": None, "train_samples": None,
                                                "resume": False, "keep_checkpoints": False})
            started = time.perf_counter()
            result = train(run_config, train_dataset=fold_train, test_dataset=held_out, quiet=True, save=False,
                           unlabeled_dataset=unlabeled_dataset if run_config.consistency else None)
            r.seconds.append(time.perf_counter() - started)
            r.scores.append(result.record.test.metric(metric))
            r.runs.append(split.key)
            if on_run is not None:
                on_run(split, r.candidate, result.train_rows, held_out, result)
            progress(f"[{where}] {r.candidate.name}: {metric} {r.scores[-1]:.4f}"
                     + ("" if r is results[0] else f" (none {results[0].scores[-1]:.4f})")
                     + f" in {r.seconds[-1]:.0f} s")
            if not estimated:
                estimated = True
                left = len(results) * planned - 1
                progress(f"estimate: {r.seconds[-1]:.0f} s per run, {left} runs left at most: about "
                         f"{left * r.seconds[-1] / 60:.1f} min")
        last_of_repeat = split.fold == folds - 1
        if racing is Racing.FOLD or (racing is Racing.REPEAT and last_of_repeat):
            for r in race(results, planned, ratio, significance, after=where, min_sd=resolution):
                log.append(f"{r.candidate.name}: {r.dropped}")
                progress(f"[{where}] {r.candidate.name}: {r.dropped}")
        if n + 1 < planned and all(r.dropped for r in results[1:]):
            line = f"stopped after {where}: no candidate left that could change the decision (none)"
            log.append(line)
            progress(line)
            break
        if results[0].dropped:  # none out of time: nothing more can be paired
            break
    decision = decide(results, planned, ratio, significance, min_sd=resolution)
    final = TrainConfig.from_dict({**config.to_dict(), **decision.chosen.candidate.options})
    return TuneResult(results, decision, folds, repeats, metric, final, time.perf_counter() - began, ratio, log)


def write_config_file(result: TuneResult, path: str | os.PathLike) -> Path:
    """The chosen configuration with tune's report under :data:`TUNED_KEY`, as JSON or YAML (by
    extension), written atomically; ``textaug train --config FILE`` reads it."""
    return write_config(result.config, result.report(), path)
