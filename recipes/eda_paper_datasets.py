"""Augment the EDA paper's datasets with the paper's recommended settings.

Wei & Zou (2019) recommend, by training-set size N: N=500: alpha 0.05, n_aug 16; N=2,000: 0.05,
8; N>=5,000: 0.1, 4. This script draws a stratified, seeded subset of N examples from one task's
training file (`label<TAB>text`, as released with the paper) and writes the enlarged set.

    python recipes/eda_paper_datasets.py --task sst2 --n 500 -o out/sst2-500-eda.jsonl

On a machine with the network, the same tasks load from the hub instead (e.g. `--data gpt3mix/sst2`
through `textaug augment`); here they come from ../shared/data/eda.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from textaug import EDA, augment_dataset
from textaug.augment.recipes import eda_paper_setting as paper_setting
from textaug.data import read_labelled_tsv, save_table, stratified_sample

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "eda"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", choices=["sst2", "subj", "trec"], default="sst2")
    parser.add_argument("--data-dir", type=Path, default=SHARED, help="folder with <task>/train.tsv")
    parser.add_argument("--n", type=int, default=500, help="training examples to sample (stratified)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--num-proc", type=int, default=None)
    parser.add_argument("-o", "--output", type=Path, required=True, help=".jsonl, .csv, .tsv or .parquet")
    args = parser.parse_args()

    train = read_labelled_tsv(args.data_dir / args.task / "train.tsv")
    # The files are sorted by label: a plain head would be one class. Sample stratified, seeded.
    subset = stratified_sample(train, args.n, seed=args.seed)
    alpha, n_aug = paper_setting(len(subset))
    aug = EDA(alpha_sr=alpha, alpha_ri=alpha, alpha_rs=alpha, p_rd=alpha, n_aug=n_aug, seed=args.seed)
    start = time.perf_counter()
    enlarged = augment_dataset(subset, aug, num_proc=args.num_proc)
    save_table(enlarged, args.output)
    print(f"{args.task}: {len(subset):,} -> {len(enlarged):,} rows with {aug!r} "
          f"in {time.perf_counter() - start:.1f} s; wrote {args.output}")


if __name__ == "__main__":
    main()
