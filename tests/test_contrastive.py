"""The contrastive stage: pairs drawn among training rows only (own augmented copies as positives),
seeded pairs and weights, resume after a kill, the mean-pooling folder saved and loaded, two
processes, and bad input stopped before training. Mechanics on a tiny BERT from a config."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch
from datasets import Dataset

from textaug.config import TrainConfig
from textaug.predict import load
from textaug.training.contrastive import (Contrastive, PairIndex, cosine_pair_loss, pairwise_cosine_loss, supervised_contrastive_loss)
from textaug.training.objectives import StepContext
from textaug.training.pipeline import train

from helpers import assert_resumes_to_the_same_weights, folder_weights, tiny_config


def _config(model, tmp_path, **kw) -> TrainConfig:
    return tiny_config(model, tmp_path, **{"epochs": None, "contrastive": True, "contrastive_pairs": 2, **kw})


def test_partners_follow_the_pair_rules():
    # rows 0-3 label 0 from sources 0, 0, 1, 2 (rows 0 and 1 one source: a row and its copy);
    # rows 4-5 label 1; row 6 alone in label 2
    labels, sources = [0, 0, 0, 0, 1, 1, 2], [0, 0, 1, 2, 3, 4, 5]
    index = PairIndex.from_rows(labels, sources)
    rng = np.random.default_rng(0)
    anchors = np.tile(np.arange(7), 400)
    partners, targets = index.draw(anchors, rng)
    labels_ = np.array(labels)
    positive = targets == 1
    assert 0.45 < positive.mean() < 0.55
    assert (labels_[partners[positive]] == labels_[anchors[positive]]).all()
    assert (labels_[partners[~positive]] != labels_[anchors[~positive]]).all()
    # row 0's positives: its copy (row 1) half the time, the other sources' rows the rest
    row0 = positive & (anchors == 0)
    own = (partners[row0] == 1).mean()
    assert 0.4 < own < 0.6 and set(partners[row0].tolist()) == {1, 2, 3}
    # row 2 has no copy: its positives are other sources of its label, never itself
    assert set(partners[positive & (anchors == 2)].tolist()) == {0, 1, 3}
    # row 6 is alone in its class without copies: paired with itself
    assert set(partners[positive & (anchors == 6)].tolist()) == {6}
    supcon_partners, supcon_targets = index.draw(anchors, rng, always_positive=True)
    assert supcon_targets.all() and (labels_[supcon_partners] == labels_[anchors]).all()
    with pytest.raises(ValueError, match="at least two labels"):
        PairIndex.from_rows([1, 1, 1], [0, 1, 2])


def test_pairs_come_from_the_step_seed_alone():
    from textaug.training.batches import EncodedRows

    rows = EncodedRows([[1, 2]] * 8, [0, 1] * 4, list(range(8)))
    objective = Contrastive(rows=rows, pad_id=0)
    ctx = StepContext(seed=123, epoch=0, batch_index=0, progress=0.0)
    a, b = objective.pairs(np.arange(8), ctx), objective.pairs(np.arange(8), ctx)
    assert all((x == y).all() for x, y in zip(a, b))
    other = objective.pairs(np.arange(8), StepContext(seed=124, epoch=0, batch_index=0, progress=0.0))
    assert not all((x == y).all() for x, y in zip(a, other))


def test_the_losses():
    u = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    assert cosine_pair_loss(u, u, torch.tensor([1.0, 1.0])).item() == pytest.approx(0.0)
    assert cosine_pair_loss(u, u.flip(0), torch.tensor([0.0, 0.0])).item() == pytest.approx(0.0)
    assert cosine_pair_loss(u, u.flip(0), torch.tensor([1.0, 1.0])).item() == pytest.approx(1.0)
    # supcon: lower when same-label embeddings agree than when they are apart
    labels = torch.tensor([0, 0, 1, 1])
    together = torch.tensor([[1.0, 0.0], [1.0, 0.01], [0.0, 1.0], [0.01, 1.0]])
    apart = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 0.01], [0.01, 1.0]])
    assert supervised_contrastive_loss(together, labels, 0.1) < supervised_contrastive_loss(apart, labels, 0.1)
    # pairwise: zero when same labels coincide and other labels are orthogonal; each half weighs
    # one half, however many pairs it has (here 2 same-label pairs against 4 others)
    exact = torch.tensor([[1.0, 0.0], [2.0, 0.0], [0.0, 1.0], [0.0, 3.0]])
    assert pairwise_cosine_loss(exact, labels).item() == pytest.approx(0.0, abs=1e-6)
    collapsed = torch.ones(4, 2)  # every cosine 1: the same-label half is 0, the other half 1
    assert pairwise_cosine_loss(collapsed, labels).item() == pytest.approx(0.5)
    assert pairwise_cosine_loss(collapsed, torch.tensor([0, 1, 1, 1])).item() == pytest.approx(0.5)
    assert pairwise_cosine_loss(collapsed, torch.zeros(4, dtype=torch.long)).item() == pytest.approx(0.0)


def test_pairs_are_drawn_among_training_rows_only(tiny_bert, sst2_small, tmp_path, monkeypatch):
    """Validation rows are given: no partner (nor anchor) is ever one of them, and each augmented
    copy's own-source positives are copies of its own row."""
    train_ds, test_ds = sst2_small
    drawn = []
    original = Contrastive.pairs

    def spy(self, anchors, ctx):
        partners, targets = original(self, anchors, ctx)
        drawn.append((self, anchors.copy(), partners.copy(), targets.copy()))
        return partners, targets

    monkeypatch.setattr(Contrastive, "pairs", spy)
    result = train(_config(tiny_bert, tmp_path, augment="swap", n_aug=1), train_dataset=train_ds,
                   validation_dataset=test_ds, test_dataset=test_ds)
    objective = drawn[0][0]
    assert len(objective.rows) == len(result.train_rows) == 2 * len(train_ds)
    texts = list(result.train_rows["text"])
    validation = set(test_ds["text"])
    for _, anchors, partners, targets in drawn:
        assert partners.max() < len(texts)
        assert not {texts[i] for i in np.concatenate([anchors, partners])} & (validation - set(train_ds["text"]))
        sources = np.array(objective.rows.sources)
        same_source = sources[anchors] == sources[partners]
        assert (targets[same_source] == 1).all()  # a row and its own copy are never a negative pair
    # the whole budget: 2 partners per row of 96 rows at 8 per batch
    assert result.fit.global_step == 2 * 96 // 8
    assert result.record.validation.select == "last" and result.record.validation.scores.examples == 32
    training = json.loads((result.output_dir / "training_config.json").read_text())
    assert training["objective"]["objective"] == "contrastive"
    assert training["objective"]["fitted_head"]["rows"] == 96
    assert training["config"]["select"] == "last"
    card = (result.output_dir / "README.md").read_text()
    assert "objective `contrastive`" in card and "logistic-regression head" in card and "mean of its token" in card


def test_same_seed_same_weights_and_the_folder_predicts_as_in_memory(tiny_bert, sst2_small, tmp_path):
    train_ds, test_ds = sst2_small
    a = train(_config(tiny_bert, tmp_path / "a"), train_dataset=train_ds, test_dataset=test_ds)
    b = train(_config(tiny_bert, tmp_path / "b"), train_dataset=train_ds, test_dataset=test_ds)
    c = train(_config(tiny_bert, tmp_path / "c", seed=1), train_dataset=train_ds, test_dataset=test_ds)
    wa, wb, wc = (folder_weights(r.output_dir) for r in (a, b, c))
    assert wa.keys() == wb.keys() and all(torch.equal(wa[k], wb[k]) for k in wa)
    assert any(not torch.equal(wa[k], wc[k]) for k in wa)
    assert not any(k.startswith("encoder.pooler") for k in wa)  # never read, never saved
    texts = list(test_ds["text"])
    loaded = load(a.output_dir)
    assert np.allclose(loaded.logits(texts), a.classifier.logits(texts), atol=1e-5)
    assert loaded.predict(texts) == a.classifier.predict(texts)
    assert loaded.evaluate(texts, list(test_ds["label"]))["accuracy"] == a.record.test.accuracy


def test_the_head_is_the_logistic_regression_on_the_embeddings(tiny_bert, sst2_small, tmp_path):
    from sklearn.linear_model import LogisticRegression

    from textaug.training.contrastive import embed_rows

    train_ds, test_ds = sst2_small
    result = train(_config(tiny_bert, tmp_path), train_dataset=train_ds, test_dataset=test_ds, save=False, quiet=True)
    from textaug.training.batches import EncodedRows
    from textaug.training.data import encode_rows

    encoder = result.classifier.encoder
    rows = EncodedRows.from_dataset(encode_rows(result.data.train, encoder, "x"))
    features = embed_rows(result.classifier.model, rows, encoder.pad_id, 16, "cpu")
    reference = LogisticRegression(max_iter=1000, random_state=0).fit(features, rows.labels)
    ids = result.classifier.predict_ids(list(result.data.train["text"]))
    assert ids == reference.predict(features).tolist()


def test_a_killed_contrastive_run_resumes_to_the_same_weights(tiny_bert, sst2_small, tmp_path):
    train_ds, _ = sst2_small
    assert_resumes_to_the_same_weights(tmp_path, tiny_bert, 7, epochs=None, contrastive=True, contrastive_pairs=2,
                                       augment="swap", n_aug=1, train_dataset=train_ds)


def test_supcon_trains_and_names_its_temperature(tiny_bert, sst2_small, tmp_path):
    train_ds, _ = sst2_small
    result = train(_config(tiny_bert, tmp_path, contrastive_loss="supcon", contrastive_temperature=0.1),
                   train_dataset=train_ds)
    objective = json.loads((result.output_dir / "training_config.json").read_text())["objective"]
    assert objective["loss"] == "supcon" and objective["temperature"] == 0.1
    assert all(np.isfinite(h["train_loss"]) for h in result.history)


def test_the_pairwise_loss_trains_and_is_named(tiny_bert, sst2_small, tmp_path):
    train_ds, _ = sst2_small
    result = train(_config(tiny_bert, tmp_path, contrastive_loss="pairwise"), train_dataset=train_ds)
    objective = json.loads((result.output_dir / "training_config.json").read_text())["objective"]
    assert objective["loss"] == "pairwise" and "every pair of the batch" in objective["pairs"]
    assert all(np.isfinite(h["train_loss"]) for h in result.history)
    assert len(load(result.output_dir).predict(["a fine film"])) == 1


@pytest.mark.parametrize("options, message", [
    ({"model": "lstm-glove"}, "not a transformer"),
    ({"mixup": 0.2}, "leave mixup off"),
    ({"strategy": "feature-extraction"}, "does not apply"),
    ({"epochs": 3}, "not epochs"),
    ({"patience": 2}, "patience does not apply"),
    ({"contrastive_pairs": 0}, "contrastive_pairs must be at least 1"),
    ({"contrastive_loss": "triplet"}, "unknown contrastive_loss"),
    ({"augment": "eda:alpha=lots"}, "alpha='lots'"),
])
def test_bad_options_are_one_line_before_training(options, message, tmp_path):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**{"contrastive": True, "output_dir": str(tmp_path), **options})


def test_a_single_class_is_refused_and_a_class_of_one_row_trains(tiny_bert, tmp_path):
    one_class = Dataset.from_dict({"text": ["good film", "great film", "fine film"], "label": [1, 1, 1]})
    with pytest.raises(ValueError, match="single class"):
        train(_config(tiny_bert, tmp_path / "a"), train_dataset=one_class)
    rare = Dataset.from_dict({"text": ["good film", "great film", "fine film", "awful"], "label": [1, 1, 1, 0]})
    result = train(_config(tiny_bert, tmp_path / "b"), train_dataset=rare, save=False, quiet=True)
    assert len(result.classifier.predict(["awful"])) == 1


def test_the_command_line_trains_two_processes_contrastively(tiny_bert, sst2_files, tmp_path):
    """`--contrastive` through `accelerate launch` with two gloo processes: every process draws
    its own pairs, the head is the same on both, one folder is written and loads."""
    accelerate = shutil.which("accelerate", path=os.path.dirname(sys.executable))
    out = tmp_path / "ddp"
    run = subprocess.run(
        [accelerate, "launch", "--multi_gpu", "--num_processes", "2", "--num_machines", "1", "--mixed_precision", "no",
         "--dynamo_backend", "no", "-m", "textaug.cli", "train", "--train", sst2_files[0], "--test", sst2_files[1],
         "--no-header", "--model", tiny_bert, "--contrastive", "--contrastive-pairs", "2", "--batch-size", "8",
         "--max-length", "32", "--output-dir", str(out)],
        env={**os.environ, "OMP_NUM_THREADS": "1"}, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["training"]["processes"] == 2 and metrics["test"]["examples"] == 32
    assert metrics["training"]["steps"] == 6  # 2 pairs per row x 48 rows / (8 x 2 processes)
    assert run.stdout.count("contrastive stage:") == 1
    assert len(load(out).predict(["fine"])) == 1
