"""Files round-trip, malformed files name their line, outputs are written atomically."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from datasets import Dataset
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from textaug.atomic import atomic_folder, atomic_path
from textaug.cli import main
from textaug.data import load_table, save_table
from textaug.table_io import DataConversionWarning

FORMATS = ["csv", "tsv", "jsonl", "json", "parquet", "csv.gz", "tsv.bz2"]

# Texts of any kind: tabs, line breaks (\n, \r\n, \r), quotes, non-ASCII, emoji, empty strings,
# texts that look like numbers or booleans, and missing values. Surrogates cannot be UTF-8.
_texts = st.one_of(
    st.none(),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=20),
    st.sampled_from(["", '"', '""', "a\tb", "x\r\ny", "\r", "42", "-7", "1.5", "nan", "true", " lead", 'say "hi"']),
)
_labels = st.one_of(st.integers(-(2**63), 2**63 - 1), st.text(st.characters(exclude_categories=("Cs",)), max_size=8))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(_texts, _labels), min_size=1, max_size=8), as_text=st.booleans(),
       ext=st.sampled_from(FORMATS))
@example(rows=[("a\u2028b", 1)], as_text=False, ext="jsonl")  # once lost to str.splitlines()
def test_writing_then_reading_is_the_identity(tmp_path, rows, as_text, ext):
    texts = [t for t, _ in rows]
    # a column holds one type: every label an int, or every label a string
    labels = [str(label) if as_text else (label if isinstance(label, int) else len(label)) for _, label in rows]
    ds = Dataset.from_dict({"text": texts, "label": labels})
    path = tmp_path / f"table.{ext}"
    save_table(ds, path)
    back = load_table(path)
    assert back.column_names == ds.column_names
    assert back.to_dict() == ds.to_dict()


def test_floats_booleans_and_missing_values_round_trip(tmp_path):
    ds = Dataset.from_dict({"score": [0.1, 1e-05, None, float("inf")], "flag": [True, False, None, True],
                            "n": [1, None, -3, 2**40]})
    for ext in ("csv", "tsv", "jsonl"):
        save_table(ds, tmp_path / f"t.{ext}")
        assert load_table(tmp_path / f"t.{ext}").to_dict() == ds.to_dict(), ext


def test_a_raw_tab_inside_a_text_is_an_error_naming_the_line(tmp_path):
    path = tmp_path / "in.tsv"
    path.write_text("label\ttext\n1\tfine\n0\thalf\tthe other half\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"in.tsv, line 3: 3 tab-separated fields where the header has 2 "
                                         r"\(a tab inside a text must be quoted"):
        load_table(path)


@pytest.mark.parametrize("content, message", [
    ("label,text\n1,good\n2\n", "line 3: 1 comma-separated fields where the header has 2"),
    ('label,text\n1,"never closed\n2,x\n', "line 2: a quote opens a field that is never closed"),
    ('label,text\n1,"quoted" then more\n', "line 2: text after the closing quote"),
    ("label,label\n1,2\n", "line 1: the header names \\['label'\\] more than once"),
    ("", "the file is empty"),
])
def test_malformed_csv_is_one_line_naming_the_line(tmp_path, content, message):
    path = tmp_path / "in.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_table(path)


def test_foreign_conventions_are_read(tmp_path):
    # a byte-order mark, CRLF line ends, a quote inside an unquoted cell, a blank line, quoted
    # numbers (text), unquoted integers (numbers), an empty cell (missing)
    path = tmp_path / "excel.csv"
    path.write_bytes('\ufefflabel,text,id\r\n1,he said "no",7\r\n\r\n0,"a, b","8"\r\n1,,9\r\n'.encode("utf-8"))
    assert load_table(path).to_dict() == {"label": [1, 0, 1], "text": ['he said "no"', "a, b", None],
                                          "id": ["7", "8", "9"]}


def test_mixed_json_scalars_become_text_and_are_said(tmp_path):
    path = tmp_path / "mixed.jsonl"
    path.write_text('{"text": "a", "label": 1}\n{"text": "b", "label": 2}\n{"text": "c", "label": "pos"}\n',
                    encoding="utf-8")
    with pytest.warns(DataConversionWarning, match=r"column 'label' mixes number and text values "
                                                   r"\(first text at row 2: 'pos'\)"):
        ds = load_table(path)
    assert ds["label"] == ["1", "2", "pos"]


def test_mixed_types_through_the_cli_are_one_warning_line(tmp_path, capsys):
    path = tmp_path / "mixed.jsonl"
    path.write_text('{"text": "good film", "label": 1}\n{"text": 42, "label": "neg"}\n', encoding="utf-8")
    assert main(["augment", str(path), "-o", str(tmp_path / "o.jsonl"), "--recipe", "swap", "--n-aug", "1"]) == 0
    err = capsys.readouterr().err
    assert "textaug: warning:" in err and "column 'text'" in err and "Traceback" not in err and "ArrowTypeError" not in err


@pytest.mark.parametrize("content, message", [
    ('{"text": ["a", "b"], "label": 1}\n{"text": "c", "label": 0}\n', "column 'text' mixes nested values"),
    ('{"text": "a"}\nnot json\n', "line 2: not JSON"),
    ('["a", 1]\n', "line 1: a JSON Lines row is an object"),
])
def test_bad_jsonl_is_one_line(tmp_path, content, message):
    path = tmp_path / "bad.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_table(path)


def test_nested_columns_are_refused_for_csv_before_the_work(tmp_path, capsys):
    source = tmp_path / "nested.parquet"
    Dataset.from_dict({"text": ["a good film", "a bad one"], "label": [1, 0], "tags": [["x"], ["y", "z"]]}).to_parquet(
        str(source))
    out = tmp_path / "out.csv"
    assert main(["augment", str(source), "-o", str(out), "--recipe", "swap", "--n-aug", "1"]) == 2
    err = capsys.readouterr().err
    assert "['tags'] hold nested values" in err and ".jsonl or .parquet" in err
    assert not out.exists()
    assert main(["augment", str(source), "-o", str(tmp_path / "out.jsonl"), "--recipe", "swap", "--n-aug", "1"]) == 0
    back = load_table(tmp_path / "out.jsonl")
    assert [tags for tags, source in zip(back["tags"], back["aug_source"]) if source == 1] == [["y", "z"]] * 2


@pytest.mark.parametrize("target, message", [
    ("folder", "is a folder"), ("file.txt/out.csv", "is a file, not a folder"), ("out.xlsx", "unsupported output type"),
])
def test_augment_checks_its_output_before_reading(tmp_path, capsys, target, message):
    (tmp_path / "folder").mkdir()
    (tmp_path / "file.txt").write_text("x", encoding="utf-8")
    assert main(["augment", str(tmp_path / "missing-input.csv"), "-o", str(tmp_path / target)]) == 2
    assert message in capsys.readouterr().err


def test_an_atomic_write_that_fails_leaves_the_old_file(tmp_path):
    path = tmp_path / "out.csv"
    path.write_text("old content\n", encoding="utf-8")
    with pytest.raises(KeyboardInterrupt), atomic_path(path) as tmp:
        tmp.write_text("partial", encoding="utf-8")
        raise KeyboardInterrupt
    assert path.read_text(encoding="utf-8") == "old content\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


def test_an_atomic_folder_keeps_other_entries_and_is_untouched_on_failure(tmp_path):
    folder = tmp_path / "model"
    (folder / "checkpoints").mkdir(parents=True)
    (folder / "config.json").write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError), atomic_folder(folder) as staging:
        (staging / "config.json").write_text("new", encoding="utf-8")
        raise RuntimeError("stopped while saving")
    assert (folder / "config.json").read_text(encoding="utf-8") == "old"
    with atomic_folder(folder) as staging:
        (staging / "config.json").write_text("new", encoding="utf-8")
        (staging / "model.safetensors").write_bytes(b"w")
    assert sorted(p.name for p in folder.iterdir()) == ["checkpoints", "config.json", "model.safetensors"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]


def test_sigint_while_augment_writes_keeps_the_old_output(tmp_path):
    """A real process, interrupted while its output file is being written (its temporary file
    exists): the old output survives byte for byte, and stderr says so in one line."""
    source = tmp_path / "in.jsonl"
    with source.open("w", encoding="utf-8") as handle:
        for i in range(40_000):
            handle.write(json.dumps({"text": f"row {i} of a long enough text to take a while to write out", "label": i % 2})
                         + "\n")
    out = tmp_path / "out.tsv"
    out.write_text("label\ttext\n1\tthe old output\n", encoding="utf-8")
    before = out.read_bytes()
    textaug = Path(sys.executable).with_name("textaug")
    process = subprocess.Popen([str(textaug), "augment", str(source), "-o", str(out), "--recipe", "swap",
                                "--n-aug", "3"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               cwd=tmp_path, env={**os.environ, "PYTHONUNBUFFERED": "1"},
                               # a suite started in the background inherits SIGINT ignored, and Python
                               # then installs no KeyboardInterrupt handler: give the child the default
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 300
    while not any(p.name.startswith(".tmp-") for p in tmp_path.iterdir()):
        assert process.poll() is None, f"augment ended before its output was written: {process.communicate()}"
        assert time.monotonic() < deadline
        time.sleep(0.005)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert out.read_bytes() == before
    assert err.strip().splitlines()[-1].startswith("textaug: interrupted;") and "Traceback" not in err
    assert not any(p.name.startswith(".tmp-") for p in tmp_path.iterdir())


@pytest.mark.parametrize("ext", [".jsonl", ".json", ".csv", ".tsv", ".parquet"])
def test_unicode_line_separators_stay_inside_their_text(tmp_path, ext):
    """U+2028, U+2029 and U+0085 are line breaks to str.splitlines() but ordinary characters to
    JSON: a .jsonl reader that split on them cut one row into two broken lines (found by the
    round-trip property above)."""
    texts = ["one\u2028two", "three\u2029four", "five\x85six", "seven\r\neight", "plain"]
    path = tmp_path / f"table{ext}"
    save_table(Dataset.from_dict({"text": texts, "label": [0, 1, 0, 1, 0]}), path)
    back = load_table(path)
    assert back["text"] == texts and back["label"] == [0, 1, 0, 1, 0]
