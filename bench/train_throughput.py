"""Training throughput: textaug's trainer against transformers.Trainer, same model and data.

Workload: MiniLM (all-MiniLM-L6-v2, packaged), 2,000 SST-2 training examples (stratified,
seeded), batch 16, max length 64, 2 epochs, learning rate 5e-5 with 10% linear warm-up, weight
decay 0.01, gradient clipping 1.0, seed 0, one process, fp32 on CPU. Both keep the final weights
(no checkpoint selection) and score the 1,752 sentences of the SST-2 test file once.

textaug batches texts of similar length together and pads each batch to its longest text;
Trainer (its default DataCollatorWithPadding) also pads per batch but draws batches at random, so
each batch is padded to its longest member. Training examples per second count optimizer steps
only (no evaluation, no checkpointing) for both. Each contender runs in its own subprocess so
that its peak RSS is its own.

    python bench/train_throughput.py [--n 2000] [--epochs 2] [--data DIR]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "eda" / "sst2"
SETTINGS = {"batch_size": 16, "max_length": 64, "lr": 5e-5, "warmup_ratio": 0.1, "weight_decay": 0.01,
            "max_grad_norm": 1.0, "seed": 0}


def _data(args):
    from textaug.data import read_labelled_tsv, stratified_sample

    train = stratified_sample(read_labelled_tsv(Path(args.data) / "train.tsv"), args.n, seed=0)
    test = read_labelled_tsv(Path(args.data) / "test.tsv")
    return train, test


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_textaug(args, out: Path) -> dict:
    from textaug.config import TrainConfig
    from textaug.training.pipeline import train

    train_ds, test = _data(args)
    # The final weights, as Trainer keeps them: the same protocol for both (no validation, no
    # selection), and the test file scored once at the end.
    config = TrainConfig(model="minilm", output_dir=str(out / "textaug"), epochs=args.epochs, select="last",
                         checkpoint_steps=10**9, **SETTINGS)
    result = train(config, train_dataset=train_ds, test_dataset=test)
    m = result.record
    return {"examples_per_second": m.training.examples_per_second, "train_seconds": m.training.loop_seconds,
            "accuracy": m.test.accuracy, "peak_rss_mb": _peak_rss_mb()}


def run_trainer(args, out: Path) -> dict:
    import numpy as np
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, Trainer, TrainingArguments
    from transformers.utils import logging as hf_logging

    from textaug.resources import minilm_path

    hf_logging.set_verbosity_error()
    train_ds, test = _data(args)
    path = str(minilm_path())
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForSequenceClassification.from_pretrained(path, num_labels=2)

    def tokenize(batch):
        return tokenizer(batch["text"], truncation=True, max_length=SETTINGS["max_length"])

    train_tok = train_ds.map(tokenize, batched=True, remove_columns=["text"])
    test_tok = test.map(tokenize, batched=True, remove_columns=["text"])
    steps = -(-len(train_tok) // SETTINGS["batch_size"]) * args.epochs
    training_args = TrainingArguments(
        output_dir=str(out / "trainer"), per_device_train_batch_size=SETTINGS["batch_size"],
        per_device_eval_batch_size=64, num_train_epochs=args.epochs, learning_rate=SETTINGS["lr"],
        warmup_steps=round(SETTINGS["warmup_ratio"] * steps), weight_decay=SETTINGS["weight_decay"],
        max_grad_norm=SETTINGS["max_grad_norm"], seed=SETTINGS["seed"], save_strategy="no", eval_strategy="no",
        logging_strategy="no", report_to=[], use_cpu=True, disable_tqdm=False,
    )
    trainer = Trainer(model=model, args=training_args, train_dataset=train_tok, processing_class=tokenizer)
    started = time.perf_counter()
    output = trainer.train()
    seconds = time.perf_counter() - started
    predictions = trainer.predict(test_tok)
    accuracy = float((np.argmax(predictions.predictions, axis=1) == predictions.label_ids).mean())
    return {"examples_per_second": output.metrics["train_samples_per_second"],
            "train_seconds": round(seconds, 2), "accuracy": accuracy, "peak_rss_mb": _peak_rss_mb()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    parser.add_argument("--only", choices=("textaug", "trainer"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not (Path(args.data) / "train.tsv").is_file():
        sys.exit(f"SST-2 files not found in {args.data}; pass --data DIR (train.tsv, test.tsv)")

    if args.only:
        with tempfile.TemporaryDirectory() as tmp:
            runner = run_textaug if args.only == "textaug" else run_trainer
            print("RESULT " + json.dumps(runner(args, Path(tmp))))
        return

    results = {}
    for name in ("textaug", "trainer"):
        print(f"running {name} ...", flush=True)
        proc = subprocess.run([sys.executable, __file__, "--only", name, "--n", str(args.n), "--epochs",
                               str(args.epochs), "--data", args.data], capture_output=True, text=True)
        lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
        if proc.returncode != 0 or not lines:
            sys.exit(f"{name} failed:\n{proc.stderr[-3000:]}")
        results[name] = json.loads(lines[-1][len("RESULT "):])

    t, h = results["textaug"], results["trainer"]
    print(f"\nMiniLM, SST-2 {args.n:,} training examples, {args.epochs} epochs, batch {SETTINGS['batch_size']}, "
          f"max length {SETTINGS['max_length']}, seed 0, 1 process (CPU)")
    print(f"{'':<22}{'examples/s':>12}{'train s':>10}{'test acc':>10}{'peak RSS MB':>13}")
    for label, r in (("textaug", t), ("transformers.Trainer", h)):
        print(f"{label:<22}{r['examples_per_second']:>12.1f}{r['train_seconds']:>10.1f}{100 * r['accuracy']:>9.2f}%"
              f"{r['peak_rss_mb']:>13.0f}")
    print(f"\nratio textaug / Trainer examples/s: {t['examples_per_second'] / h['examples_per_second']:.2f}x "
          f"(target 1.3x); accuracy difference {100 * (t['accuracy'] - h['accuracy']):+.2f} points (target within 1)")


if __name__ == "__main__":
    main()
