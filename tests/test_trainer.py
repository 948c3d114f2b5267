"""The trainer's mechanics with a tiny BERT built from a config: strategies, resume, save/load,
augment-then-train, early stopping, and bad input caught before training."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from textaug.config import TrainConfig
from textaug.predict import load
from textaug.trainer import StepInfo, _param_groups, train


def _config(tiny_bert, tmp_path, **kw) -> TrainConfig:
    base = {"model": tiny_bert, "output_dir": str(tmp_path / "model"), "epochs": 2, "batch_size": 8,
            "lr": 3e-3, "checkpoint_steps": 3, "max_length": 32}
    return TrainConfig(**{**base, **kw})


def _weights(folder) -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    return load_file(str(Path(folder) / "model.safetensors"))


def _initial(tiny_bert) -> dict[str, torch.Tensor]:
    return _weights(tiny_bert)


def _changed(before, after, prefix) -> bool:
    keys = [k for k in after if k.startswith(prefix)]
    assert keys, prefix
    return any(not torch.equal(before[k], after[k]) for k in keys if k in before)


def test_finetune_trains_every_layer_and_writes_the_folder(tiny_bert, sst2_small, tmp_path):
    train_ds, eval_ds = sst2_small
    result = train(_config(tiny_bert, tmp_path, metric="loss"), train_dataset=train_ds, eval_dataset=eval_ds)
    out = Path(result.output_dir)
    names = {p.name for p in out.iterdir()}
    assert {"README.md", "config.json", "model.safetensors", "metrics.json", "training_config.json",
            "tokenizer.json", "tokenizer_config.json"} <= names
    assert "checkpoints" not in names  # removed after a finished run
    before, after = _initial(tiny_bert), _weights(out)
    for prefix in ("bert.embeddings.", "bert.encoder.layer.0.", "bert.encoder.layer.1.", "classifier."):
        assert _changed(before, after, prefix), prefix
    config = json.loads((out / "config.json").read_text())
    assert config["id2label"] == {"0": "0", "1": "1"}
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["examples"] == len(eval_ds) and len(metrics["history"]) == 2
    assert set(metrics["per_class"]) == {"0", "1"}
    assert np.array(metrics["confusion_matrix"]["rows_true_columns_predicted"]).sum() == len(eval_ds)
    assert metrics["processes"] == 1


def test_feature_extraction_freezes_the_encoder(tiny_bert, sst2_small, tmp_path):
    train_ds, eval_ds = sst2_small
    result = train(_config(tiny_bert, tmp_path, strategy="feature-extraction", epochs=1),
                   train_dataset=train_ds, eval_dataset=eval_ds)
    before, after = _initial(tiny_bert), _weights(result.output_dir)
    assert not _changed(before, after, "bert.embeddings.")
    assert not _changed(before, after, "bert.encoder.")
    assert _changed(before, after, "classifier.")


@pytest.mark.parametrize(("epochs", "open_layers"), [(1, 0), (2, 1)])
def test_gradual_unfreezing_opens_layers_from_the_top(tiny_bert, sst2_small, tmp_path, epochs, open_layers):
    # groups bottom to top: embeddings, layer 0, layer 1; one more group opens each epoch
    train_ds, eval_ds = sst2_small
    result = train(_config(tiny_bert, tmp_path, strategy="gradual", unfreeze_per_epoch=1, epochs=epochs,
                           metric="loss"), train_dataset=train_ds, eval_dataset=eval_ds)
    before, after = _initial(tiny_bert), _weights(result.output_dir)
    assert _changed(before, after, "classifier.")
    assert _changed(before, after, "bert.encoder.layer.1.") == (open_layers >= 1)
    assert not _changed(before, after, "bert.encoder.layer.0.")
    assert not _changed(before, after, "bert.embeddings.")


def test_layer_wise_learning_rate_decay(tiny_bert, tmp_path):
    from textaug.models.transformer import load_transformer, transformer_layer_groups

    model, _ = load_transformer(tiny_bert, ["a", "b"])
    groups, head = transformer_layer_groups(model)
    assert len(groups) == 3  # embeddings + 2 layers
    config = _config(tiny_bert, tmp_path, lr=1e-3, layer_lr_decay=0.5)
    lrs = {}
    for g in _param_groups(config, groups, head):
        for p in g["params"]:
            lrs[id(p)] = g["lr"]
    assert lrs[id(model.classifier.weight)] == pytest.approx(1e-3)
    assert lrs[id(model.bert.encoder.layer[1].attention.self.query.weight)] == pytest.approx(5e-4)
    assert lrs[id(model.bert.encoder.layer[0].attention.self.query.weight)] == pytest.approx(2.5e-4)
    assert lrs[id(model.bert.embeddings.word_embeddings.weight)] == pytest.approx(1.25e-4)
    assert len(lrs) == sum(1 for _ in model.parameters())  # nothing left out
    no_decay = [g for g in _param_groups(config, groups, head) if g["weight_decay"] == 0]
    assert all(p.ndim == 1 for g in no_decay for p in g["params"])


class _Killed(Exception):
    pass


def test_a_killed_run_resumed_ends_like_an_uninterrupted_one(tiny_bert, sst2_small, tmp_path):
    train_ds, eval_ds = sst2_small
    kw = {"epochs": 3, "augment": "eda", "n_aug": 1, "metric": "loss"}
    whole = train(_config(tiny_bert, tmp_path / "a", **kw), train_dataset=train_ds, eval_dataset=eval_ds)

    seen: list[StepInfo] = []

    def kill_mid_epoch_two(info: StepInfo) -> None:
        seen.append(info)
        if info.global_step == 17:  # 12 steps per epoch: mid-epoch 2, two steps after a checkpoint
            raise _Killed

    with pytest.raises(_Killed):
        train(_config(tiny_bert, tmp_path / "b", **kw), train_dataset=train_ds, eval_dataset=eval_ds,
              callbacks=[kill_mid_epoch_two])
    assert (tmp_path / "b" / "model" / "checkpoints" / "last").is_dir()
    assert seen[-1].epoch == 1 and any(s.checkpointed for s in seen)
    resumed = train(_config(tiny_bert, tmp_path / "b", resume=True, **kw), train_dataset=train_ds,
                    eval_dataset=eval_ds)
    assert resumed.history == whole.history  # every evaluation, to the last digit
    assert len({h["loss"] for h in whole.history}) == 3  # training moved the model
    a, b = _weights(whole.output_dir), _weights(resumed.output_dir)
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_resume_refuses_a_checkpoint_from_other_options(tiny_bert, sst2_small, tmp_path):
    train_ds, eval_ds = sst2_small

    def stop(info: StepInfo) -> None:
        if info.global_step == 4:
            raise _Killed

    with pytest.raises(_Killed):
        train(_config(tiny_bert, tmp_path), train_dataset=train_ds, eval_dataset=eval_ds, callbacks=[stop])
    with pytest.raises(ValueError, match=r"different options \['lr'\]"):
        train(_config(tiny_bert, tmp_path, lr=1e-4, resume=True), train_dataset=train_ds, eval_dataset=eval_ds)


def test_save_load_predict_are_identical(tiny_bert, sst2_small, tmp_path):
    train_ds, eval_ds = sst2_small
    result = train(_config(tiny_bert, tmp_path, epochs=1), train_dataset=train_ds, eval_dataset=eval_ds)
    texts = list(eval_ds["text"]) + ["", "a", "word " * 200]
    in_memory = result.classifier.logits(texts)
    loaded = load(result.output_dir)
    np.testing.assert_array_equal(in_memory, loaded.logits(texts))
    assert result.classifier.predict(texts) == loaded.predict(texts)
    assert loaded.labels == ["0", "1"]
    # the metrics the trainer wrote are the loaded model's metrics on the same data
    again = loaded.evaluate(list(eval_ds["text"]), [str(v) for v in eval_ds["label"]])
    assert again["accuracy"] == result.metrics["accuracy"]


def test_augmentation_touches_the_training_split_only(tiny_bert, sst2_small, tmp_path):
    train_ds, eval_ds = sst2_small
    result = train(_config(tiny_bert, tmp_path, epochs=1, augment="eda", n_aug=3, alpha=0.1),
                   train_dataset=train_ds, eval_dataset=eval_ds)
    m = result.metrics
    assert m["train_examples_original"] == len(train_ds) and m["train_examples"] == 4 * len(train_ds)
    assert m["examples"] == len(eval_ds)
    saved = json.loads((Path(result.output_dir) / "training_config.json").read_text())
    assert saved["augmentation"]["recipe"] == "eda" and saved["augmentation"]["n_aug"] == 3
    assert saved["augmentation"]["keep_original"] is True
    assert saved["config"]["augment"] == "eda" and saved["labels"] == ["0", "1"]


def test_without_eval_data_a_stratified_share_is_held_out(tiny_bert, sst2_small, tmp_path):
    train_ds, _ = sst2_small
    result = train(_config(tiny_bert, tmp_path, epochs=1, eval_fraction=0.25, augment="swap", n_aug=1),
                   train_dataset=train_ds)
    assert result.metrics["examples"] == 12 and result.metrics["train_examples_original"] == 36
    assert result.metrics["per_class"]["0"]["support"] == 6


def test_early_stopping_and_eval_steps(tiny_bert, sst2_small, tmp_path):
    train_ds, eval_ds = sst2_small
    # a learning rate too small to change the loss: no evaluation improves on the first
    result = train(_config(tiny_bert, tmp_path, epochs=5, lr=1e-12, eval_steps=2, patience=2, metric="loss"),
                   train_dataset=train_ds, eval_dataset=eval_ds)
    assert result.stopped_early
    assert [h["step"] for h in result.history] == [2, 4, 6]
    assert result.metrics["best_step"] == 2


def test_string_labels_and_a_datasetdict(tiny_bert, tmp_path):
    from datasets import Dataset, DatasetDict

    rows = {"text": ["good fun", "awful mess", "great film", "boring plot"] * 4,
            "label": ["pos", "neg", "pos", "neg"] * 4}
    dd = DatasetDict({"train": Dataset.from_dict(rows), "test": Dataset.from_dict(rows)})
    result = train(_config(tiny_bert, tmp_path, epochs=1), train_dataset=dd)
    assert result.classifier.labels == ["neg", "pos"] and result.metrics["examples"] == 16


BAD = {
    "no label column": ({"text": ["a b", "c d"]}, None, "has no column 'label'"),
    "empty": ({"text": [], "label": []}, None, "training data is empty"),
    "single class": ({"text": ["a b", "c d"], "label": [1, 1]}, None, "single class"),
    "None text": ({"text": ["a b", None, "e f"], "label": [0, 1, 0]}, None, "missing \\(None\\) or empty"),
    "empty text": ({"text": ["a b", "  ", "e f"], "label": [0, 1, 0]}, None, "1 row\\(s\\) \\(first: 1\\)"),
    "missing label": ({"text": ["a b", "c d", "e f"], "label": ["x", None, "y"]}, None, "have no label"),
    "eval label not in set": ({"text": ["a b", "c d"], "label": ["x", "y"]},
                              {"text": ["a b"], "label": ["z"]}, "labels \\['z'\\] that are not in the training label set"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_data_fails_before_training(case, tiny_bert, tmp_path):
    from datasets import Dataset

    train_rows, eval_rows, message = BAD[case]
    train_ds = Dataset.from_dict(train_rows)
    eval_ds = Dataset.from_dict(eval_rows) if eval_rows else Dataset.from_dict({"text": ["a b"], "label": [0]})
    with pytest.raises(ValueError, match=message):
        train(_config(tiny_bert, tmp_path), train_dataset=train_ds, eval_dataset=eval_ds)
    assert not (tmp_path / "model").exists()


def test_bad_options_and_model_folders_fail_before_training(tiny_bert, tmp_path, sst2_small):
    with pytest.raises(ValueError, match="max_length must be at least 8"):
        TrainConfig(max_length=7)
    with pytest.raises(ValueError, match="unknown strategy"):
        TrainConfig(strategy="freeze-all")
    with pytest.raises(ValueError, match="unknown augmentation recipe"):
        TrainConfig(augment="magic")
    (tmp_path / "notamodel").mkdir()
    for source, message in ((tmp_path / "notamodel", "not a model folder: it has no config.json"),
                            (tmp_path / "missing", "no such model folder")):
        with pytest.raises(ValueError, match=message):
            train(_config(str(source), tmp_path), train_dataset=sst2_small[0], eval_dataset=sst2_small[1])
    assert not (tmp_path / "model").exists()
    with pytest.raises(ValueError, match="not a model folder"):
        load(tmp_path / "notamodel")


def test_builtin_corpus_with_a_training_sample(tiny_bert, tmp_path):
    result = train(_config(tiny_bert, tmp_path, train="builtin:rotten_tomatoes", train_samples=40, epochs=1,
                           augment="eda", n_aug=1))
    m = result.metrics
    assert m["train_examples_original"] == 40 and m["train_examples"] == 80
    assert m["examples"] == 2562  # the built-in test split, never augmented
    assert result.classifier.labels == ["rotten", "fresh"]
