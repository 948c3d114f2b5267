"""Damaged model folders are one line naming the folder and the file (exit 2), never a traceback
or a model with randomly initialised layers; an interrupted save leaves the old folder whole."""

from __future__ import annotations

import shutil

import pytest
from datasets import Dataset

from helpers import tiny_config
from textaug.cli import main
from textaug.training.folder import WEIGHTS_FILE
from textaug.training.pipeline import train

_ROWS = Dataset.from_dict({"text": ["a fine film", "a dull film", "great fun", "a mess", "lovely", "awful"] * 3,
                           "label": [1, 0, 1, 0, 1, 0] * 3})


@pytest.fixture(scope="module")
def folders(tiny_bert, tmp_path_factory):
    """A trained tiny BERT folder and a trained BiLSTM folder (2 steps each)."""
    root = tmp_path_factory.mktemp("folders")
    made = {}
    for name, model in (("bert", tiny_bert), ("lstm", "lstm-glove")):
        config = tiny_config(model, root / name, max_steps=2, select="last", vocab_budget=50 if name == "lstm" else 20000)
        train(config, train_dataset=_ROWS, quiet=True)
        made[name] = root / name / "model"
    return made


def _damaged(folders, kind, tmp_path, damage):
    folder = tmp_path / "model"
    shutil.copytree(folders[kind], folder)
    damage(folder)
    return folder


def _edit_weights(folder, edit):
    from safetensors.torch import load_file, save_file

    tensors = load_file(str(folder / WEIGHTS_FILE))
    edit(tensors)
    save_file(tensors, str(folder / WEIGHTS_FILE), metadata={"format": "pt"})


def _truncate(folder):
    data = (folder / WEIGHTS_FILE).read_bytes()
    (folder / WEIGHTS_FILE).write_bytes(data[: len(data) // 2])


def _random(folder):
    import numpy as np

    (folder / WEIGHTS_FILE).write_bytes(np.random.default_rng(0).bytes(4096))


def _reshape_classifier(tensors):
    tensors["classifier.weight"] = tensors["classifier.weight"][:, :-1].contiguous()


def _drop_classifier(tensors):
    del tensors["classifier.weight"]


DAMAGE = {
    "truncated": (_truncate, "truncated or not a safetensors file"),
    "empty": (lambda f: (f / WEIGHTS_FILE).write_bytes(b""), "truncated or not a safetensors file"),
    "random": (_random, "truncated or not a safetensors file"),
    "missing weights": (lambda f: (f / WEIGHTS_FILE).unlink(), "no weights file (model.safetensors)"),
    "mis-shaped": (lambda f: _edit_weights(f, _reshape_classifier), "classifier.weight"),
    "a weight missing": (lambda f: _edit_weights(f, _drop_classifier), "classifier.weight"),
    "no config": (lambda f: (f / "config.json").unlink(), "it has no config.json"),
    "broken config": (lambda f: (f / "config.json").write_text("{not json", encoding="utf-8"),
                      "config.json: not valid JSON"),
    "broken training record": (lambda f: (f / "training_config.json").write_text("[", encoding="utf-8"),
                               "training_config.json: not valid JSON"),
}


@pytest.mark.parametrize("kind", ["bert", "lstm"])
@pytest.mark.parametrize("case", sorted(DAMAGE))
def test_a_damaged_folder_is_one_line_naming_it(folders, tmp_path, capsys, kind, case):
    damage, message = DAMAGE[case]
    folder = _damaged(folders, kind, tmp_path, damage)
    texts = tmp_path / "texts.txt"
    texts.write_text("a fine film\n", encoding="utf-8")
    assert main(["predict", str(folder), "--input", str(texts)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert str(folder) in err and message in err, err


def test_a_bilstm_folder_without_its_vocabulary(folders, tmp_path, capsys):
    folder = _damaged(folders, "lstm", tmp_path, lambda f: (f / "vocab.json").unlink())
    assert main(["evaluate", str(folder), "--data", str(tmp_path / "x.csv")]) == 2  # the data is read first
    (tmp_path / "x.csv").write_text("text,label\na fine film,1\n", encoding="utf-8")
    assert main(["evaluate", str(folder), "--data", str(tmp_path / "x.csv")]) == 2
    assert "no vocab.json" in capsys.readouterr().err.strip().splitlines()[-1]


def test_a_transformer_folder_without_its_tokenizer(folders, tmp_path, capsys):
    def strip(folder):
        for name in ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json"):
            (folder / name).unlink(missing_ok=True)

    folder = _damaged(folders, "bert", tmp_path, strip)
    (tmp_path / "t.txt").write_text("a fine film\n", encoding="utf-8")
    assert main(["predict", str(folder), "--input", str(tmp_path / "t.txt")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(folder) in err


def test_the_undamaged_folders_load(folders, tmp_path, capsys):
    (tmp_path / "t.txt").write_text("a fine film\n", encoding="utf-8")
    for folder in folders.values():
        assert main(["predict", str(folder), "--input", str(tmp_path / "t.txt")]) == 0
