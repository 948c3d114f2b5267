"""The trainer's mechanics with a tiny BERT built from a config: data roles, strategies, budgets,
selection, resume, save/load, augment-then-train, callbacks, objectives, and bad input caught
before training."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from textaug.config import TrainConfig
from textaug.predict import load
from textaug.training.fit import Event, param_groups
from textaug.training.objectives import CrossEntropy
from textaug.training.pipeline import train

from helpers import folder_weights as _weights
from helpers import tiny_config as _config


def _changed(before, after, prefix) -> bool:
    keys = [k for k in after if k.startswith(prefix)]
    assert keys, prefix
    return any(not torch.equal(before[k], after[k]) for k in keys if k in before)


class _Killed(Exception):
    pass


def test_finetune_trains_every_layer_and_writes_the_folder(tiny_bert, sst2_small, tmp_path):
    train_ds, test_ds = sst2_small
    result = train(_config(tiny_bert, tmp_path, metric="loss", validation_fraction=0.5), train_dataset=train_ds,
                   test_dataset=test_ds)
    out = Path(result.output_dir)
    names = {p.name for p in out.iterdir()}
    assert {"README.md", "config.json", "model.safetensors", "metrics.json", "training_config.json",
            "tokenizer.json", "tokenizer_config.json"} <= names
    assert "checkpoints" not in names  # removed after a finished run
    before, after = _weights(tiny_bert), _weights(out)
    for prefix in ("bert.embeddings.", "bert.encoder.layer.0.", "bert.encoder.layer.1.", "classifier."):
        assert _changed(before, after, prefix), prefix
    assert json.loads((out / "config.json").read_text())["id2label"] == {"0": "0", "1": "1"}
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics) == {"test", "validation", "training"}
    test = metrics["test"]
    assert test["examples"] == len(test_ds) and set(test["per_class"]) == {"0", "1"}
    assert np.array(test["confusion_matrix"]["rows_true_columns_predicted"]).sum() == len(test_ds)
    validation = metrics["validation"]
    assert validation["examples"] == 24  # half of the 48 training rows, held out (10 per class at least)
    assert len(validation["history"]) == 2 and validation["select"] == "best"
    assert [h["step"] for h in validation["history"]] == [3, 6]  # 24 rows / 8 per step, per epoch
    assert [h["examples_seen"] for h in validation["history"]] == [24, 48]
    training = metrics["training"]
    assert training["original_examples"] == 24 and training["steps"] == 6 and training["processes"] == 1


def test_feature_extraction_freezes_the_encoder(tiny_bert, sst2_small, tmp_path):
    result = train(_config(tiny_bert, tmp_path, strategy="feature-extraction", epochs=1), train_dataset=sst2_small[0])
    before, after = _weights(tiny_bert), _weights(result.output_dir)
    assert not _changed(before, after, "bert.embeddings.")
    assert not _changed(before, after, "bert.encoder.")
    assert _changed(before, after, "classifier.")


@pytest.mark.parametrize(("epochs", "open_layers"), [(1, 0), (2, 1)])
def test_gradual_unfreezing_opens_layers_from_the_top(tiny_bert, sst2_small, tmp_path, epochs, open_layers):
    # groups bottom to top: embeddings, layer 0, layer 1; one more group opens each epoch
    result = train(_config(tiny_bert, tmp_path, strategy="gradual", unfreeze_per_epoch=1, epochs=epochs,
                           select="last"), train_dataset=sst2_small[0])
    before, after = _weights(tiny_bert), _weights(result.output_dir)
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
    for g in param_groups(config, groups, head):
        for p in g["params"]:
            lrs[id(p)] = g["lr"]
    assert lrs[id(model.classifier.weight)] == pytest.approx(1e-3)
    assert lrs[id(model.bert.encoder.layer[1].attention.self.query.weight)] == pytest.approx(5e-4)
    assert lrs[id(model.bert.encoder.layer[0].attention.self.query.weight)] == pytest.approx(2.5e-4)
    assert lrs[id(model.bert.embeddings.word_embeddings.weight)] == pytest.approx(1.25e-4)
    assert len(lrs) == sum(1 for _ in model.parameters())  # nothing left out
    no_decay = [g for g in param_groups(config, groups, head) if g["weight_decay"] == 0]
    assert all(p.ndim == 1 for g in no_decay for p in g["params"])


def test_flipped_test_labels_give_bit_identical_weights(tiny_bert, sst2_small, tmp_path):
    """The test data never influences training: same seed and validation, test labels flipped."""
    train_ds, test_ds = sst2_small
    flipped = test_ds.map(lambda row: {"label": 1 - row["label"]})
    kw = {"augment": "eda", "n_aug": 1, "epochs": 2}
    a = train(_config(tiny_bert, tmp_path / "a", **kw), train_dataset=train_ds, test_dataset=test_ds)
    b = train(_config(tiny_bert, tmp_path / "b", **kw), train_dataset=train_ds, test_dataset=flipped)
    assert (Path(a.output_dir) / "model.safetensors").read_bytes() == (Path(b.output_dir) / "model.safetensors").read_bytes()
    assert a.history == b.history
    assert a.metrics["test"]["accuracy"] == pytest.approx(1 - b.metrics["test"]["accuracy"])


def test_validation_is_carved_before_augmentation(tiny_bert, sst2_small, tmp_path):
    train_ds, _ = sst2_small
    result = train(_config(tiny_bert, tmp_path, epochs=1, validation_fraction=0.5, augment="eda", n_aug=2),
                   train_dataset=train_ds)
    validation = set(result.data.validation["text"])
    rows = result.train_rows
    assert len(validation) == 24 and len(result.data.train) == 24 and len(rows) == 24 * 3
    assert not validation & set(rows["text"])  # no validation text, nor an augmentation equal to one
    # every training row, augmented or not, comes from a training original
    originals = result.data.train["text"]
    assert {originals[i] for i in rows["aug_source"]} <= set(originals) and max(rows["aug_source"]) == 23
    assert result.metrics["validation"]["examples"] == 24
    assert result.metrics["validation"]["per_class"]["0"]["support"] == 12
    assert result.metrics["test"] is None


def test_select_last_needs_no_validation_and_keeps_the_final_weights(tiny_bert, sst2_small, tmp_path):
    train_ds, test_ds = sst2_small
    seen: list[Event] = []
    result = train(_config(tiny_bert, tmp_path, select="last", epochs=2), train_dataset=train_ds, test_dataset=test_ds,
                   callbacks=[seen.append])
    assert result.data.validation is None and result.metrics["validation"] is None
    training = result.metrics["training"]
    assert training["original_examples"] == 48  # nothing held out
    assert training["steps"] == 12 and [h["step"] for h in training["loss_history"]] == [6, 12]
    assert not any(e.kind == "evaluation" for e in seen)
    assert result.metrics["test"]["examples"] == 32


def test_the_best_checkpoint_is_saved_not_the_last(tiny_bert, sst2_small, tmp_path):
    """Validation labels are the training labels flipped: the better the model fits, the worse it
    validates, so the best evaluation is the first and the saved model must be that one."""
    train_ds, _ = sst2_small
    flipped = train_ds.map(lambda row: {"label": 1 - row["label"]})
    result = train(_config(tiny_bert, tmp_path, epochs=4, metric="loss", patience=0, lr=5e-3),
                   train_dataset=train_ds, validation_dataset=flipped)
    history = result.metrics["validation"]["history"]
    losses = [h["loss"] for h in history]
    best = int(np.argmin(losses))
    assert best < len(history) - 1 and losses[-1] > losses[best]  # it did get worse later
    assert result.metrics["validation"]["selected_step"] == history[best]["step"]
    again = load(result.output_dir).evaluate(list(flipped["text"]), list(flipped["label"]))
    assert again["accuracy"] == history[best]["accuracy"]
    assert again["accuracy"] == result.metrics["validation"]["accuracy"]


def test_max_steps_overrides_epochs_and_the_history_counts_examples(tiny_bert, sst2_small, tmp_path):
    train_ds, _ = sst2_small
    result = train(_config(tiny_bert, tmp_path, epochs=1, max_steps=15, eval_steps=5, patience=0,
                                   validation_fraction=0.5),
                   train_dataset=train_ds)
    history = result.metrics["validation"]["history"]
    assert result.metrics["training"]["steps"] == 15
    assert [h["step"] for h in history] == [5, 10, 15]
    assert history[-1]["examples_seen"] == result.metrics["training"]["examples_seen"]
    assert history[1]["epoch"] == pytest.approx(10 / 3, abs=0.01)  # 3 steps per epoch


def test_the_last_step_is_evaluated_once(tiny_bert, sst2_small, tmp_path):
    """eval_steps dividing the last step used to evaluate it twice, the duplicate counting as a
    non-improvement: patience=1 then marked a finished run as stopped early."""
    train_ds, test_ds = sst2_small
    result = train(_config(tiny_bert, tmp_path, epochs=2, eval_steps=6, patience=1, metric="loss"),
                   train_dataset=train_ds, validation_dataset=test_ds)
    steps = [h["step"] for h in result.history]
    assert steps == [6, 12]
    assert result.stopped_early == (result.history[1]["loss"] >= result.history[0]["loss"])


def test_early_stopping(tiny_bert, sst2_small, tmp_path):
    train_ds, test_ds = sst2_small
    # a learning rate too small to change the loss: no evaluation improves on the first
    result = train(_config(tiny_bert, tmp_path, epochs=5, lr=1e-12, eval_steps=2, patience=2, metric="loss"),
                   train_dataset=train_ds, validation_dataset=test_ds)
    assert result.stopped_early
    assert [h["step"] for h in result.history] == [2, 4, 6]
    assert result.metrics["validation"]["selected_step"] == 2


def test_no_full_checkpoint_after_the_last_step(tiny_bert, sst2_small, tmp_path):
    train_ds, _ = sst2_small
    seen: list[Event] = []
    result = train(_config(tiny_bert, tmp_path, epochs=2, checkpoint_steps=100), train_dataset=train_ds,
                   callbacks=[seen.append])
    saves = [e.global_step for e in seen if e.kind == "save"]
    assert saves == [6]  # the end of epoch 1 only; the end of training is not a resumable point
    assert result.metrics["training"]["steps"] == 12
    assert not (Path(result.output_dir) / "checkpoints").exists()


def test_callbacks_see_events_and_can_stop_training(tiny_bert, sst2_small, tmp_path):
    train_ds, _ = sst2_small
    seen: list[Event] = []

    def stop_at_step_4(event: Event) -> bool:
        seen.append(event)
        return event.kind == "step" and event.global_step == 4

    result = train(_config(tiny_bert, tmp_path, epochs=3, eval_steps=2, patience=0, checkpoint_steps=100,
                           validation_fraction=0.5, batch_size=4),
                   train_dataset=train_ds, callbacks=[stop_at_step_4])
    assert result.metrics["training"]["steps"] == 4 and result.metrics["training"]["stopped_by_callback"]
    assert [(e.kind, e.global_step) for e in seen if e.kind != "step"] == [("evaluation", 2), ("evaluation", 4)]
    evaluations = [e for e in seen if e.kind == "evaluation"]
    assert seen[-1].metrics is None and all("accuracy" in e.metrics for e in evaluations)
    assert (Path(result.output_dir) / "model.safetensors").is_file()  # the selected weights still saved


def test_the_objective_is_an_object_and_batches_carry_aug_source(tiny_bert, sst2_small, tmp_path):
    train_ds, _ = sst2_small
    sources: list[int] = []

    class Recording(CrossEntropy):
        def __call__(self, model, batch, ctx):
            sources.extend(batch["aug_source"].tolist())
            return super().__call__(model, batch, ctx)

    result = train(_config(tiny_bert, tmp_path, epochs=1, select="last", augment="swap", n_aug=2),
                   train_dataset=train_ds, objective=Recording())
    assert sorted(sources) == sorted(result.train_rows["aug_source"])  # each row once per epoch
    assert sorted(set(sources)) == list(range(48)) and len(sources) == 144
    saved = json.loads((Path(result.output_dir) / "training_config.json").read_text())
    assert saved["objective"] == {"objective": "cross-entropy", "label_smoothing": 0.0}


def test_a_killed_run_resumed_ends_like_an_uninterrupted_one(tiny_bert, sst2_small, tmp_path):
    train_ds, test_ds = sst2_small
    kw = {"epochs": 3, "augment": "eda", "n_aug": 1, "metric": "loss"}
    whole = train(_config(tiny_bert, tmp_path / "a", **kw), train_dataset=train_ds, validation_dataset=test_ds)

    seen: list[Event] = []

    def kill_mid_epoch_two(event: Event) -> None:
        seen.append(event)
        if event.kind == "step" and event.global_step == 17:  # 12 steps per epoch, two after a checkpoint
            raise _Killed

    with pytest.raises(_Killed):
        train(_config(tiny_bert, tmp_path / "b", **kw), train_dataset=train_ds, validation_dataset=test_ds,
              callbacks=[kill_mid_epoch_two])
    assert (tmp_path / "b" / "model" / "checkpoints" / "last").is_dir()
    assert seen[-1].epoch == 1 and any(e.kind == "save" for e in seen)
    resumed = train(_config(tiny_bert, tmp_path / "b", resume=True, **kw), train_dataset=train_ds,
                    validation_dataset=test_ds)
    assert resumed.history == whole.history  # every evaluation, to the last digit
    assert len({h["loss"] for h in whole.history}) == 3  # training moved the model
    a, b = _weights(whole.output_dir), _weights(resumed.output_dir)
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_resume_refuses_a_checkpoint_from_other_options(tiny_bert, sst2_small, tmp_path):
    train_ds, test_ds = sst2_small

    def stop(event: Event) -> None:
        if event.global_step == 4:
            raise _Killed

    with pytest.raises(_Killed):
        train(_config(tiny_bert, tmp_path), train_dataset=train_ds, callbacks=[stop])
    with pytest.raises(ValueError, match=r"different options \['lr'\]"):
        train(_config(tiny_bert, tmp_path, lr=1e-4, resume=True), train_dataset=train_ds)
    # another test set does not change what is trained: that checkpoint resumes
    resumed = train(_config(tiny_bert, tmp_path, resume=True), train_dataset=train_ds, test_dataset=test_ds)
    assert resumed.fit.resumed_from_step == 3


def test_save_load_predict_are_identical(tiny_bert, sst2_small, tmp_path):
    train_ds, test_ds = sst2_small
    result = train(_config(tiny_bert, tmp_path, epochs=1), train_dataset=train_ds, test_dataset=test_ds)
    texts = list(test_ds["text"]) + ["", "a", "word " * 200]
    in_memory = result.classifier.logits(texts)
    loaded = load(result.output_dir)
    np.testing.assert_array_equal(in_memory, loaded.logits(texts))
    assert result.classifier.predict(texts) == loaded.predict(texts)
    assert loaded.labels == ["0", "1"]  # a ClassLabel's names
    # the test metrics the trainer wrote are the loaded model's metrics on the same data
    again = loaded.evaluate(list(test_ds["text"]), list(test_ds["label"]))
    assert again["accuracy"] == result.metrics["test"]["accuracy"]


def test_integer_labels_are_predicted_as_integers(tiny_bert, tmp_path):
    from datasets import Dataset

    rows = Dataset.from_dict({"text": ["good fun", "awful mess", "great film", "boring plot"] * 6,
                              "label": [1, 0, 1, 0] * 6})
    result = train(_config(tiny_bert, tmp_path, epochs=1, select="last"), train_dataset=rows)
    loaded = load(result.output_dir)
    predicted = loaded.predict(["good fun", "awful mess"])
    assert loaded.labels == [0, 1] and all(type(p) is int for p in predicted)
    assert result.classifier.predict(["good fun"]) == predicted[:1]
    assert loaded.predict_proba(["good fun"]).shape == (1, 2)


def test_augmentation_touches_the_training_rows_only(tiny_bert, sst2_small, tmp_path):
    train_ds, test_ds = sst2_small
    result = train(_config(tiny_bert, tmp_path, epochs=1, augment="eda", n_aug=3, alpha=0.1,
                                   validation_fraction=0.5),
                   train_dataset=train_ds, test_dataset=test_ds)
    training = result.metrics["training"]
    assert training["original_examples"] == 24 and training["examples"] == 4 * 24
    assert result.metrics["test"]["examples"] == len(test_ds) and result.metrics["validation"]["examples"] == 24
    saved = json.loads((Path(result.output_dir) / "training_config.json").read_text())
    assert saved["augmentation"]["recipe"] == "eda" and saved["augmentation"]["n_aug"] == 3
    assert saved["augmentation"]["keep_original"] is True
    assert saved["config"]["augment"] == "eda" and saved["labels"] == ["0", "1"]


def test_string_labels_and_a_datasetdict_bring_their_splits(tiny_bert, tmp_path):
    from datasets import Dataset, DatasetDict

    rows = {"text": ["good fun", "awful mess", "great film", "boring plot"] * 4,
            "label": ["pos", "neg", "pos", "neg"] * 4}
    dd = DatasetDict({"train": Dataset.from_dict(rows), "validation": Dataset.from_dict(rows),
                      "test": Dataset.from_dict(rows)})
    result = train(_config(tiny_bert, tmp_path, epochs=1), train_dataset=dd)
    assert result.classifier.labels == ["neg", "pos"]
    assert result.metrics["test"]["examples"] == 16 and result.metrics["validation"]["examples"] == 16
    assert result.metrics["training"]["original_examples"] == 16  # nothing carved: validation was given


def test_eval_is_a_deprecated_alias_of_test(tiny_bert, sst2_small, tmp_path):
    train_ds, test_ds = sst2_small
    with pytest.warns(FutureWarning, match="alias of test"):
        result = train(_config(tiny_bert, tmp_path, epochs=1, validation_fraction=0.5), train_dataset=train_ds,
                       eval_dataset=test_ds)
    assert result.metrics["test"]["examples"] == 32 and result.metrics["validation"]["examples"] == 24
    with pytest.warns(FutureWarning):
        assert TrainConfig(eval="x.csv").test == "x.csv"


BAD = {
    "no label column": ({"text": ["a b", "c d"]}, None, "has no column 'label'"),
    "empty": ({"text": [], "label": []}, None, "training data is empty"),
    "single class": ({"text": ["a b", "c d"], "label": [1, 1]}, None, "single class"),
    "None text": ({"text": ["a b", None, "e f"], "label": [0, 1, 0]}, None, "missing \\(None\\) or empty"),
    "empty text": ({"text": ["a b", "  ", "e f"], "label": [0, 1, 0]}, None, "1 row\\(s\\) \\(first: 1\\)"),
    "missing label": ({"text": ["a b", "c d", "e f"], "label": ["x", None, "y"]}, None, "have no label"),
    "test label not in set": ({"text": ["a b", "c d"], "label": ["x", "y"]},
                              {"text": ["a b"], "label": ["z"]}, "labels \\['z'\\] that are not in the training label set"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_data_fails_before_training(case, tiny_bert, tmp_path):
    from datasets import Dataset

    train_rows, test_rows, message = BAD[case]
    train_ds = Dataset.from_dict(train_rows)
    test_ds = Dataset.from_dict(test_rows) if test_rows else Dataset.from_dict({"text": ["a b"], "label": [0]})
    with pytest.raises(ValueError, match=message):
        train(_config(tiny_bert, tmp_path, select="last"), train_dataset=train_ds, test_dataset=test_ds)
    assert not (tmp_path / "model").exists()


def test_bad_options_and_folders_fail_before_training(tiny_bert, tmp_path, sst2_small):
    with pytest.raises(ValueError, match="max_length must be at least 8"):
        TrainConfig(max_length=7)
    with pytest.raises(ValueError, match="unknown strategy"):
        TrainConfig(strategy="freeze-all")
    with pytest.raises(ValueError, match="unknown select"):
        TrainConfig(select="first")
    with pytest.raises(ValueError, match="unknown augmentation recipe"):
        TrainConfig(augment="magic")
    with pytest.raises(ValueError, match="with select=last the whole budget is trained"):
        TrainConfig(select="last", patience=2)
    with pytest.raises(ValueError, match="max_steps must be at least 1"):
        TrainConfig(max_steps=0)
    (tmp_path / "notamodel").mkdir()
    for source, message in ((tmp_path / "notamodel", "not a model folder: it has no config.json"),
                            (tmp_path / "missing", "no such model folder")):
        with pytest.raises(ValueError, match=message):
            train(_config(str(source), tmp_path), train_dataset=sst2_small[0])
    assert not (tmp_path / "model").exists()
    with pytest.raises(ValueError, match="not a model folder"):
        load(tmp_path / "notamodel")
    (tmp_path / "a-file").write_text("x")
    for out in (tmp_path / "a-file", tmp_path / "a-file" / "below"):
        with pytest.raises(ValueError, match="choose another --output-dir"):
            train(_config(tiny_bert, tmp_path, output_dir=str(out)), train_dataset=sst2_small[0])


def test_builtin_corpus_with_a_training_sample(tiny_bert, tmp_path):
    result = train(_config(tiny_bert, tmp_path, train="builtin:rotten_tomatoes", train_samples=40, epochs=1,
                           augment="eda", n_aug=1, validation_fraction=0.5))
    training = result.metrics["training"]
    assert training["original_examples"] == 20 and training["examples"] == 40  # 20 held out for validation
    assert result.metrics["test"]["examples"] == 2562  # the built-in test split, never augmented
    assert result.classifier.labels == ["rotten", "fresh"]
    assert "rotten_tomatoes (built-in corpus, test split)" == result.metrics["test"]["data"]


def test_the_folder_has_training_curves_linked_from_the_card(tiny_bert, sst2_small, tmp_path):
    from PIL import Image

    result = train(_config(tiny_bert, tmp_path, epochs=3), train_dataset=sst2_small[0])
    out = Path(result.output_dir)
    with Image.open(out / "training_curves.png") as image:
        assert image.size == (700, 400)
    assert "![training curves](training_curves.png)" in (out / "README.md").read_text()
    # a single evaluation draws no curve, and the card links none
    one = train(_config(tiny_bert, tmp_path / "one", epochs=1), train_dataset=sst2_small[0])
    assert not (Path(one.output_dir) / "training_curves.png").exists()
    assert "training_curves.png" not in (Path(one.output_dir) / "README.md").read_text()


def test_a_quiet_run_kept_in_memory_writes_and_prints_nothing_and_matches_the_saved_run(tiny_bert, sst2_small,
                                                                                          tmp_path, capfd):
    train_ds, test_ds = sst2_small
    saved = train(_config(tiny_bert, tmp_path / "saved", validation_fraction=0.5), train_dataset=train_ds,
                  test_dataset=test_ds)
    capfd.readouterr()
    memory_dir = tmp_path / "memory"
    kept = train(_config(tiny_bert, memory_dir, validation_fraction=0.5), train_dataset=train_ds, test_dataset=test_ds,
                 quiet=True, save=False)
    out, err = capfd.readouterr()
    assert out == "" and "epoch" not in err  # no tables, no progress bars
    assert kept.output_dir is None and not memory_dir.exists()  # no folder, no checkpoints
    # the best weights held in memory are the ones the saved run restored from disk
    assert kept.record.validation.selected_step == saved.record.validation.selected_step
    assert kept.record.test.accuracy == saved.record.test.accuracy and kept.record.test.loss == saved.record.test.loss
    assert kept.record.to_dict()["test"] == json.loads((Path(saved.output_dir) / "metrics.json").read_text())["test"]
    texts = list(test_ds["text"][:4])
    assert kept.classifier.predict(texts) == load(saved.output_dir).predict(texts)
    with pytest.raises(ValueError, match="cannot resume"):
        train(_config(tiny_bert, memory_dir, resume=True), train_dataset=train_ds, save=False)


def test_train_takes_a_spec_with_a_filter(tiny_bert, sst2_small, tmp_path):
    """``--augment "swap:n_aug=2 @ similarity:..."``: the filtered copies are what trains, and the
    folder records the spec and the filter."""
    train_ds, test_ds = sst2_small
    spec = "swap:n_aug=2 @ similarity:min=-1,max=1,fill=best"
    result = train(_config(tiny_bert, tmp_path, epochs=1, augment=spec, validation_fraction=0.5),
                   train_dataset=train_ds, test_dataset=test_ds)
    assert result.metrics["training"]["original_examples"] == 24 and result.metrics["training"]["examples"] == 3 * 24
    saved = json.loads((Path(result.output_dir) / "training_config.json").read_text())
    assert saved["config"]["augment"] == spec and saved["augmentation"]["recipe"] == spec
    assert saved["augmentation"]["tags"] == ["random-swap"]  # the tags of the augmenter inside the filter
