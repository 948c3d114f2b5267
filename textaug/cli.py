"""The ``textaug`` command line: ``augment`` a file or hub dataset, or run the ``demo``."""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Sequence

from .augment.recipes import Recipe

__all__ = ["main"]


def _add_augment_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--recipe", default="eda", choices=[r.value for r in Recipe], help="augmentation recipe (default: eda)")
    p.add_argument("--n-aug", type=int, default=4, help="augmented rows per input row (default: 4)")
    p.add_argument("--alpha", type=float, default=None,
                   help="the recipe's rate: EDA's four rates, delete's probability, aeda's ratio (default: each recipe's own)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument("--num-proc", type=int, default=None, help="worker processes (default: one)")
    p.add_argument("--batch-size", type=int, default=1000, help="rows per map batch (default: 1000)")
    p.add_argument("--text-column", default="text", help="column holding the texts (default: text)")
    p.add_argument("--label-column", default="label", help="column holding the labels (default: label)")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="textaug", description="Text augmentation as datasets.map steps.")
    sub = parser.add_subparsers(dest="command", required=True)

    aug = sub.add_parser("augment", help="augment a csv/tsv/jsonl/parquet file or a hub dataset")
    aug.add_argument("input", help="a .csv, .tsv, .jsonl or .parquet file, or a hub dataset id")
    aug.add_argument("-o", "--output", required=True, help="output file; its extension picks the format")
    aug.add_argument("--split", default="train", help="split of a hub dataset (default: train)")
    aug.add_argument("--no-header", action="store_true", help="csv/tsv without a header: columns are label, text")
    aug.add_argument("--no-original", action="store_true", help="drop the original rows (keep only augmentations)")
    _add_augment_options(aug)

    demo = sub.add_parser("demo", help="augment a sample of the built-in Rotten Tomatoes corpus and show it")
    demo.add_argument("--n", type=int, default=500, help="training examples sampled (default: 500)")
    _add_augment_options(demo)
    demo.set_defaults(n_aug=16, alpha=0.05)  # the EDA paper's setting for 500 examples
    return parser


def _augment(ds, args, keep_original: bool = True):
    from .augment.dataset import augment_dataset
    from .augment.recipes import build_augmenter

    if args.label_column not in ds.column_names and args.label_column != "label":
        raise ValueError(f"label column {args.label_column!r} not found; the dataset has columns {ds.column_names}")
    aug = build_augmenter(args.recipe, alpha=args.alpha, n_aug=args.n_aug, seed=args.seed,
                          column=args.text_column, keep_original=keep_original)
    start = time.perf_counter()
    out = augment_dataset(ds, aug, num_proc=args.num_proc, batch_size=args.batch_size)
    return aug, out, time.perf_counter() - start


def _closing_line(rows_in: int, rows_out: int, seconds: float) -> str:
    rate = rows_in / seconds if seconds > 0 else float("inf")
    return f"rows in: {rows_in:,}  rows out: {rows_out:,}  seconds: {seconds:.2f}  rows/s: {rate:,.0f}"


def _cmd_augment(args) -> int:
    from .data import FORMATS, load_table, output_format, save_table

    if output_format(args.output) is None:  # refuse before doing the work, not after
        raise ValueError(f"{args.output}: unsupported output type; use one of {', '.join(FORMATS)}")
    ds = load_table(args.input, split=args.split, header=not args.no_header)
    _, out, seconds = _augment(ds, args, keep_original=not args.no_original)
    save_table(out, args.output)
    print(f"wrote {args.output}")
    print(_closing_line(len(ds), len(out), seconds))
    return 0


def _cmd_demo(args) -> int:
    from .augment.base import AUG_OP, AUG_SOURCE
    from .data import load_builtin, stratified_sample

    corpus = load_builtin("rotten_tomatoes", seed=args.seed)
    train = stratified_sample(corpus["train"], args.n, seed=args.seed)
    aug, out, seconds = _augment(train, args)
    names = train.features["label"].names
    print(f"\nRotten Tomatoes (built-in): {len(train):,} training snippets sampled from {len(corpus['train']):,}")
    print(f"augmenter: {aug!r}\n")
    before = Counter(train["label"])
    after = Counter(out["label"])
    print(f"{'label':<10}{'before':>8}{'after':>8}")
    for label in sorted(before):
        print(f"{names[label]:<10}{before[label]:>8,}{after[label]:>8,}")
    print(f"\n{'aug_op':<18}{'rows':>8}")
    for op, count in sorted(Counter(out[AUG_OP]).items()):
        print(f"{op:<18}{count:>8,}")
    print("\nexamples:")
    sources = out[AUG_SOURCE]
    for source in range(3):
        rows = [i for i, s in enumerate(sources) if s == source][:5]
        for i in rows:
            row = out[i]
            print(f"  [{row[AUG_OP]:<15}] ({names[row['label']]}) {row['text']}")
        print()
    print(_closing_line(len(train), len(out), seconds))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "augment":
            return _cmd_augment(args)
        return _cmd_demo(args)
    except ValueError as err:  # bad input: one clear line, no traceback
        print(f"textaug: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
