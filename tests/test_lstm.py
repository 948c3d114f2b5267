"""The BiLSTM on static vectors: vocabulary, vectors files, freezing, save/load without pickle."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from textaug.config import TrainConfig
from textaug.models.vectors import PAD, UNK, WordVocab, build_vocab, load_vectors, tokenize_words
from textaug.predict import load
from textaug.trainer import train


def test_tokenizer_follows_glove_conventions():
    assert tokenize_words("Don't miss the film's END!") == ["do", "n't", "miss", "the", "film", "'s", "end", "!"]


def test_vocab_is_training_words_with_vectors_plus_a_frequency_budget(tmp_path):
    path = tmp_path / "vec.txt"
    # word2vec text format: a "count dim" header, then rows in frequency order
    path.write_text("5 3\nthe 1 0 0\n, 0 1 0\nfilm 0 0 1\nrare 1 1 1\nzebra 2 2 2\n", encoding="utf-8")
    vocab, matrix = build_vocab(["the Zebra film", "unknownword"], str(path), budget=2)
    assert vocab.tokens == (PAD, UNK, "the", ",", "film", "zebra")
    assert matrix.shape == (6, 3)
    np.testing.assert_array_equal(matrix[0], 0)  # padding
    np.testing.assert_array_equal(matrix[5], [2, 2, 2])
    assert vocab.encode("Zebra unknownword", 8) == [5, 1]
    assert vocab.encode("", 8) == [1]  # never an empty row
    assert vocab.encode("the the the", 2) == [2, 2]


def test_default_vectors_are_glove_50d():
    words, matrix = load_vectors(None, ["cinematography"], budget=100)
    assert matrix.shape[1] == 50 and matrix.dtype == np.float32
    assert words[:3] == ["the", ",", "."] and "cinematography" in words and len(words) == 101


def test_bad_vectors_file(tmp_path):
    with pytest.raises(ValueError, match="no such vectors file"):
        load_vectors(tmp_path / "nope.txt", [], 10)
    bad = tmp_path / "bad.txt"
    bad.write_text("the 1 2 3\nfilm 1 2\n", encoding="utf-8")
    with pytest.raises(ValueError, match="2 values where earlier rows have 3"):
        load_vectors(bad, [], 10)


@pytest.mark.parametrize("strategy", ["finetune", "feature-extraction"])
def test_lstm_glove_trains_saves_and_reloads(sst2_small, tmp_path, strategy):
    train_ds, eval_ds = sst2_small
    config = TrainConfig(model="lstm-glove", output_dir=str(tmp_path / "lstm"), epochs=2, batch_size=8,
                         vocab_budget=1000, strategy=strategy, augment="synonym", n_aug=1)
    result = train(config, train_dataset=train_ds, eval_dataset=eval_ds)
    out = Path(result.output_dir)
    assert {"config.json", "model.safetensors", "vocab.json", "README.md", "metrics.json"} <= {p.name for p in out.iterdir()}
    assert not any(p.suffix in (".bin", ".pkl", ".pt") for p in out.rglob("*"))
    config_json = json.loads((out / "config.json").read_text())
    assert config_json["model_type"] == "textaug-bilstm" and config_json["embedding_dim"] == 50
    vocab = WordVocab.load(out)
    assert config_json["vocab_size"] == len(vocab) and "the" in vocab.tokens
    loaded = load(out)
    texts = list(eval_ds["text"]) + ["", "qwertyuiop"]
    np.testing.assert_array_equal(result.classifier.logits(texts), loaded.logits(texts))
    # frozen vectors stay GloVe's; fine-tuned ones move
    words, matrix = load_vectors(None, vocab.tokens, 0)
    glove = dict(zip(words, matrix))
    emb = loaded.model.embedding.weight.detach().numpy()
    row = vocab.tokens.index("the")
    assert np.array_equal(emb[row], glove["the"]) == (strategy == "feature-extraction")
    assert torch.count_nonzero(loaded.model.embedding.weight[0]) == 0  # padding row stays zero
