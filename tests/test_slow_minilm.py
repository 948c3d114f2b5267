"""Quality with the real MiniLM: 200 SST-2 training examples beat 70% on the SST-2 test file."""

from __future__ import annotations

import pytest

from textaug.config import TrainConfig
from textaug.data import read_labelled_tsv, stratified_sample
from textaug.training.pipeline import train

from conftest import _eda_file


@pytest.mark.slow
def test_minilm_on_200_sst2_examples_beats_70_percent(tmp_path):
    full = read_labelled_tsv(_eda_file("sst2", "train")).shuffle(seed=0)
    train_ds = stratified_sample(full.select(range(0, 3000)), 200, seed=0)
    # checkpoint selection on other training rows, so the test file is only used for the final score
    val_ds = stratified_sample(full.select(range(3000, 6000)), 200, seed=0)
    test = read_labelled_tsv(_eda_file("sst2", "test"))
    config = TrainConfig(model="minilm", output_dir=str(tmp_path / "minilm"), epochs=4, lr=1e-4, batch_size=16,
                         max_length=64, seed=0)
    result = train(config, train_dataset=train_ds, validation_dataset=val_ds)
    metrics = result.classifier.evaluate(list(test["text"]), [str(v) for v in test["label"]])
    print(f"SST-2 test accuracy {metrics['accuracy']:.4f} on {metrics['examples']} examples")
    assert metrics["examples"] == len(test) == 1752
    assert metrics["accuracy"] > 0.70
