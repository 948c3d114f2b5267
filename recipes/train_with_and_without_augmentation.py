"""What augmentation buys: the same model trained on N examples of an EDA-paper task, with and
without an augmentation recipe, scored on the task's test file.

    python recipes/train_with_and_without_augmentation.py --task sst2 --n 500 --model lstm-glove
    python recipes/train_with_and_without_augmentation.py --task trec --n 500 --model minilm --seeds 0 1 2

Checkpoints are selected on other training rows (never on the test file). alpha and n_aug default
to the EDA paper's recommendation for N. On a user's machine without ../shared/data, point
--data at a folder holding {task}/train.tsv and {task}/test.tsv (label<TAB>text).
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from textaug.config import TrainConfig
from textaug.augment.recipes import eda_paper_setting as paper_setting
from textaug.data import read_labelled_tsv, stratified_sample
from textaug.trainer import train

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "eda"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--task", default="sst2", choices=("sst2", "subj", "trec"))
    p.add_argument("--n", type=int, default=500, help="training examples (stratified sample)")
    p.add_argument("--model", default="lstm-glove", help="lstm-glove, minilm, or a hub id / folder")
    p.add_argument("--recipe", default="eda")
    p.add_argument("--epochs", type=int, default=None, help="default: 10 for lstm-glove, 3 otherwise")
    p.add_argument("--seeds", type=int, nargs="+", default=[0])
    p.add_argument("--data", default=str(DEFAULT_DATA))
    p.add_argument("--output-dir", default="out/with-and-without")
    args = p.parse_args()

    full = read_labelled_tsv(Path(args.data) / args.task / "train.tsv")
    test = read_labelled_tsv(Path(args.data) / args.task / "test.tsv")
    alpha, n_aug = paper_setting(args.n)
    epochs = args.epochs or (10 if args.model == "lstm-glove" else 3)
    scores: dict[str, list[float]] = {"none": [], args.recipe: []}
    for seed in args.seeds:
        shuffled = full.shuffle(seed=seed)
        half = len(shuffled) // 2
        train_ds = stratified_sample(shuffled.select(range(half)), args.n, seed=seed)
        val_ds = stratified_sample(shuffled.select(range(half, len(shuffled))), min(500, args.n), seed=seed)
        for recipe in (None, args.recipe):
            name = recipe or "none"
            config = TrainConfig(model=args.model, epochs=epochs, seed=seed, augment=recipe, alpha=alpha, n_aug=n_aug,
                                 output_dir=f"{args.output_dir}/{args.task}-{args.n}-{name}-seed{seed}",
                                 max_length=64)
            result = train(config, train_dataset=train_ds, eval_dataset=val_ds)
            metrics = result.classifier.evaluate(list(test["text"]), [str(v) for v in test["label"]])
            scores[name].append(metrics["accuracy"])
            print(f"{args.task} n={args.n} seed={seed} augment={name}: test accuracy {metrics['accuracy']:.4f}")
    print(f"\n{args.task}, {args.n} examples, {args.model}, {epochs} epochs, seeds {args.seeds}, "
          f"alpha {alpha}, n_aug {n_aug}")
    for name, values in scores.items():
        spread = f" ± {statistics.stdev(values) * 100:.2f}" if len(values) > 1 else ""
        print(f"  {name:<8} {statistics.mean(values) * 100:.2f}%{spread}")


if __name__ == "__main__":
    main()
