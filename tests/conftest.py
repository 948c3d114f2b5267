"""Test isolation: every cache under a temporary folder, the hub offline, progress bars off."""

from __future__ import annotations

import os

import pytest

_FIXED_ENV = {
    "HF_HUB_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "HF_DATASETS_DISABLE_PROGRESS_BARS": "1",
    "TOKENIZERS_PARALLELISM": "false",
}


@pytest.fixture(scope="session", autouse=True)
def _session_caches(tmp_path_factory):
    """One cache per session: the WordNet lexicon is built once (seconds), then shared."""
    root = tmp_path_factory.mktemp("caches")
    env = {
        **_FIXED_ENV,
        "TEXTAUG_CACHE": str(root / "textaug"),
        "HF_HOME": str(root / "hf"),
        "HF_DATASETS_CACHE": str(root / "hf" / "datasets"),
        "XDG_CACHE_HOME": str(root / "xdg"),
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    import datasets

    datasets.disable_progress_bars()
    yield root
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(autouse=True)
def _no_writes_to_cwd(tmp_path, monkeypatch):
    """Tests run inside their own tmp_path: nothing lands in the working tree."""
    monkeypatch.chdir(tmp_path)


SHARED_DATA = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "eda")


@pytest.fixture(scope="session")
def sst2_train_path():
    path = os.path.abspath(os.path.join(SHARED_DATA, "sst2", "train.tsv"))
    if not os.path.isfile(path):
        pytest.skip("../shared/data/eda is not beside the checkout")
    return path


def _eda_file(task: str, split: str) -> str:
    path = os.path.abspath(os.path.join(SHARED_DATA, task, f"{split}.tsv"))
    if not os.path.isfile(path):
        pytest.skip("../shared/data/eda is not beside the checkout")
    return path


@pytest.fixture(scope="session")
def sst2_small(_session_caches):
    """(train, eval): 48 and 32 SST-2 rows, stratified and seeded (the files are label-sorted)."""
    from textaug.data import read_labelled_tsv, stratified_sample

    train = stratified_sample(read_labelled_tsv(_eda_file("sst2", "train")), 48, seed=0)
    test = stratified_sample(read_labelled_tsv(_eda_file("sst2", "test")), 32, seed=0)
    return train, test


@pytest.fixture(scope="session")
def sst2_files(sst2_small, tmp_path_factory):
    """The same rows as headerless label<TAB>text files, for the command line."""
    folder = tmp_path_factory.mktemp("sst2")
    paths = []
    for name, ds in zip(("train", "eval"), sst2_small):
        path = folder / f"{name}.tsv"
        path.write_text("".join(f"{r['label']}\t{r['text']}\n" for r in ds), encoding="utf-8")
        paths.append(str(path))
    return tuple(paths)


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory):
    """A 2-layer, 32-wide BERT built from a config (random weights) with the MiniLM tokenizer,
    saved as a local checkpoint: the mechanics of the trainer in seconds."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    from textaug.resources import minilm_path

    folder = tmp_path_factory.mktemp("tiny-bert")
    tokenizer = AutoTokenizer.from_pretrained(str(minilm_path()))
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=128)
    torch.manual_seed(0)
    BertForSequenceClassification(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    (folder / "README.md").write_text("---\nlicense: mit\n---\n# tiny\n", encoding="utf-8")
    return str(folder)
