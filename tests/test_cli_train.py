"""`textaug train / evaluate / predict` from the command line, and a two-process launch on CPU."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from textaug.cli import main
from textaug.predict import load


def test_train_evaluate_predict(tiny_bert, sst2_files, tmp_path, capsys):
    train_file, eval_file = sst2_files
    out = tmp_path / "m"
    assert main(["train", "--train", train_file, "--test", eval_file, "--no-header", "--model", tiny_bert,
                 "--augment", "eda", "--alpha", "0.1", "--n-aug", "2", "--strategy", "gradual", "--epochs", "2",
                 "--lr", "1e-3", "--batch-size", "8", "--max-length", "32", "--seed", "1",
                 "--validation-fraction", "0.5", "--output-dir", str(out)]) == 0
    printed = capsys.readouterr()
    assert "trained on 72 rows (24 original)" in printed.out and "macro-F1" in printed.out
    assert "TEST (eval.tsv; evaluated once, never used in training)" in printed.out
    assert "validation (24 training rows held out before augmentation" in printed.out
    assert "epoch 2/2" in printed.err and "loss=" in printed.err and "accuracy=" in printed.err  # the bar
    saved = json.loads((out / "training_config.json").read_text())["config"]
    assert saved["strategy"] == "gradual" and saved["seed"] == 1 and saved["max_length"] == 32

    assert main(["evaluate", str(out), "--data", eval_file, "--no-header", "--output", str(tmp_path / "e.json")]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert json.loads((tmp_path / "e.json").read_text())["accuracy"] == metrics["test"]["accuracy"]

    texts = ["a triumph of a film", "tedious", "the plot"]
    (tmp_path / "in.txt").write_text("\n".join(texts) + "\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["predict", str(out), "--input", str(tmp_path / "in.txt")]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split("\t") for line in lines] == [[str(label), t] for label, t in zip(load(out).predict(texts), texts)]

    assert main(["predict", str(out), "--input", eval_file, "--no-header", "--output", str(tmp_path / "p.csv")]) == 0
    from textaug.data import load_table

    table = load_table(tmp_path / "p.csv")
    assert len(table) == 32 and {"prediction", "score"} <= set(table.column_names)


@pytest.mark.parametrize(("args", "message"), [
    (["--max-length", "4"], "max_length must be at least 8"),
    (["--model", "/nonexistent/model"], "no such model folder"),
    (["--model", "cnn-glove", "--vectors", "nope.txt"], "nope.txt: no such vectors file"),
    (["--output-dir", "a-file"], "output folder a-file is a file; choose another --output-dir"),
    (["--strategy", "frozen"], None),  # argparse: invalid choice, exit 2
    (["--select", "first"], None),
])
def test_train_bad_options_exit_2(args, message, sst2_files, capsys, tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
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


def test_eval_still_works_as_a_deprecated_alias_of_test(sst2_files, tmp_path, capsys):
    out = tmp_path / "lstm"
    assert main(["train", "--train", sst2_files[0], "--eval", sst2_files[1], "--no-header", "--model", "lstm-glove",
                 "--augment", "synonym", "--n-aug", "1", "--epochs", "2", "--vocab-budget", "500",
                 "--output-dir", str(out)]) == 0
    printed = capsys.readouterr()
    warnings = [line for line in printed.err.splitlines() if "deprecated" in line]
    assert warnings == [warnings[0]] and warnings[0].startswith("textaug: warning: `eval`/--eval is deprecated")
    assert "trained on 96 rows (48 original)" in printed.out and "TEST (eval.tsv" in printed.out
    assert json.loads((out / "metrics.json").read_text())["test"]["examples"] == 32
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
         "--dynamo_backend", "no", "-m", "textaug.cli", "train", "--train", sst2_files[0], "--validation", sst2_files[1],
         "--test", sst2_files[1], "--no-header", "--model", tiny_bert, "--epochs", "2", "--batch-size", "8",
         "--checkpoint-steps", "2",
         "--augment", "swap", "--n-aug", "1", "--output-dir", str(out)],
        env=env, capture_output=True, text=True, timeout=300)
    # a failing worker's own traceback comes first in stderr, the launcher's summary last
    worker = "\n".join(line for line in run.stderr.splitlines() if line.startswith("[rank1]"))[-3000:]
    assert run.returncode == 0, (worker or run.stderr[:3000]) + "\n...\n" + run.stderr[-1500:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["training"]["processes"] == 2
    # no duplicates from the even-batches padding, in validation or test
    assert metrics["validation"]["examples"] == 32 and metrics["test"]["examples"] == 32
    history = metrics["validation"]["history"]
    assert len(history) == 2 and history[-1]["step"] == 12  # 96 rows / (8 x 2) per epoch
    assert history[-1]["examples_seen"] == 192
    assert run.stdout.count("model written to") == 1  # the main process reports, once
    assert len(load(out).predict(["fine"])) == 1


def _cli(args, env=None, **kw):
    env = {**os.environ, "OMP_NUM_THREADS": "1", **(env or {})}
    return subprocess.Popen([sys.executable, "-m", "textaug.cli", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kw)


def test_a_sigkilled_run_resumes_to_the_same_end(tiny_bert, sst2_files, tmp_path):
    """A real `kill -9` of `textaug train` once a mid-epoch checkpoint exists, then `--resume`:
    the same history, bit-identical weights, and a selected step after the kill."""
    import signal
    import time

    train_file, _ = sst2_files
    common = ["train", "--train", train_file, "--validation", train_file, "--no-header", "--model", tiny_bert,
              "--augment", "swap", "--n-aug", "7", "--epochs", "3", "--batch-size", "4", "--lr", "1e-3",
              "--checkpoint-steps", "5", "--metric", "loss", "--patience", "0", "--max-length", "32"]
    whole = _cli([*common, "--output-dir", str(tmp_path / "a")])
    victim = _cli([*common, "--output-dir", str(tmp_path / "b")])
    state_file = tmp_path / "b" / "checkpoints" / "last" / "trainer_state.json"
    killed_at = None
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and victim.poll() is None:
        if state_file.is_file():
            try:
                state = json.loads(state_file.read_text())["state"]
            except (json.JSONDecodeError, OSError):  # replaced under us: read again
                continue
            if state["epoch"] == 1 and state["batches_done"] > 0:  # mid-epoch 2
                victim.send_signal(signal.SIGKILL)
                victim.wait()
                killed_at = state["global_step"]
                break
        time.sleep(0.02)
    assert killed_at is not None, f"the run ended (rc {victim.returncode}) before a mid-epoch checkpoint was seen"
    assert victim.returncode == -signal.SIGKILL and not (tmp_path / "b" / "model.safetensors").exists()
    resumed = _cli([*common, "--output-dir", str(tmp_path / "b"), "--resume"])
    out, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err[-3000:]
    assert f"resuming from {tmp_path / 'b' / 'checkpoints' / 'last'}: epoch 2" in out
    whole.communicate(timeout=300)
    assert whole.returncode == 0
    a = json.loads((tmp_path / "a" / "metrics.json").read_text())["validation"]
    b = json.loads((tmp_path / "b" / "metrics.json").read_text())["validation"]
    assert a["history"] == b["history"] and len(a["history"]) == 3
    assert b["selected_step"] > killed_at
    assert (tmp_path / "a" / "model.safetensors").read_bytes() == (tmp_path / "b" / "model.safetensors").read_bytes()


@pytest.mark.parametrize("command", ["predict", "evaluate"])
@pytest.mark.parametrize("source", ["models/sst2-edaa", "./nowhere", "/tmp/nowhere/at/all"])
def test_a_mistyped_model_folder_is_named_not_sent_to_the_hub(command, source, sst2_files, tmp_path, capsys):
    (tmp_path / "models").mkdir()  # "models/..." is then a local path, not a hub id
    extra = ["--input", sst2_files[1]] if command == "predict" else ["--data", sst2_files[1]]
    assert main([command, source, *extra, "--no-header"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == f"textaug: error: {source}: no such model folder"


def test_a_hub_id_that_cannot_be_loaded_is_one_line(sst2_files, capsys):
    assert main(["predict", "someone/no-such-model", "--input", sst2_files[1], "--no-header"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("textaug: error: someone/no-such-model: no such model folder, and it could not be loaded")
    assert "\n" not in err and "Traceback" not in err


def test_a_six_class_model_end_to_end(tmp_path):
    """TREC (six question types, one of them rare) through the BiLSTM: the metrics are
    scikit-learn's over the whole label set, and the saved model reproduces them."""
    from sklearn.metrics import accuracy_score, f1_score

    from conftest import _eda_file
    from textaug.data import read_labelled_tsv, stratified_sample

    train_ds = stratified_sample(read_labelled_tsv(_eda_file("trec", "train")), 240, seed=0)
    test_ds = stratified_sample(read_labelled_tsv(_eda_file("trec", "test")), 120, seed=0)
    from textaug.training.pipeline import train
    from textaug.config import TrainConfig

    result = train(TrainConfig(model="lstm-glove", output_dir=str(tmp_path / "trec"), epochs=6, vocab_budget=2000),
                   train_dataset=train_ds, test_dataset=test_ds)
    test = result.metrics["test"]
    assert list(test["per_class"]) == ["0", "1", "2", "3", "4", "5"]
    assert np.array(test["confusion_matrix"]["rows_true_columns_predicted"]).shape == (6, 6)
    clf = load(tmp_path / "trec")
    predicted = [int(p) for p in clf.predict(list(test_ds["text"]))]
    gold = [int(g) for g in test_ds["label"]]
    assert test["accuracy"] == pytest.approx(accuracy_score(gold, predicted))
    assert test["macro_f1"] == pytest.approx(f1_score(gold, predicted, average="macro", labels=range(6), zero_division=0))
    assert test["accuracy"] > 0.35  # well above the 23% of always answering the largest class
