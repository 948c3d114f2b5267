import json

import pytest

from textaug.cli import main


@pytest.fixture
def tsv(tmp_path):
    path = tmp_path / "in.tsv"
    path.write_text("label\ttext\n1\tthe film was great\n0\tdull and far too long\n1\t\n", encoding="utf-8")
    return path


def test_augment_a_tsv_to_jsonl(tsv, tmp_path, capsys):
    out = tmp_path / "out.jsonl"
    assert main(["augment", str(tsv), "-o", str(out), "--recipe", "swap", "--n-aug", "2", "--seed", "3"]) == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    # two texts x (1 + 2), the empty one passes through once
    assert len(rows) == 7
    assert {r["aug_op"] for r in rows} == {"original", "random_swap"}
    assert [r["label"] for r in rows if r["aug_source"] == 0] == [1, 1, 1]
    closing = capsys.readouterr().out.strip().splitlines()[-1]
    assert closing.startswith("rows in: 3  rows out: 7  seconds:") and "rows/s:" in closing


@pytest.mark.parametrize("ext", ["csv", "parquet", "tsv"])
def test_output_format_follows_the_extension(tsv, tmp_path, ext):
    from textaug.data import load_table

    out = tmp_path / f"out.{ext}"
    assert main(["augment", str(tsv), "-o", str(out), "--recipe", "eda", "--alpha", "0.2", "--num-proc", "2"]) == 0
    back = load_table(out)
    assert len(back) == 2 * 5 + 1 and set(back.column_names) == {"label", "text", "aug_op", "aug_source"}


def test_headerless_eda_file(tmp_path):
    path = tmp_path / "train.tsv"
    path.write_text("1\tthe rock is destined to be great \n0\tit is a mess \n", encoding="utf-8")
    out = tmp_path / "out.csv"
    assert main(["augment", str(path), "-o", str(out), "--no-header", "--recipe", "aeda", "--n-aug", "1"]) == 0
    assert len(out.read_text(encoding="utf-8").splitlines()) == 1 + 4


def test_missing_column_is_one_clear_line(tsv, tmp_path, capsys):
    code = main(["augment", str(tsv), "-o", str(tmp_path / "o.csv"), "--text-column", "sentence"])
    assert code == 2
    err = capsys.readouterr().err
    assert "'sentence' not found" in err and "['label', 'text']" in err and "Traceback" not in err


def test_missing_file_and_bad_extension(tmp_path, capsys):
    assert main(["augment", str(tmp_path / "nope.csv"), "-o", str(tmp_path / "o.csv")]) == 2
    assert main(["augment", __file__, "-o", str(tmp_path / "o.csv")]) == 2
    bad_out = tmp_path / "in.tsv"
    bad_out.write_text("label\ttext\n1\tfine\n", encoding="utf-8")
    assert main(["augment", str(bad_out), "-o", str(tmp_path / "o.xlsx")]) == 2
    assert "unsupported" in capsys.readouterr().err


def test_demo_augments_then_trains(capsys, tiny_bert, tmp_path):
    out_dir = tmp_path / "demo-model"
    assert main(["demo", "--n", "40", "--validation-n", "20", "--test-n", "30", "--n-aug", "2", "--epochs", "1",
                 "--model", tiny_bert, "--output-dir", str(out_dir)]) == 0
    out = capsys.readouterr().out
    assert "Rotten Tomatoes (built-in): 40 training snippets" in out and "30 test snippets" in out
    assert "20 other training snippets for validation" in out
    assert "trained on 120 rows (40 original)" in out and "TEST (" in out and "macro-F1" in out
    for name in ("README.md", "metrics.json", "training_config.json", "model.safetensors", "config.json"):
        assert (out_dir / name).is_file(), name
    metrics = json.loads((out_dir / "metrics.json").read_text())
    assert metrics["test"]["examples"] == 30 and metrics["validation"]["examples"] == 20


def test_augment_balance(tmp_path, capsys):
    src = tmp_path / "in.csv"
    src.write_text("text,label\n" + "".join(f"good film {i},pos\n" for i in range(6)) + "bad film one,neg\nbad two,neg\n",
                   encoding="utf-8")
    assert main(["augment", str(src), "-o", str(tmp_path / "o.csv"), "--recipe", "swap", "--n-aug", "1",
                 "--balance"]) == 0
    assert "rows in: 8  rows out: 24" in capsys.readouterr().out  # 12 rows per class
