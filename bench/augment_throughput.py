"""Augmentation throughput: textaug's EDA against nlpaug and a bare loop, in one process run.

Workload: the SST-2 training file of the EDA paper (7,447 sentences), 4 outputs per sentence,
one per operation (synonym replacement, insertion, swap, deletion). Prints input sentences per
second for each contender and the ratios. Every contender is warmed up on 200 sentences first
(resources load), then timed once over the whole corpus; textaug starts with a cold word cache.

    python bench/augment_throughput.py [--data PATH] [--scale 8]

``--scale`` repeats the corpus for the process-scaling rows: process start-up and shard
concatenation are a fixed cost that a 0.3-second job cannot amortise.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "eda" / "sst2" / "train.tsv"


def read_texts(path: Path) -> list[str]:
    with open(path, encoding="utf-8") as handle:
        return [line.rstrip("\n").split("\t", 1)[1] for line in handle if "\t" in line]


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def bare_loop(texts: list[str]) -> None:
    """The floor: split, a seeded swap, join; 4 outputs per sentence, nothing else."""
    for i, text in enumerate(texts):
        rng = random.Random(i)
        words = text.split()
        for _ in range(4):
            w = words[:]
            if len(w) > 1:
                a, b = rng.randrange(len(w)), rng.randrange(len(w))
                w[a], w[b] = w[b], w[a]
            " ".join(w)


def textaug_run(texts: list[str], num_proc: int | None):
    from datasets import Dataset, load_from_disk

    from textaug import EDA, augment_dataset
    from textaug.augment import eda

    # File-backed, as load_dataset gives it: workers memory-map their shard and write their
    # output to cache files instead of pickling tables back and forth.
    folder = tempfile.mkdtemp(prefix="textaug-bench-")
    Dataset.from_dict({"text": texts, "label": [0] * len(texts)}).save_to_disk(folder)
    ds = load_from_disk(folder)

    def run():
        eda._runtime.cache_clear()  # a cold word cache: every word is looked up afresh
        out = augment_dataset(ds, EDA(n_aug=4, keep_original=False), num_proc=num_proc,
                              load_from_cache_file=False)
        assert len(out) == 4 * len(texts)

    return run


def nlpaug_run(texts: list[str]):
    import nlpaug.augmenter.word as naw
    from _peers import glove_text_file, nltk_data_root

    nltk_data_root()
    augmenters = [
        naw.SynonymAug(aug_src="wordnet", aug_p=0.1),
        naw.WordEmbsAug(model_type="glove", model_path=str(glove_text_file()), action="insert", aug_p=0.1),
        naw.RandomWordAug(action="swap", aug_p=0.1),
        naw.RandomWordAug(action="delete", aug_p=0.1),
    ]

    def run(batch=texts):
        for aug in augmenters:  # one output per operation per sentence, through the list API
            out = aug.augment(list(batch))
            assert len(out) == len(batch)

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--scale", type=int, default=8)
    parser.add_argument("--skip-nlpaug", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
    import datasets

    datasets.disable_progress_bars()
    texts = read_texts(args.data)
    n = len(texts)
    warm = texts[:200]
    rows: list[tuple[str, int, float]] = []

    textaug_run(warm, None)()
    rows.append(("textaug EDA, 1 process", n, timed(textaug_run(texts, None))))
    rows.append(("textaug EDA, 2 processes", n, timed(textaug_run(texts, 2))))
    big = texts * args.scale
    rows.append((f"textaug EDA, 1 process, corpus x{args.scale}", len(big), timed(textaug_run(big, None))))
    rows.append((f"textaug EDA, 2 processes, corpus x{args.scale}", len(big), timed(textaug_run(big, 2))))
    if not args.skip_nlpaug:
        run = nlpaug_run(texts)
        run(warm)
        rows.append(("nlpaug (synonym, insert, swap, delete)", n, timed(run)))
    bare_loop(warm)
    rows.append(("bare split / seeded swap / join", n, timed(lambda: bare_loop(texts))))

    rate = {name: count / seconds for name, count, seconds in rows}
    print(f"\nEDA-style augmentation, 4 outputs per sentence, {args.data.name} ({n:,} sentences), "
          f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}\n")
    print(f"| {'contender':<44} | {'sentences':>9} | {'seconds':>7} | {'sentences/s':>11} |")
    print(f"|{'-' * 46}|{'-' * 11}|{'-' * 9}|{'-' * 13}|")
    for name, count, seconds in rows:
        print(f"| {name:<44} | {count:>9,} | {seconds:>7.2f} | {count / seconds:>11,.0f} |")
    one = rate["textaug EDA, 1 process"]
    bare = rate["bare split / seeded swap / join"]
    print()
    if "nlpaug (synonym, insert, swap, delete)" in rate:
        print(f"textaug 1 process / nlpaug:        {one / rate['nlpaug (synonym, insert, swap, delete)']:6.1f}x  (target >= 20x)")
    print(f"textaug 1 process / bare loop:     {one / bare:6.2f}   (target >= 0.25)")
    print(f"2 processes / 1 process:           {rate['textaug EDA, 2 processes'] / one:6.2f}x  (target >= 1.7x)")
    key = f"textaug EDA, 2 processes, corpus x{args.scale}"
    print(f"2 processes / 1 process, x{args.scale}:      {rate[key] / rate[f'textaug EDA, 1 process, corpus x{args.scale}']:6.2f}x")


if __name__ == "__main__":
    main()
