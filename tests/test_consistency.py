"""Consistency training (UDA) on tiny models built from a config: the annealing schedules, the KL
term, zero when the copy is the original, unlabeled batches, the pipeline and CLI, resume, and two
processes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch

from textaug.augment.base import TextAugmenter
from textaug.augment.recipes import build_augmenter
from textaug.config import TSA, TrainConfig
from textaug.models.encoding import TokenizerEncoder, pad_batch
from textaug.training.consistency import Consistency, consistency_kl, tsa_threshold
from textaug.training.objectives import CrossEntropy, StepContext, step_seed
from textaug.training.pipeline import train

from helpers import assert_resumes_to_the_same_weights, tiny_config

CTX = StepContext(seed=step_seed(0, 0, 0, 0), epoch=0, batch_index=0, progress=0.5)
TEXTS = ["a gripping, beautifully shot film", "dull and far too long", "the cast is wonderful",
         "i wanted my money back", "an unexpected delight", "flat jokes and a thin plot"]


@dataclass(frozen=True, kw_only=True)
class Unchanged(TextAugmenter):
    """Every copy is the original text."""

    def augment(self, text, rng):
        return text


def _model(tiny_bert):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    torch.manual_seed(0)
    model = AutoModelForSequenceClassification.from_pretrained(
        tiny_bert, num_labels=2, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    return model, TokenizerEncoder(AutoTokenizer.from_pretrained(tiny_bert), 32)


def _batch(encoder, texts=TEXTS):
    batch = pad_batch(encoder.encode(texts), encoder.pad_id, [i % 2 for i in range(len(texts))])
    batch["row"] = torch.arange(len(texts))
    return batch


def test_tsa_thresholds_rise_from_one_over_k_to_one():
    for schedule in (TSA.LINEAR, TSA.EXP, TSA.LOG):
        values = [tsa_threshold(schedule, p / 10, 4) for p in range(11)]
        assert values == sorted(values) and values[-1] == pytest.approx(1.0, abs=0.01)  # UDA: 1 - e^-5 for log
        assert values[0] == pytest.approx(0.25, abs=0.01)
    assert tsa_threshold(TSA.LINEAR, 0.5, 2) == pytest.approx(0.75)
    assert tsa_threshold(TSA.EXP, 0.5, 2) < tsa_threshold(TSA.LINEAR, 0.5, 2) < tsa_threshold(TSA.LOG, 0.5, 2)
    assert tsa_threshold(TSA.NONE, 0.0, 2) == 1.0


def test_the_kl_term_is_zero_for_equal_predictions_and_masks_unconfident_rows():
    logits = torch.tensor([[2.0, -1.0], [0.1, 0.0], [-3.0, 1.0]])
    kl, confident = consistency_kl(logits, logits, temperature=1.0, threshold=0.0)
    torch.testing.assert_close(kl, torch.zeros(3)) and confident.all()
    kl, confident = consistency_kl(logits, -logits, temperature=1.0, threshold=0.6)
    assert confident.tolist() == [True, False, True] and kl[1] == 0 and (kl[[0, 2]] > 0).all()
    sharpened, _ = consistency_kl(logits, logits, temperature=0.5, threshold=0.0)
    assert (sharpened > 0).all()  # a sharpened target pulls the copy towards more confidence


@pytest.mark.parametrize("unlabeled", [None, TEXTS[::-1] * 3])
def test_the_consistency_term_is_zero_when_the_copy_is_the_original(tiny_bert, unlabeled):
    model, encoder = _model(tiny_bert)
    model.train()  # dropout is off in this model: train mode is deterministic
    batch = _batch(encoder)
    objective = Consistency(augmenter=Unchanged(n_aug=1, keep_original=False), encoder=encoder, train_texts=TEXTS,
                            seed=0, weight=5.0, threshold=0.0, temperature=1.0, tsa=TSA.NONE, unlabeled_texts=unlabeled)
    loss = objective(model, batch, CTX)
    assert objective.last["consistency"] == pytest.approx(0.0, abs=1e-6)
    torch.testing.assert_close(loss, CrossEntropy()(model, batch, CTX), atol=1e-5, rtol=1e-5)


def test_augmented_copies_give_a_positive_term_new_each_epoch(tiny_bert):
    model, encoder = _model(tiny_bert)
    batch = _batch(encoder)
    eda = build_augmenter("eda:alpha=0.3", n_aug=1, keep_original=False)
    objective = Consistency(augmenter=eda, encoder=encoder, train_texts=TEXTS, seed=0, weight=1.0, threshold=0.0,
                            temperature=0.85, unlabeled_texts=TEXTS * 4, unlabeled_ratio=2)
    loss = objective(model, batch, CTX)
    assert objective.last["consistency"] > 0
    loss.backward()
    assert model.classifier.weight.grad is not None and model.bert.embeddings.word_embeddings.weight.grad.abs().sum() > 0
    again = objective(model, batch, CTX)
    torch.testing.assert_close(again, loss.detach())  # the same step, the same copies and rows
    rows = list(range(6))
    assert objective.augmented(TEXTS, rows, 0) == objective.augmented(TEXTS, rows, 0)
    assert objective.augmented(TEXTS, rows, 0) != objective.augmented(TEXTS, rows, 1)
    assert len(objective.unlabeled_rows(6, CTX)) == 12


def test_tsa_leaves_out_confident_labeled_examples(tiny_bert):
    model, encoder = _model(tiny_bert)
    batch = _batch(encoder)
    with torch.no_grad():
        model.classifier.bias.copy_(torch.tensor([2.0, -2.0]))  # sure of label 0 (p about 0.98)
    objective = Consistency(augmenter=Unchanged(n_aug=1, keep_original=False), encoder=encoder, train_texts=TEXTS,
                            seed=0, weight=0.0, tsa=TSA.LINEAR)
    start = StepContext(seed=1, epoch=0, batch_index=0, progress=0.0)
    objective(model, batch, start)
    assert objective.last["tsa_kept"] == pytest.approx(0.5)  # the three label-0 rows are already above 1/2
    objective(model, batch, StepContext(seed=1, epoch=0, batch_index=0, progress=0.999))
    assert objective.last["tsa_kept"] == 1.0


def test_training_with_unlabeled_texts_records_the_objective(tiny_bert, sst2_small, tmp_path):
    train_ds, test_ds = sst2_small
    unlabeled = list(test_ds["text"])
    result = train(tiny_config(tiny_bert, tmp_path, consistency=1.0, unlabeled_ratio=2),
                   train_dataset=train_ds, test_dataset=test_ds, unlabeled_dataset=unlabeled)
    saved = json.loads((Path(result.output_dir) / "training_config.json").read_text())
    assert saved["objective"] == {
        "objective": "consistency", "weight": 1.0, "augment": "eda", "threshold": 0.45, "temperature": 0.85,
        "tsa": "linear", "unlabeled": "the given Dataset (32 rows)", "unlabeled_ratio": 2, "unlabeled_examples": 32}
    assert saved["config"]["tsa"] == "linear" and saved["config"]["consistency"] == 1.0
    card = (Path(result.output_dir) / "README.md").read_text()
    assert "objective `consistency`" in card and "consistency training, UDA" in card


def test_a_killed_consistency_run_resumes_to_the_same_weights(tiny_bert, sst2_small, tmp_path):
    train_ds, test_ds = sst2_small
    assert_resumes_to_the_same_weights(tmp_path, tiny_bert, 17, epochs=3, consistency=1.0, metric="loss",
                                       unlabeled_ratio=1, train_dataset=train_ds, validation_dataset=test_ds,
                                       unlabeled_dataset=list(test_ds["text"]))


@pytest.mark.parametrize(("options", "message"), [
    ({"unlabeled": "u.tsv"}, "used only by consistency training"),
    ({"consistency": -1.0}, "must not be negative"),
    ({"consistency": 1.0, "mixup": 0.2}, "cross-entropy for its supervised part"),
    ({"consistency": 1.0, "consistency_augment": "nonsense"}, "nonsense"),
    ({"consistency": 1.0, "uda_threshold": 1.0}, r"\[0, 1\)"),
    ({"consistency": 1.0, "uda_temperature": 0.0}, "must be positive"),
    ({"consistency": 1.0, "unlabeled_ratio": 0}, "at least 1"),
    ({"consistency": 1.0, "tsa": "cubic"}, "unknown tsa"),
    ({"consistency": 1.0, "cache_features": True, "strategy": "feature-extraction"}, "cache_features does not apply"),
])
def test_bad_consistency_options_are_refused_up_front(tmp_path, options, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**{"output_dir": str(tmp_path), **options})


def test_bad_unlabeled_data_is_refused_before_training(tiny_bert, sst2_small, tmp_path):
    train_ds, _ = sst2_small
    with pytest.raises(ValueError, match="unlabeled data: 1 row"):
        train(tiny_config(tiny_bert, tmp_path, consistency=1.0), train_dataset=train_ds, unlabeled_dataset=["fine", "  "])
    with pytest.raises(ValueError, match="only by consistency"):
        train(tiny_config(tiny_bert, tmp_path), train_dataset=train_ds, unlabeled_dataset=["fine"])


def _unlabeled_file(tmp_path, sst2_small) -> str:
    path = tmp_path / "unlabeled.txt.tsv"
    path.write_text("".join(t + "\n" for t in sst2_small[1]["text"]), encoding="utf-8")
    return str(path)


def test_cli_trains_a_bilstm_with_unlabeled_texts(sst2_files, sst2_small, tmp_path):
    out = tmp_path / "cli"
    run = subprocess.run(
        [sys.executable, "-m", "textaug.cli", "train", "--train", sst2_files[0], "--test", sst2_files[1],
         "--no-header", "--model", "lstm-glove", "--vocab-budget", "100", "--epochs", "2", "--batch-size", "8",
         "--consistency", "1.0", "--consistency-augment", "swap", "--tsa", "none", "--unlabeled",
         _unlabeled_file(tmp_path, sst2_small), "--unlabeled-ratio", "2", "--output-dir", str(out)],
        env={**os.environ, "OMP_NUM_THREADS": "1"}, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    objective = json.loads((out / "training_config.json").read_text())["objective"]
    assert objective["unlabeled"] == "unlabeled.txt.tsv" and objective["unlabeled_examples"] == 32
    assert objective["augment"] == "swap" and objective["tsa"] == "none"


def test_two_process_consistency_with_unlabeled_texts(tiny_bert, sst2_files, sst2_small, tmp_path):
    """`accelerate launch --multi_gpu --num_processes 2` on CPU: each process draws its own
    unlabeled rows; one forward with gradient per backward keeps DDP content."""
    accelerate = shutil.which("accelerate", path=os.path.dirname(sys.executable))
    out = tmp_path / "ddp"
    run = subprocess.run(
        [accelerate, "launch", "--multi_gpu", "--num_processes", "2", "--num_machines", "1", "--mixed_precision", "no",
         "--dynamo_backend", "no", "-m", "textaug.cli", "train", "--train", sst2_files[0], "--validation", sst2_files[1],
         "--no-header", "--model", tiny_bert, "--epochs", "2", "--batch-size", "8", "--max-length", "32",
         "--consistency", "1.0", "--unlabeled", _unlabeled_file(tmp_path, sst2_small), "--unlabeled-ratio", "2",
         "--output-dir", str(out)],
        env={**os.environ, "OMP_NUM_THREADS": "1"}, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["training"]["processes"] == 2 and metrics["validation"]["examples"] == 32
    assert metrics["validation"]["history"][-1]["step"] == 6  # 48 rows / (8 x 2) per epoch, 2 epochs
    assert json.loads((out / "training_config.json").read_text())["objective"]["unlabeled_examples"] == 32
