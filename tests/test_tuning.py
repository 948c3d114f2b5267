"""`textaug tune`: candidates, folds cut before augmentation (no leak), the choosing rule, real
cross-validation runs on the BiLSTM with GloVe, and the configuration file `train --config` reads."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from textaug.config import TrainConfig
from textaug.tuning import (Candidate, CandidateResult, choose, default_candidates, fold_indices, parse_candidate, read_config_file,
                            tune, write_config_file)


def test_candidates_are_none_recipes_or_training_options():
    assert parse_candidate("none") == Candidate("none")
    assert parse_candidate("eda:alpha=0.05,n_aug=8").options == {"augment": "eda:alpha=0.05,n_aug=8"}
    assert parse_candidate("mixup=0.4,mixup_layer=pooled").options == {"mixup": 0.4, "mixup_layer": "pooled"}
    assert parse_candidate("cache_features=true,epochs=5").options == {"cache_features": True, "epochs": 5}
    with pytest.raises(ValueError, match="unknown training option 'mixpu'"):
        parse_candidate("mixpu=0.4")
    with pytest.raises(ValueError, match="is not a float"):
        parse_candidate("mixup=lots")
    with pytest.raises(ValueError, match="unknown augmentation recipe 'edaa'"):
        parse_candidate("edaa:alpha=0.1")


def test_folds_are_stratified_disjoint_and_keep_groups_together():
    labels = [0] * 30 + [1] * 15
    splits = fold_indices(labels, 3, seed=0)
    assert sorted(i for _, held in splits for i in held) == list(range(45))
    for train_idx, held in splits:
        assert not set(train_idx) & set(held)
        assert sum(labels[i] for i in held) == 5  # a third of each class
    groups = [i // 3 for i in range(45)]  # triples
    for _, held in fold_indices(labels, 3, seed=0, groups=groups):
        assert all(all(j in held for j in range(3 * (i // 3), 3 * (i // 3) + 3)) for i in held)
    with pytest.raises(ValueError, match="too few for 5 stratified folds"):
        fold_indices([0] * 10 + [1] * 3, 5, seed=0)


def _result(name, scores):
    return CandidateResult(Candidate(name), list(scores))


def test_the_rule_needs_a_gain_beyond_one_standard_error():
    none = _result("none", [0.70, 0.72, 0.71])
    steady = _result("steady", [0.72, 0.74, 0.73])  # +2 points every fold
    noisy = _result("noisy", [0.80, 0.66, 0.70])  # +1 on average, spread 7
    worse = _result("worse", [0.60, 0.61, 0.62])
    assert choose([none, steady, noisy, worse], folds=3) is steady
    assert choose([none, noisy, worse], folds=3) is none  # nothing beats the noise: none
    short = _result("short", [0.90, 0.91])  # missed a fold (out of time): never chosen
    assert choose([none, short], folds=3) is none
    best = _result("best", [0.75, 0.76, 0.75])
    assert choose([none, steady, best], folds=3) is best


@pytest.fixture(scope="module")
def subj_240():
    """240 SUBJ rows: a task the BiLSTM learns in a hundred steps (about 80% on held-out folds)."""
    from conftest import _eda_file

    from textaug.data import read_labelled_tsv, stratified_sample

    return stratified_sample(read_labelled_tsv(_eda_file("subj", "train")), 240, seed=1)


def _lstm(tmp_path, **kw) -> TrainConfig:
    return TrainConfig(**{"model": "lstm-glove", "vocab_budget": 2000, "max_steps": 120, "eval_steps": 40,
                          "batch_size": 16, "max_length": 32, "output_dir": str(tmp_path / "unused"), **kw})


def test_tune_never_picks_a_harmful_candidate_and_folds_never_leak(subj_240, tmp_path):
    seen = []

    def record(fold, candidate, train_rows, held_out, result):
        seen.append(candidate.name)
        trained = set(train_rows["text"])
        assert not trained & set(held_out["text"])  # no held-out row, nor a copy of one, trained on
        if candidate.name == "swap:n_aug=2":
            assert len(train_rows) == 3 * len(set(train_rows["aug_source"]))

    result = tune(_lstm(tmp_path), train_dataset=subj_240, folds=3, progress=lambda line: None, on_run=record,
                  candidates=["swap:n_aug=2", "feature_noise=0.0", "feature_noise=50"])
    names = [r.candidate.name for r in result.results]
    assert names[0] == "none" and len(seen) == sum(len(r.scores) for r in result.results)
    harmful = next(r for r in result.results if r.candidate.name == "feature_noise=50")
    none = result.results[0]
    assert harmful.mean < none.mean - 0.05  # noise of sd 50 on the pooled features: about chance
    assert result.chosen.candidate.name != "feature_noise=50"
    same = next(r for r in result.results if r.candidate.name == "feature_noise=0.0")
    assert same.scores == none.scores  # no noise at all is none, to the last digit: never "a gain"
    assert "| feature_noise=50 |" in result.table() and result.report()["rule"].startswith("chosen only if")


def test_tune_chooses_a_candidate_that_clearly_helps(subj_240, tmp_path):
    # a base learning rate too small to learn in 120 steps; the candidate fixes it
    result = tune(_lstm(tmp_path, lr=1e-7), train_dataset=subj_240, folds=3, progress=lambda line: None,
                  candidates=["lr=0.003"])
    assert result.chosen.candidate.name == "lr=0.003"
    assert result.config.lr == 0.003 and result.config.model == "lstm-glove"


def test_the_configuration_file_round_trips(tmp_path):
    none = _result("none", [0.7, 0.7])
    chosen = _result("eda:alpha=0.1,n_aug=4", [0.8, 0.81])
    chosen.candidate = Candidate(chosen.candidate.name, {"augment": "eda:alpha=0.1,n_aug=4"})
    from textaug.tuning import TuneResult

    config = TrainConfig(model="lstm-glove", augment="eda:alpha=0.1,n_aug=4", max_steps=50)
    result = TuneResult([none, chosen], chosen, 2, "accuracy", config, 1.0)
    for name in ("chosen.json", "chosen.yaml"):
        path = write_config_file(result, tmp_path / name)
        assert TrainConfig(**read_config_file(path)).to_dict() == {k: v for k, v in config.to_dict().items()}
    assert json.loads((tmp_path / "chosen.json").read_text())["tuned"]["chosen"] == "eda:alpha=0.1,n_aug=4"
    (tmp_path / "bad.json").write_text('{"lr": 0.1, "learning_rat": 2}')
    with pytest.raises(ValueError, match="unknown training options"):
        read_config_file(tmp_path / "bad.json")
    with pytest.raises(ValueError, match=r"\.json, \.yaml or \.yml"):
        write_config_file(result, tmp_path / "chosen.txt")


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "textaug.cli", *args], env={**os.environ, "OMP_NUM_THREADS": "1"},
                          capture_output=True, text=True, timeout=300)


def test_cli_tune_then_train_with_the_chosen_configuration(sst2_files, tmp_path):
    chosen = tmp_path / "chosen.yaml"
    run = _cli("tune", "--train", sst2_files[0], "--no-header", "--model", "lstm-glove", "--vocab-budget", "200",
               "--folds", "2", "--candidates", "none", "swap:n_aug=1", "--max-steps", "8", "--output", str(chosen))
    assert run.returncode == 0, run.stderr[-3000:]
    assert "| candidate | folds |" in run.stdout and "chosen:" in run.stdout and chosen.is_file()
    assert run.stdout.count("[fold ") == 4
    saved = read_config_file(chosen)
    assert saved["max_steps"] == 8 and saved["model"] == "lstm-glove"
    out = tmp_path / "model"
    run = _cli("train", "--config", str(chosen), "--max-steps", "4", "--test", sst2_files[1], "--output-dir", str(out))
    assert run.returncode == 0, run.stderr[-3000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["training"]["steps"] == 4  # the command line wins over the file
    assert json.loads((out / "training_config.json").read_text())["config"]["augment"] == saved["augment"]
    bad = _cli("train", "--config", str(tmp_path / "missing.yaml"))
    assert bad.returncode == 2 and "no such configuration file" in bad.stderr


def test_the_default_back_translation_candidate_gives_distinct_copies():
    from textaug.augment.recipes import build_augmenter

    specs = [c.options["augment"] for c in default_candidates(TrainConfig()) if "backtranslate" in c.name]
    assert specs == ["backtranslate:n_aug=2,pivots=spa/cat"]
    copies = build_augmenter(specs[0]).generate("the film was a delight from start to finish , and the actors shine .")
    assert len(copies) == 2 and copies[0] != copies[1]
