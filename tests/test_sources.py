"""textaug.sources: is a string a local path or a hub id, and is a path a model folder?"""

from __future__ import annotations

import pytest

from textaug.sources import check_model_source, looks_like_hub_id, looks_like_path, require_model_folder


@pytest.mark.parametrize("source", ["./model", "/abs/model", "~/model", "a/b/c", "../x"])
def test_only_a_path_can_look_like_this(source):
    assert looks_like_path(source) and not looks_like_hub_id(source)


@pytest.mark.parametrize("source", ["bert-base-uncased", "sentence-transformers/all-MiniLM-L6-v2", "you/sst2-eda"])
def test_hub_ids_are_name_or_owner_slash_name(source, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # nothing of that name exists here
    assert looks_like_hub_id(source) and not looks_like_path(source)


def test_an_existing_folder_or_a_local_first_part_makes_it_a_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "models").mkdir()
    # "models/sst2-edaa" has a hub id's shape, but "models" is a local folder: a mistyped path
    assert looks_like_path("models/sst2-edaa") and not looks_like_hub_id("models/sst2-edaa")
    (tmp_path / "bert-base-uncased").mkdir()
    assert looks_like_path("bert-base-uncased")
    assert not looks_like_hub_id(123) and not looks_like_hub_id("has space/x")


def test_a_model_folder_is_checked_before_any_work(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="no such model folder"):
        require_model_folder(tmp_path / "missing")
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(ValueError, match="is a file, not a model folder"):
        require_model_folder(tmp_path / "file.txt")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="has no config.json"):
        check_model_source(str(tmp_path / "empty"))
    (tmp_path / "empty" / "config.json").write_text("{}")
    assert require_model_folder(tmp_path / "empty") == tmp_path / "empty"
    check_model_source("you/not-here-but-a-hub-id")  # the ordinary online path: left to from_pretrained
    check_model_source(None)
