"""``textaug tune``: choose the augmentation (recipe, strength, training-time objective) by k-fold
cross-validation on the user's own training rows.

- The folds are stratified (``StratifiedKFold``; ``StratifiedGroupKFold`` when rows have groups)
  and cut from the *original* rows, before any augmentation: a candidate's copies are made from
  its fold's training rows only, so no copy of a held-out row is ever trained on.
- Each fold's run is an ordinary :func:`textaug.train`: its checkpoint is selected on a
  validation share carved from the fold's training rows (before augmentation); the held-out fold
  is scored once, as test data. The user's own test data is never read.
- The rule: a candidate is chosen only if its mean gain over ``none``, paired by fold, is larger
  than one standard error of those paired differences; of those, the largest mean gain wins.
  Otherwise the answer is ``none``, reported as such.
- Budget: candidates whose paired gain is below zero by more than two standard errors after a
  fold are dropped; ``max_minutes`` stops starting runs that would not fit (a candidate short of
  folds cannot be chosen).

A candidate is ``none``, a recipe spec (``eda:alpha=0.05,n_aug=8``, as ``--augment`` takes), or
TrainConfig options (``mixup=0.4,mixup_layer=pooled``; ``consistency=1.0``).
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .config import Select, TrainConfig, option_from_text

__all__ = ["Candidate", "CandidateResult", "TuneResult", "parse_candidate", "default_candidates", "choose",
           "fold_indices", "tune", "write_config_file", "read_config_file", "TUNED_KEY"]

#: The key under which a tuned configuration file keeps tune's report (every other key is a
#: TrainConfig field).
TUNED_KEY = "tuned"
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
    from .augment.recipes import build_augmenter

    build_augmenter(spec, check=False)  # names and fields checked now
    return Candidate(spec, {"augment": spec})


def default_candidates(config: TrainConfig) -> list[Candidate]:
    """none; EDA at alpha 0.05/0.1 with 4/8/16 copies; AEDA; back-translation where Apertium is
    installed; mixup at the pooled layer; consistency training."""
    from .augment.recipes import build_augmenter

    specs = [NONE] + [f"eda:alpha={a},n_aug={n}" for a in (0.05, 0.1) for n in (4, 8, 16)] + ["aeda:n_aug=4"]
    try:
        # two pivots, one copy each: Apertium is deterministic, so two copies through one pivot
        # would be the same round trip twice
        build_augmenter("backtranslate:n_aug=2,pivots=spa/cat")  # checks that the Apertium pairs are installed
        specs.append("backtranslate:n_aug=2,pivots=spa/cat")
    except Exception:  # noqa: BLE001 - any missing tool: the candidate is left out, not the run
        pass
    specs += ["mixup=0.4,mixup_layer=pooled", "consistency=1.0"]
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
        raise ValueError(f"a class has {smallest} row(s): too few for {folds} stratified folds")
    splitter = (StratifiedGroupKFold(folds, shuffle=True, random_state=seed) if groups is not None
                else StratifiedKFold(folds, shuffle=True, random_state=seed))
    splits = splitter.split(np.zeros(len(y)), y, groups)
    return [(sorted(map(int, a)), sorted(map(int, b))) for a, b in splits]


@dataclass
class CandidateResult:
    candidate: Candidate
    scores: list[float] = field(default_factory=list)  # the held-out score per fold, in fold order
    seconds: list[float] = field(default_factory=list)
    dropped: str | None = None  # why it stopped early, if it did

    @property
    def mean(self) -> float:
        return statistics.mean(self.scores) if self.scores else float("nan")

    @property
    def sd(self) -> float:
        return statistics.stdev(self.scores) if len(self.scores) > 1 else 0.0


def _paired(result: CandidateResult, baseline: CandidateResult) -> list[float]:
    return [a - b for a, b in zip(result.scores, baseline.scores)]


def gain_and_se(result: CandidateResult, baseline: CandidateResult) -> tuple[float, float]:
    """Mean paired gain over the baseline and its standard error (nan with fewer than two folds)."""
    diffs = _paired(result, baseline)
    if len(diffs) < 2:
        return (diffs[0] if diffs else float("nan")), float("nan")
    return statistics.mean(diffs), statistics.stdev(diffs) / math.sqrt(len(diffs))


def choose(results: Sequence[CandidateResult], folds: int) -> CandidateResult:
    """The candidate with the largest mean paired gain over ``none`` among those whose gain exceeds
    one standard error, over all ``folds``; ``none`` when no candidate does."""
    baseline = next(r for r in results if r.candidate.name == NONE)
    best, best_gain = baseline, 0.0
    for r in results:
        if r is baseline or len(r.scores) < folds or len(baseline.scores) < folds:
            continue
        gain, se = gain_and_se(r, baseline)
        if gain > se and gain > best_gain:  # se is nan with one fold: never chosen then
            best, best_gain = r, gain
    return best


@dataclass
class TuneResult:
    results: list[CandidateResult]
    chosen: CandidateResult
    folds: int
    metric: str
    #: the chosen configuration (TrainConfig), to train on all the rows
    config: TrainConfig
    seconds: float
    rule: str = ("chosen only if its mean gain over none, paired by fold, exceeds one standard error of "
                 "the paired differences; else none")

    def table(self) -> str:
        baseline = next(r for r in self.results if r.candidate.name == NONE)
        lines = [f"| candidate | folds | {self.metric} % (mean ± sd) | gain vs none (± SE) | s per fold | |",
                 "|---|---|---|---|---|---|"]
        for r in self.results:
            gain, se = gain_and_se(r, baseline)
            shown = "" if r is baseline else (f"{gain * 100:+.2f} ± {se * 100:.2f}" if not math.isnan(se) else
                                                f"{gain * 100:+.2f}")
            mark = "**chosen**" if r is self.chosen else (r.dropped or "")
            scores = f"{r.mean * 100:.2f} ± {r.sd * 100:.2f}" if r.scores else "-"
            per_fold = f"{statistics.mean(r.seconds):.0f}" if r.seconds else "-"
            lines.append(f"| {r.candidate.name} | {len(r.scores)} | {scores} | {shown} | {per_fold} | {mark} |")
        return "\n".join(lines)

    def report(self) -> dict[str, Any]:
        baseline = next(r for r in self.results if r.candidate.name == NONE)
        return {"chosen": self.chosen.candidate.name, "rule": self.rule, "folds": self.folds, "metric": self.metric,
                "seconds": round(self.seconds, 1),
                "candidates": [{"candidate": r.candidate.name, "options": r.candidate.options, "scores": r.scores,
                                "gain": None if r is baseline else gain_and_se(r, baseline)[0],
                                "se": None if r is baseline else gain_and_se(r, baseline)[1],
                                "dropped": r.dropped} for r in self.results]}


@contextlib.contextmanager
def _quiet():
    """A fold's run prints its tables and bars; tune prints one line per run instead."""
    saved = os.environ.get("TQDM_DISABLE")
    os.environ["TQDM_DISABLE"] = "1"
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            yield
    finally:
        if saved is None:
            os.environ.pop("TQDM_DISABLE", None)
        else:
            os.environ["TQDM_DISABLE"] = saved


def tune(config: TrainConfig, *, folds: int = 3, candidates: Sequence[str | Candidate] | None = None,
         max_minutes: float | None = None, train_dataset: Any = None, groups: Sequence[Any] | None = None,
         unlabeled_dataset: Any = None, progress: Callable[[str], None] = print,
         on_run: Callable[..., None] | None = None) -> TuneResult:
    """Cross-validate the candidates on the training rows ``config`` names (or ``train_dataset``)
    with ``config``'s model and options, and choose by the rule above. ``groups`` (one per row)
    keeps rows of a group in one fold. ``on_run(fold, candidate, train_rows, held_out, result)``
    sees every run."""
    from .training.data import prepare_data
    from .training.pipeline import train

    if folds < 2:
        raise ValueError(f"folds must be at least 2, got {folds}")
    chosen_list = [c if isinstance(c, Candidate) else parse_candidate(c) for c in (candidates or default_candidates(config))]
    if not any(c.name == NONE for c in chosen_list):
        chosen_list.insert(0, Candidate(NONE))
    chosen_list.sort(key=lambda c: c.name != NONE)  # none first: every gain is paired with it
    for c in chosen_list:  # every candidate's options checked before the first run
        TrainConfig.from_dict({**config.to_dict(), **c.options})
    # All the training rows: no validation carved here (each fold carves its own), no test read.
    data = prepare_data(replace(config, select=Select.LAST, patience=None, validation=None, test=None),
                        train_dataset, read_test=False)
    rows = data.train
    if groups is not None and len(groups) != len(rows):
        raise ValueError(f"groups has {len(groups)} values for {len(rows)} training rows")
    splits = fold_indices(rows["label"], folds, config.seed, groups)
    metric = config.metric if config.metric in ("accuracy", "macro_f1") else "accuracy"
    results = [CandidateResult(c) for c in chosen_list]
    began = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="textaug-tune-"))
    try:
        for k, (train_idx, held_idx) in enumerate(splits):
            fold_train, held_out = rows.select(train_idx), rows.select(held_idx)
            for r in results:
                if r.dropped:
                    continue
                elapsed = time.perf_counter() - began
                estimate = statistics.mean(r.seconds) if r.seconds else 0.0
                if max_minutes is not None and elapsed + estimate > max_minutes * 60:
                    r.dropped = "out of time"
                    progress(f"[fold {k + 1}/{folds}] {r.candidate.name}: skipped, the {max_minutes:g}-minute budget "
                             "would be exceeded")
                    continue
                run_config = TrainConfig.from_dict({**config.to_dict(), **r.candidate.options, "train": None,
                                                    "validation": None, "test": None, "train_samples": None,
                                                    "resume": False, "output_dir": str(work / f"{k}-{len(r.scores)}")})
                started = time.perf_counter()
                with _quiet():
                    result = train(run_config, train_dataset=fold_train, test_dataset=held_out,
                                   unlabeled_dataset=unlabeled_dataset if run_config.consistency else None)
                r.seconds.append(time.perf_counter() - started)
                r.scores.append(result.metrics["test"][metric])
                if on_run is not None:
                    on_run(k, r.candidate, result.train_rows, held_out, result)
                shutil.rmtree(run_config.output_dir, ignore_errors=True)
                progress(f"[fold {k + 1}/{folds}] {r.candidate.name}: {metric} {r.scores[-1]:.4f} "
                         f"(none {results[0].scores[k]:.4f}) in {r.seconds[-1]:.0f} s")
            # early dropping: clearly losing after this fold
            for r in results[1:]:
                gain, se = gain_and_se(r, results[0])
                if not r.dropped and len(r.scores) >= 2 and gain + 2 * se < 0:
                    r.dropped = f"dropped after fold {k + 1} (gain {gain * 100:+.2f} ± {se * 100:.2f})"
    finally:
        shutil.rmtree(work, ignore_errors=True)
    best = choose(results, folds)
    final = TrainConfig.from_dict({**config.to_dict(), **best.candidate.options})
    return TuneResult(results, best, folds, metric, final, time.perf_counter() - began)


def write_config_file(result: TuneResult, path: str | os.PathLike) -> Path:
    """The chosen configuration as JSON or YAML (by extension), with tune's report under
    :data:`TUNED_KEY`; ``textaug train --config FILE`` reads it."""
    import json

    path = Path(path)
    data = {**result.config.to_dict(), TUNED_KEY: result.report()}
    data.pop("resume", None)
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    elif path.suffix.lower() == ".json":
        path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    else:
        raise ValueError(f"{path}: write the configuration as .json, .yaml or .yml")
    return path


def read_config_file(path: str | os.PathLike) -> dict[str, Any]:
    """TrainConfig fields from a JSON or YAML file (tune's report, if there, left out)."""
    import json

    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: no such configuration file")
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        data = yaml.safe_load(text)
    elif path.suffix.lower() == ".json":
        data = json.loads(text)
    else:
        raise ValueError(f"{path}: a configuration file is .json, .yaml or .yml")
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a configuration file holds a mapping of training options")
    data.pop(TUNED_KEY, None)
    known = {f.name for f in fields(TrainConfig)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"{path}: unknown training options {unknown}")
    return data
