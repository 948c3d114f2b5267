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


def test_demo_tunes_then_trains_with_and_without(capsys, tiny_bert, tmp_path):
    from textaug.demo import PLOT_FILE, RESULTS_FILE, TUNED_FILE, WITH_DIR, WITHOUT_DIR
    from textaug.tuning import read_config_file

    out_dir = tmp_path / "demo"
    assert main(["demo", "--n", "40", "--validation-n", "20", "--test-n", "30", "--folds", "2", "--repeats", "2",
                 "--max-steps", "3",
                 "--eval-steps", "1", "--candidates", "none", "eda:alpha=0.05,n_aug=2", "--model", tiny_bert,
                 "--output-dir", str(out_dir)]) == 0
    out = capsys.readouterr().out
    assert "Rotten Tomatoes (built-in): 40 labelled training snippets, 20 other training snippets" in out
    assert "30 test snippets" in out and "2-fold cross-validation x 2 repeats on the 40 training snippets only" in out
    # tune ran on the 40 training rows: two folds of 20 held-out rows, no validation or test row
    assert "[repeat 1/2, fold 1/2] none:" in out and "[repeat 1/2, fold 2/2] none:" in out
    tuned = read_config_file(out_dir / TUNED_FILE)  # what `textaug train --config` takes
    report = json.loads((out_dir / TUNED_FILE).read_text())["tuned"]
    assert tuned["max_steps"] == 3 and report["folds"] == 2 and report["repeats"] == 2
    assert report["decision"] in out and report["decision"] in (out_dir / RESULTS_FILE).read_text()
    chosen = report["chosen"]
    # the "with" run is tune's choice, or the best rejected candidate (the only other one here), labelled so
    assert tuned.get("augment") == ("eda" if chosen != "none" else None)
    table = (out_dir / RESULTS_FILE).read_text()
    assert "## Cross-validation (tune)" in table and "| none | " in table and "95% interval (corrected)" in table
    assert ("(rejected by tune)" in table) == (chosen == "none")
    assert "| **test accuracy %** (the result) |" in table and "| difference |" in table
    assert (out_dir / PLOT_FILE).stat().st_size > 5000
    for folder, rows in ((WITHOUT_DIR, 40), (WITH_DIR, 120)):
        for name in ("README.md", "metrics.json", "training_config.json", "model.safetensors", "training_curves.png"):
            assert (out_dir / folder / name).is_file(), (folder, name)
        metrics = json.loads((out_dir / folder / "metrics.json").read_text())
        assert metrics["test"]["examples"] == 30 and metrics["validation"]["examples"] == 20
        assert metrics["training"]["examples"] == rows and metrics["training"]["steps"] == 3  # equal step budgets
    assert f"the model tune's choice gives: {out_dir / (WITHOUT_DIR if chosen == 'none' else WITH_DIR)}" in out


@pytest.mark.parametrize("args, message", [(["--n", "0"], "--n must be at least 6"),
                                           (["--test-n", "0"], "--test-n must be at least 2"),
                                           (["--tune-minutes", "-1"], "--tune-minutes must be above 0"),
                                           (["--repeats", "0"], "--repeats must be at least 1")])
def test_demo_options_are_checked_before_anything_runs(args, message, tmp_path, capsys):
    assert main(["demo", *args, "--output-dir", str(tmp_path / "demo")]) == 2
    assert message in capsys.readouterr().err and not (tmp_path / "demo").exists()


def test_augment_balance(tmp_path, capsys):
    src = tmp_path / "in.csv"
    src.write_text("text,label\n" + "".join(f"good film {i},pos\n" for i in range(6)) + "bad film one,neg\nbad two,neg\n",
                   encoding="utf-8")
    assert main(["augment", str(src), "-o", str(tmp_path / "o.csv"), "--recipe", "swap", "--n-aug", "1",
                 "--balance"]) == 0
    assert "rows in: 8  rows out: 24" in capsys.readouterr().out  # 12 rows per class


def test_the_demo_budget_follows_the_model_kind():
    from textaug.config import TrainConfig
    from textaug.demo import DEMO_BUDGETS, _budget

    assert _budget(TrainConfig(model="minilm")) == DEMO_BUDGETS["transformer"] == (150, 25)
    assert _budget(TrainConfig(model="lstm-glove")) == _budget(TrainConfig(model="cnn-glove")) == DEMO_BUDGETS["vectors"]
