"""Training-time augmentation objectives on tiny models built from a config: mixup at the input and
pooled layers, feature-space noise and interpolation, the cached-features fast path, and resume
equivalence with a random objective."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from textaug.config import TrainConfig
from textaug.models.encoding import pad_batch
from textaug.training.objectives import (CrossEntropy, FeatureSpace, Mixup, StepContext, mixed_targets,
                                         same_class_partners, soft_cross_entropy, step_seed)
from textaug.training.pipeline import train

from helpers import assert_resumes_to_the_same_weights, folder_weights, tiny_config

CTX = StepContext(seed=12345, epoch=0, batch_index=0, progress=0.0)


def _bert(tiny_bert, dropout: float = 0.0):
    from transformers import AutoModelForSequenceClassification

    torch.manual_seed(0)
    model = AutoModelForSequenceClassification.from_pretrained(
        tiny_bert, num_labels=3, hidden_dropout_prob=dropout, attention_probs_dropout_prob=dropout,
        ignore_mismatched_sizes=True)
    return model.eval()


def _static(kind: str):
    from textaug.models.bilstm import BiLSTMClassifier
    from textaug.models.cnn import CNNClassifier

    torch.manual_seed(0)
    if kind == "bilstm":
        return BiLSTMClassifier(vocab_size=50, embedding_dim=8, num_labels=3, hidden_size=6, dropout=0.0).eval()
    return CNNClassifier(vocab_size=50, embedding_dim=8, num_labels=3, filters=6, width=3, dense=5, dropout=0.0).eval()


def _batch(n: int = 6, vocab: int = 50, equal: bool = False) -> dict[str, torch.Tensor]:
    rng = np.random.default_rng(0)
    rows = [list(rng.integers(5, vocab, size=7 if equal else int(rng.integers(3, 9)))) for _ in range(n)]
    return pad_batch(rows, 0, [i % 3 for i in range(n)])


class _Fixed(Mixup):
    """Mixup with a chosen lambda and permutation (to check what the hooks compute)."""

    def draw(self, n, ctx):
        return self.lam, torch.as_tensor(np.roll(np.arange(n), 1))


def _fixed(lam: float, layer: str) -> Mixup:
    m = _Fixed(alpha=1.0, layer=layer)
    object.__setattr__(m, "lam", lam)
    return m


def test_mixed_labels_sum_to_one_and_the_loss_is_the_mix_of_two_losses():
    labels = torch.tensor([0, 1, 2, 1])
    perm = torch.tensor([2, 0, 3, 1])
    targets = mixed_targets(labels, perm, 0.3, 3)
    torch.testing.assert_close(targets.sum(dim=1), torch.ones(4))
    assert targets[0].tolist() == pytest.approx([0.3, 0.0, 0.7])
    logits = torch.randn(4, 3, generator=torch.Generator().manual_seed(0))
    ce = torch.nn.functional.cross_entropy
    torch.testing.assert_close(soft_cross_entropy(logits, targets), 0.3 * ce(logits, labels) + 0.7 * ce(logits, labels[perm]))


@pytest.mark.parametrize("kind", ["transformer", "bilstm", "cnn"])
@pytest.mark.parametrize("layer", ["input", "pooled"])
def test_mixup_for_every_kind_and_layer(tiny_bert, kind, layer):
    model = _bert(tiny_bert) if kind == "transformer" else _static(kind)
    batch = _batch(vocab=50)
    plain = CrossEntropy()(model, batch, CTX)
    # lambda = 1 mixes nothing: exactly the supervised loss (on texts of one length, where the united
    # attention masks are the masks)
    same = _batch(equal=True)
    torch.testing.assert_close(_fixed(1.0, layer)(model, same, CTX), CrossEntropy()(model, same, CTX))
    mixed = _fixed(0.5, layer)(model, batch, CTX)
    assert torch.isfinite(mixed) and not torch.isclose(mixed, plain)
    drawn = Mixup(alpha=0.4, layer=layer)
    loss = drawn(model, batch, CTX)
    loss.backward()
    assert all(p.grad is not None for p in model.parameters() if p.requires_grad)
    torch.testing.assert_close(drawn(model, batch, CTX), loss.detach())  # the same seed, the same draw
    # fit seeds each batch of each process apart
    draws = {Mixup(alpha=0.4).draw(6, replace(CTX, seed=step_seed(0, *where)))[0]
             for where in ((0, 0, 0), (0, 1, 0), (1, 0, 0), (0, 0, 1))}
    assert len(draws) == 4


def test_input_mixup_mixes_the_word_embeddings_and_unites_the_masks(tiny_bert):
    model = _bert(tiny_bert)
    batch = _batch()
    perm = torch.as_tensor(np.roll(np.arange(6), 1))
    words = model.get_input_embeddings()(batch["input_ids"])
    mask = torch.maximum(batch["attention_mask"], batch["attention_mask"][perm])
    expected = model(inputs_embeds=0.25 * words + 0.75 * words[perm], attention_mask=mask).logits
    targets = mixed_targets(batch["labels"], perm, 0.25, 3)
    torch.testing.assert_close(_fixed(0.25, "input")(model, batch, CTX), soft_cross_entropy(expected, targets))


def test_pooled_mixup_mixes_what_the_classifier_sees(tiny_bert):
    model = _bert(tiny_bert)
    batch = _batch()
    perm = torch.as_tensor(np.roll(np.arange(6), 1))
    pooled = model.bert(**{k: batch[k] for k in ("input_ids", "attention_mask")}).pooler_output
    logits = model.classifier(0.25 * pooled + 0.75 * pooled[perm])
    targets = mixed_targets(batch["labels"], perm, 0.25, 3)
    torch.testing.assert_close(_fixed(0.25, "pooled")(model, batch, CTX), soft_cross_entropy(logits, targets))


def test_same_class_partners_share_the_label():
    labels = np.array([0, 1, 0, 1, 2, 0])
    partners = same_class_partners(labels, 1.0, np.random.default_rng(0))
    assert (labels[partners] == labels).all()
    lone = 4  # the only row of class 2 keeps itself
    assert partners[lone] == lone and all(partners[i] != i for i in range(6) if i != lone)
    assert (same_class_partners(labels, 0.0, np.random.default_rng(0)) == np.arange(6)).all()


@pytest.mark.parametrize("kind", ["transformer", "bilstm", "cnn"])
def test_feature_space_noise_and_interpolation(tiny_bert, kind):
    model = _bert(tiny_bert) if kind == "transformer" else _static(kind)
    batch = _batch()
    plain = CrossEntropy()(model, batch, CTX)
    torch.testing.assert_close(FeatureSpace()(model, batch, CTX), plain)  # nothing asked, nothing changed
    for objective in (FeatureSpace(noise=0.5), FeatureSpace(interpolate=1.0)):
        loss = objective(model, batch, CTX)
        assert torch.isfinite(loss) and not torch.isclose(loss, plain)
        torch.testing.assert_close(objective(model, batch, CTX), loss)  # seeded by the step


def test_feature_interpolation_stays_between_same_class_rows():
    labels = torch.tensor([0, 1, 0, 1, 2])
    h = torch.arange(5, dtype=torch.float32)[:, None].repeat(1, 4)
    moved = FeatureSpace(interpolate=1.0).perturbation(labels, CTX)(h)
    # rows 0 and 2 (class 0) move towards each other, as do 1 and 3; row 4 has no partner
    assert moved[4].tolist() == h[4].tolist()
    for i, j in ((0, 2), (2, 0), (1, 3), (3, 1)):
        lo, hi = sorted((h[i, 0].item(), h[j, 0].item()))
        assert lo <= moved[i, 0].item() <= hi


@pytest.mark.parametrize(("model", "options"), [
    ("tiny", {"mixup": 0.4}),
    ("tiny", {"mixup": 0.4, "mixup_layer": "pooled"}),
    ("lstm-glove", {"mixup": 0.2, "vocab_budget": 100}),
    ("cnn-glove", {"feature_noise": 0.1, "feature_interpolate": 0.5, "vocab_budget": 100}),
])
def test_training_records_the_objective(tiny_bert, sst2_small, tmp_path, model, options):
    train_ds, test_ds = sst2_small
    config = tiny_config(tiny_bert if model == "tiny" else model, tmp_path, **options)
    result = train(config, train_dataset=train_ds, test_dataset=test_ds)
    saved = json.loads((Path(result.output_dir) / "training_config.json").read_text())
    expected = ({"objective": "mixup", "alpha": options["mixup"], "layer": options.get("mixup_layer", "input")}
                if "mixup" in options else {"objective": "feature-space", "noise": 0.1, "interpolate": 0.5})
    assert saved["objective"] == expected
    card = (Path(result.output_dir) / "README.md").read_text()
    assert f"objective `{expected['objective']}`" in card and json.dumps(expected["objective"]) in card
    assert result.metrics["test"]["examples"] == len(test_ds)


@pytest.fixture(scope="module")
def tiny_bert_no_dropout(tiny_bert, tmp_path_factory):
    """The tiny BERT with dropout off: the cached and uncached paths see the same features."""
    from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer

    folder = tmp_path_factory.mktemp("tiny-bert-no-dropout")
    config = AutoConfig.from_pretrained(tiny_bert, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    AutoModelForSequenceClassification.from_pretrained(tiny_bert, config=config).save_pretrained(folder)
    AutoTokenizer.from_pretrained(tiny_bert).save_pretrained(folder)
    return str(folder)


@pytest.mark.parametrize("options", [{}, {"feature_noise": 0.2}, {"mixup": 0.4, "mixup_layer": "pooled"}])
def test_cached_features_train_the_same_head_as_the_uncached_path(tiny_bert_no_dropout, sst2_small, tmp_path, options):
    train_ds, test_ds = sst2_small
    kw = {"strategy": "feature-extraction", "epochs": 3, "lr": 1e-2, "validation_fraction": 0.5, **options}
    plain = train(tiny_config(tiny_bert_no_dropout, tmp_path / "a", **kw), train_dataset=train_ds, test_dataset=test_ds)
    cached = train(tiny_config(tiny_bert_no_dropout, tmp_path / "b", cache_features=True, **kw), train_dataset=train_ds,
                   test_dataset=test_ds)
    a, b = folder_weights(plain.output_dir), folder_weights(cached.output_dir)
    assert a.keys() == b.keys()
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=1e-4, atol=1e-5, msg=key)
    assert not torch.equal(a["classifier.weight"], folder_weights(tiny_bert_no_dropout)["classifier.weight"])
    for x, y in zip(plain.history, cached.history):
        assert x["step"] == y["step"] and x["accuracy"] == y["accuracy"]
        assert x["loss"] == pytest.approx(y["loss"], abs=1e-4)
    assert plain.metrics["test"]["accuracy"] == cached.metrics["test"]["accuracy"]


@pytest.mark.parametrize(("options", "message"), [
    ({"cache_features": True}, "needs strategy feature-extraction"),
    ({"cache_features": True, "strategy": "feature-extraction", "model": "lstm-glove"}, "pretrained transformer"),
    ({"cache_features": True, "strategy": "feature-extraction", "mixup": 0.2}, "mixup_layer pooled"),
    ({"mixup": 0.0}, "must be positive"),
    ({"mixup": 0.2, "feature_noise": 0.1}, "not both"),
    ({"feature_interpolate": 1.5}, r"\[0, 1\]"),
    ({"feature_noise": -1.0}, "must not be negative"),
    ({"mixup_layer": "middle"}, "mixup_layer"),
])
def test_bad_objective_options_are_refused_up_front(tmp_path, options, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**{"output_dir": str(tmp_path), **options})


def test_a_killed_mixup_run_resumes_to_the_same_weights(tiny_bert, sst2_small, tmp_path):
    train_ds, test_ds = sst2_small
    assert_resumes_to_the_same_weights(tmp_path, tiny_bert, 17, epochs=3, mixup=0.4, metric="loss",
                                       train_dataset=train_ds, validation_dataset=test_ds)


# Each subprocess scores the 2,562-row built-in test split: the default suite keeps one (the
# consistency run, which also reads builtin: unlabeled data); the in-process tests above cover
# each objective's mechanics, and `make test-all` runs the other three from the CLI too.
@pytest.mark.parametrize("options", [
    pytest.param(["--model", "lstm-glove", "--mixup", "0.3", "--mixup-layer", "input"], marks=pytest.mark.slow),
    pytest.param(["--model", "cnn-glove", "--feature-noise", "0.1", "--feature-interpolate", "0.5"],
                 marks=pytest.mark.slow),
    pytest.param(["--model", "TINY", "--strategy", "feature-extraction", "--cache-features", "--mixup", "0.3",
                  "--mixup-layer", "pooled"], marks=pytest.mark.slow),
    ["--model", "TINY", "--consistency", "1.0", "--tsa", "exp", "--unlabeled", "builtin:rotten_tomatoes",
     "--unlabeled-split", "test", "--unlabeled-samples", "40"],
])
def test_each_objective_runs_from_the_cli_on_the_built_in_corpus(tiny_bert, tmp_path, options):
    import os
    import subprocess
    import sys

    out = tmp_path / "cli"
    options = [tiny_bert if o == "TINY" else o for o in options]
    run = subprocess.run(
        [sys.executable, "-m", "textaug.cli", "train", "--train", "builtin:rotten_tomatoes", "--train-samples", "60",
         "--vocab-budget", "100", "--max-steps", "6", "--eval-steps", "3", "--batch-size", "8", "--max-length", "32",
         *options, "--output-dir", str(out)],
        env={**os.environ, "OMP_NUM_THREADS": "1"}, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    saved = json.loads((out / "training_config.json").read_text())
    expected = {"--mixup": "mixup", "--feature-noise": "feature-space", "--consistency": "consistency"}
    assert saved["objective"]["objective"] == next(v for k, v in expected.items() if k in options)
    assert "TEST (rotten_tomatoes (built-in corpus, test split)" in run.stdout
    if "--cache-features" in options:
        assert "encoder features cached for 54 training and 6 validation rows" in run.stdout
    if "--unlabeled" in options:
        assert saved["objective"]["unlabeled_examples"] == 40 and saved["objective"]["tsa"] == "exp"
