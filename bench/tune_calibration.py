"""Does `textaug tune` choose noise? Its calibration on candidates that cannot truly help.

Workload: 500 SST-2 training rows (stratified, drawn per seed), the BiLSTM on GloVe 50-d
(120 optimizer steps per run, validated every 40), and six candidates that are the *same method*
as none with one hyperparameter nudged by a hair (expected gain zero): weight decay 0.011,
dropout 0.31, warm-up 0.09, gradient clipping 0.99, batch 15, max length 63. Each seed runs one
whole `tune` (the default 3 folds x 2 repeats, racing after each fold, Holm at 0.05) and records
what it chose. A trustworthy rule chooses none at (nearly) every seed: with a family-wise level of
0.05, more than one choice in nine seeds would be a warning.

The first `tune` (the mean gain over one standard error, 3 folds) chose one of such candidates
at 4 of 9 seeds on a review task.

    python bench/tune_calibration.py [--seeds 0 1 2 ...] [--n 500] [--data DIR]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "eda" / "sst2"
NUDGES = ["weight_decay=0.011", "dropout=0.31", "warmup_ratio=0.09", "max_grad_norm=0.99", "batch_size=15",
          "max_length=63"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(range(9)))
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    args = parser.parse_args()

    from textaug.config import TrainConfig
    from textaug.data import read_labelled_tsv, stratified_sample
    from textaug.tuning import tune

    full = read_labelled_tsv(Path(args.data) / "train.tsv")
    rows = []
    began = time.perf_counter()
    for seed in args.seeds:
        sample = stratified_sample(full, args.n, seed=seed)
        config = TrainConfig(model="lstm-glove", vocab_budget=4000, max_steps=120, eval_steps=40, batch_size=16,
                             max_length=64, seed=seed, output_dir="unused")
        result = tune(config, train_dataset=sample, candidates=NUDGES, progress=lambda line: None)
        tests = result.decision.tests
        best = min(tests, key=lambda name: tests[name].p)
        runs = sum(len(r.scores) for r in result.results)
        rows.append((seed, result.chosen.candidate.name, best, tests[best].gain, tests[best].p,
                     result.decision.adjusted.get(best), result.decision.detectable, runs, result.seconds))
        print(f"seed {seed}: {result.sentence} ({runs} runs, {result.seconds:.0f} s)", flush=True)
    chose = sum(1 for r in rows if r[1] != "none")
    print(f"\n| seed | chosen | smallest p: candidate | its gain (points) | p | Holm p | detectable gain (points) "
          f"| runs | seconds |\n|---|---|---|---|---|---|---|---|---|")
    for seed, chosen, best, gain, p, holm_p, detectable, runs, seconds in rows:
        holm_text = "-" if holm_p is None else f"{holm_p:.3f}"
        print(f"| {seed} | {chosen} | {best} | {gain * 100:+.2f} | {p:.3f} | {holm_text} | {detectable * 100:.1f} "
              f"| {runs} | {seconds:.0f} |")
    print(f"\nchose a hair-nudged candidate at {chose} of {len(rows)} seeds "
          f"({(time.perf_counter() - began) / 60:.1f} min in all)")


if __name__ == "__main__":
    main()
