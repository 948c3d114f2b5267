"""The BiLSTM on static vectors: vocabulary, vectors files, freezing, save/load without pickle."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from textaug.config import TrainConfig
from textaug.vectors import PAD, UNK, WordVocab, build_vocab, load_vectors, tokenize_words
from textaug.predict import load
from textaug.training.pipeline import train


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
    with pytest.raises(ValueError, match="no such vectors file .* and not one of \\['glove-6b-50d', 'spacy-md'\\]"):
        load_vectors(tmp_path / "nope.txt", [], 10)
    bad = tmp_path / "bad.txt"
    bad.write_text("the 1 2 3\nfilm 1 2\n", encoding="utf-8")
    with pytest.raises(ValueError, match="2 values where earlier rows have 3"):
        load_vectors(bad, [], 10)


@pytest.mark.parametrize("strategy", ["finetune", "feature-extraction", "gradual"])
@pytest.mark.parametrize(("model", "model_type"), [("lstm-glove", "textaug-bilstm"), ("cnn-glove", "textaug-cnn")])
def test_static_vector_models_train_save_and_reload(sst2_small, tmp_path, strategy, model, model_type):
    train_ds, test_ds = sst2_small
    config = TrainConfig(model=model, output_dir=str(tmp_path / "m"), epochs=2, batch_size=8, select="last",
                         vocab_budget=1000, strategy=strategy, unfreeze_per_epoch=1, augment="synonym", n_aug=1)
    result = train(config, train_dataset=train_ds, test_dataset=test_ds)
    out = Path(result.output_dir)
    assert {"config.json", "model.safetensors", "vocab.json", "README.md", "metrics.json"} <= {p.name for p in out.iterdir()}
    assert not any(p.suffix in (".bin", ".pkl", ".pt") for p in out.rglob("*"))
    config_json = json.loads((out / "config.json").read_text())
    assert config_json["model_type"] == model_type and config_json["embedding_dim"] == 50
    vocab = WordVocab.load(out)
    assert config_json["vocab_size"] == len(vocab) and "the" in vocab.tokens
    loaded = load(out)  # config.json's model_type picks the kind
    assert type(loaded.model) is type(result.classifier.model)
    texts = list(test_ds["text"]) + ["", "qwertyuiop", "a"]  # "a": shorter than the CNN's filter
    np.testing.assert_array_equal(result.classifier.logits(texts), loaded.logits(texts))
    assert loaded.predict(texts) == result.classifier.predict(texts)
    # frozen vectors stay GloVe's; fine-tuned ones move (gradual opens them in the second epoch)
    words, matrix = load_vectors(None, vocab.tokens, 0)
    glove = dict(zip(words, matrix))
    emb = loaded.model.embedding.weight.detach().numpy()
    row = vocab.tokens.index("the")
    assert np.array_equal(emb[row], glove["the"]) == (strategy == "feature-extraction")
    assert torch.count_nonzero(loaded.model.embedding.weight[0]) == 0  # padding row stays zero
    card = (out / "README.md").read_text()
    assert "library_name: textaug" in card and "GloVe 6B 50-d" in card


def test_cnn_follows_the_eda_paper_shape():
    from textaug.models.cnn import CNNClassifier

    model = CNNClassifier(vocab_size=10, embedding_dim=300, num_labels=3)
    assert model.conv.out_channels == 128 and model.conv.kernel_size == (5,)
    out = model(torch.tensor([[2, 3, 0, 0, 0, 0], [2, 3, 4, 5, 6, 7]]), torch.tensor([[1, 1, 0, 0, 0, 0], [1] * 6]))
    assert out.logits.shape == (2, 3)


def test_spacy_md_vectors_are_read_without_spacy():
    from textaug.vectors import _spacy_md_rows, murmurhash64a

    # spaCy's StringStore keys are MurmurHash64A (seed 1) of the UTF-8 bytes: a wrong hash would
    # find (almost) none of key2row's 684,830 keys
    assert murmurhash64a(b"the") != murmurhash64a(b"The")
    rows = _spacy_md_rows()
    assert len(rows) > 600_000 and rows["the"] == rows["The"]
    words, matrix = load_vectors("spacy-md", ["terrible", "horrible", "film", "qwertyuiopasdf"], budget=50)
    assert matrix.shape[1] == 300 and matrix.dtype == np.float32
    vec = dict(zip(words, matrix))
    assert "qwertyuiopasdf" not in vec and "the" in vec and len(words) == len(set(words))
    cos = lambda a, b: float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))  # noqa: E731
    assert cos(vec["terrible"], vec["horrible"]) > cos(vec["terrible"], vec["film"])


def test_cnn_on_spacy_vectors_from_the_command_line(sst2_files, tmp_path, capsys):
    from textaug.cli import main

    out = tmp_path / "cnn"
    assert main(["train", "--train", sst2_files[0], "--test", sst2_files[1], "--no-header", "--model", "cnn-glove",
                 "--vectors", "spacy-md", "--vocab-budget", "200", "--epochs", "2", "--output-dir", str(out)]) == 0
    assert json.loads((out / "config.json").read_text())["embedding_dim"] == 300
    assert "spaCy en_core_web_md 300-d" in (out / "README.md").read_text()
