"""`textaug train / evaluate / predict` from the command line, and a two-process launch on CPU."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from textaug.cli import main
from textaug.predict import load


def test_train_evaluate_predict(tiny_bert, sst2_files, tmp_path, capsys):
    train_file, eval_file = sst2_files
    out = tmp_path / "m"
    assert main(["train", "--train", train_file, "--eval", eval_file, "--no-header", "--model", tiny_bert,
                 "--augment", "eda", "--alpha", "0.1", "--n-aug", "2", "--strategy", "gradual", "--epochs", "2",
                 "--lr", "1e-3", "--batch-size", "8", "--max-length", "32", "--seed", "1",
                 "--output-dir", str(out)]) == 0
    printed = capsys.readouterr()
    assert "trained on 144 rows (48 original)" in printed.out and "macro-F1" in printed.out
    assert "epoch 2/2" in printed.err and "loss=" in printed.err and "accuracy=" in printed.err  # the bar
    saved = json.loads((out / "training_config.json").read_text())["config"]
    assert saved["strategy"] == "gradual" and saved["seed"] == 1 and saved["max_length"] == 32

    assert main(["evaluate", str(out), "--data", eval_file, "--no-header", "--output", str(tmp_path / "e.json")]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert json.loads((tmp_path / "e.json").read_text())["accuracy"] == metrics["accuracy"]

    texts = ["a triumph of a film", "tedious", "the plot"]
    (tmp_path / "in.txt").write_text("\n".join(texts) + "\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["predict", str(out), "--input", str(tmp_path / "in.txt")]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split("\t") for line in lines] == [[label, t] for label, t in zip(load(out).predict(texts), texts)]

    assert main(["predict", str(out), "--input", eval_file, "--no-header", "--output", str(tmp_path / "p.csv")]) == 0
    from textaug.data import load_table

    table = load_table(tmp_path / "p.csv")
    assert len(table) == 32 and {"prediction", "score"} <= set(table.column_names)


@pytest.mark.parametrize(("args", "message"), [
    (["--max-length", "4"], "max_length must be at least 8"),
    (["--model", "/nonexistent/model"], "no such model folder"),
    (["--strategy", "frozen"], None),  # argparse: invalid choice, exit 2
])
def test_train_bad_options_exit_2(args, message, sst2_files, capsys, tmp_path):
    try:
        code = main(["train", "--train", sst2_files[0], "--no-header", "--output-dir", str(tmp_path / "m"), *args])
    except SystemExit as exit_:
        code = exit_.code
    assert code == 2
    if message:
        assert message in capsys.readouterr().err
    assert not (tmp_path / "m").exists()


def test_train_single_class_file(tmp_path, capsys):
    path = tmp_path / "one.csv"
    path.write_text("text,label\ngood,pos\nfine,pos\n", encoding="utf-8")
    assert main(["train", "--train", str(path), "--model", "lstm-glove", "--output-dir", str(tmp_path / "m")]) == 2
    assert "single class ('pos')" in capsys.readouterr().err


def test_lstm_glove_from_the_command_line(sst2_files, tmp_path, capsys):
    out = tmp_path / "lstm"
    assert main(["train", "--train", sst2_files[0], "--eval", sst2_files[1], "--no-header", "--model", "lstm-glove",
                 "--augment", "synonym", "--n-aug", "1", "--epochs", "2", "--vocab-budget", "500",
                 "--output-dir", str(out)]) == 0
    assert "trained on 96 rows (48 original)" in capsys.readouterr().out
    card = (out / "README.md").read_text()
    assert "library_name: textaug" in card and "BiLSTM over GloVe 6B 50-d" in card


def test_two_process_launch_on_cpu(tiny_bert, sst2_files, tmp_path):
    """`accelerate launch --multi_gpu --num_processes 2` on a machine without GPUs: two gloo
    processes share the batches; evaluation gathers each example once."""
    accelerate = shutil.which("accelerate", path=os.path.dirname(sys.executable))
    out = tmp_path / "ddp"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    run = subprocess.run(
        [accelerate, "launch", "--multi_gpu", "--num_processes", "2", "--num_machines", "1", "--mixed_precision", "no",
         "--dynamo_backend", "no", "-m", "textaug.cli", "train", "--train", sst2_files[0], "--eval", sst2_files[1],
         "--no-header", "--model", tiny_bert, "--epochs", "2", "--batch-size", "8", "--checkpoint-steps", "2",
         "--augment", "swap", "--n-aug", "1", "--output-dir", str(out)],
        env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["processes"] == 2
    assert metrics["examples"] == 32  # no duplicates from the even-batches padding
    assert len(metrics["history"]) == 2 and metrics["history"][-1]["step"] == 12  # 96 rows / (8 x 2) per epoch
    assert run.stdout.count("model written to") == 1  # the main process reports, once
    assert len(load(out).predict(["fine"])) == 1
