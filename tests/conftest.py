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
