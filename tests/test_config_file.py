"""Configuration files are typed like the command line: one converter, one-line errors, and a
flag can reset what a file set."""

from __future__ import annotations

import pytest

from textaug.cli import _parser, main
from textaug.config import TrainConfig, option_from_text, option_from_value
from textaug.config_file import read_config_file


def _yaml(tmp_path, text: str):
    path = tmp_path / "options.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_yaml_scientific_notation_is_a_float(tmp_path):
    # YAML 1.1 reads 1e-3 (no dot) as a string: the commonest way to write a learning rate
    values = read_config_file(_yaml(tmp_path, "lr: 1e-3\nepochs: '4'\nbatch_size: 8\nwarmup_ratio: 0\n"
                                              "keep_checkpoints: 'true'\nmixup: none\n"))
    assert values == {"lr": 0.001, "epochs": 4, "batch_size": 8, "warmup_ratio": 0.0, "keep_checkpoints": True,
                      "mixup": None}
    assert isinstance(values["warmup_ratio"], float)
    TrainConfig(**values)


@pytest.mark.parametrize("text, message", [
    ("epochs: three\n", r"options.yaml: epochs='three' is not an integer"),
    ("batch_size: 1.5\n", r"options.yaml: batch_size=1.5 is not an integer"),
    ("lr: true\n", r"options.yaml: lr=True is not a number"),
    ("batch_size: null\n", r"options.yaml: batch_size needs an integer, not null"),
    ("augment: [eda]\n", r"options.yaml: augment=\['eda'\] is not a text"),
    ("group_by_length: maybe\n", r"options.yaml: group_by_length='maybe' is not true or false"),
    ("lr: 1e-3\n  epochs: 3\n", r"options.yaml, line 2 column 9: not valid YAML"),
    ("- lr\n", r"holds a mapping of training options"),
    ("learning_rate: 0.1\n", r"unknown training options \['learning_rate'\]"),
])
def test_a_bad_value_is_one_line_naming_the_file_and_key(tmp_path, capsys, text, message):
    path = _yaml(tmp_path, text)
    with pytest.raises(ValueError, match=message):
        read_config_file(path)
    assert main(["train", "--config", str(path), "--train", "x.csv"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_broken_json_names_line_and_column(tmp_path):
    path = tmp_path / "options.json"
    path.write_text('{"lr": 0.001,\n "epochs": }', encoding="utf-8")
    with pytest.raises(ValueError, match=r"options.json, line 2 column 12: not valid JSON"):
        read_config_file(path)


def test_flags_and_files_share_one_converter():
    for name, text in [("lr", "1e-3"), ("epochs", "3"), ("augment", "none"), ("group_by_length", "false"),
                       ("strategy", "gradual")]:
        assert option_from_text(name, text) == option_from_value(name, text)
    args = _parser().parse_args(["train", "--lr", "1e-3", "--augment", "none", "--epochs", "none"])
    assert (args.lr, args.augment, args.epochs) == (0.001, None, None)


def test_a_bad_flag_value_names_the_option(capsys):
    with pytest.raises(SystemExit):
        _parser().parse_args(["train", "--epochs", "three"])
    assert "argument --epochs: epochs='three' is not an integer" in capsys.readouterr().err


def test_augment_none_on_the_command_line_switches_off_the_files_augmentation(tmp_path, monkeypatch):
    import textaug.training.pipeline as pipeline

    seen = {}
    monkeypatch.setattr(pipeline, "train", lambda config, tuned=None: seen.setdefault("config", config))
    path = _yaml(tmp_path, "augment: eda:n_aug=2\nlr: 1e-3\n")
    assert main(["train", "--config", str(path), "--augment", "none", "--train", "x.csv"]) == 0
    assert seen["config"].augment is None and seen["config"].lr == 0.001
    assert TrainConfig(augment="none").augment is None
