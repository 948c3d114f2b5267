"""Locations on the local disk and in object storage (moto's S3 server on loopback): what a
source names, messages without secrets, and the checks made before any work."""

from __future__ import annotations

import pytest

from textaug.storage import check_output, list_inputs, locate, shown

FORMATS = {".parquet": "parquet", ".jsonl": "json"}


def _put(filesystem, path: str, data: bytes = b"x") -> None:
    with filesystem.open_output_stream(path) as out:
        out.write(data)


def test_a_uri_is_shown_without_its_keys_and_options():
    assert shown("s3://KEY:SECRET@bucket/a/b?endpoint_override=h:1&scheme=http") == "s3://bucket/a/b"
    assert shown("/data/in") == "/data/in"
    assert locate("file:///tmp/x").local and locate("~/x").path.endswith("/x")
    with pytest.raises(ValueError, match=r"^nosuch://b/k: cannot open its file system") as err:
        locate("nosuch://KEY:SECRET@b/k?x=1")
    assert "SECRET" not in str(err.value)


def test_object_storage_listing_globs_folders_and_checks(s3):
    filesystem, uri, name = s3()
    for key in ("in/a.parquet", "in/b.parquet", "in/deep/c.parquet", "in/.hidden/d.parquet", "in/notes.txt",
                "mixed/a.parquet", "mixed/b.jsonl"):
        _put(filesystem, f"{name}/{key}")
    where, files, kind = list_inputs(uri("in"), FORMATS)  # a folder: its files of known formats, recursively
    assert kind == "parquet" and not where.local
    assert files == [f"{name}/in/{k}" for k in ("a.parquet", "b.parquet", "deep/c.parquet")]
    assert where.uri(files[0]) == f"s3://{name}/in/a.parquet"
    assert list_inputs(uri("in/*.parquet"), FORMATS)[1] == files[:2]  # * stays in one folder level
    assert list_inputs(uri("in/**.parquet"), FORMATS)[1] == files  # ** crosses them; hidden names left out
    with pytest.raises(ValueError, match="mixes formats"):
        list_inputs(uri("mixed"), FORMATS)
    with pytest.raises(ValueError, match=r"in/notes.txt: the ray engine reads \.parquet, \.jsonl files"):
        list_inputs(uri("in/notes.txt"), FORMATS)
    with pytest.raises(ValueError, match=f"s3://{name}/nothing/\\*.parquet: no file matches"):
        list_inputs(uri("nothing/*.parquet"), FORMATS)
    # an output folder: nothing there or an empty prefix is fine; a file, a finished or an
    # unfinished run are refused (the last two unless overwrite)
    check_output(locate(uri("new")), False, "manifest.json")
    with pytest.raises(ValueError, match="is a file"):
        check_output(locate(uri("in/a.parquet")), True, "manifest.json")
    with pytest.raises(ValueError, match="holds files but no manifest.json"):
        check_output(locate(uri("in")), False, "manifest.json")
    _put(filesystem, f"{name}/in/manifest.json", b"{}")
    with pytest.raises(ValueError, match=f"^s3://{name}/in exists; give --overwrite"):
        check_output(locate(uri("in")), False, "manifest.json")
    check_output(locate(uri("in")), True, "manifest.json")
