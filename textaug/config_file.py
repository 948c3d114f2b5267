"""Training options in a file: ``textaug train --config FILE`` reads one, ``textaug tune`` writes
one (every TrainConfig field, and tune's report under ``tuned``), in JSON or YAML."""

from __future__ import annotations

import os
from dataclasses import fields
from pathlib import Path
from typing import Any

from .atomic import check_file_target, write_text_atomic
from .config import TrainConfig, option_from_value

__all__ = ["TUNED_KEY", "CONFIG_SUFFIXES", "check_output_path", "write_config", "read_config_file", "read_tuned_report"]

#: The key under which a tuned configuration file keeps tune's report (every other key is a
#: TrainConfig field).
TUNED_KEY = "tuned"
CONFIG_SUFFIXES = (".json", ".yaml", ".yml")


def check_output_path(path: str | os.PathLike) -> Path:
    """The configuration file's path, checked before any run: a known extension, not a folder, its
    folder existing (or creatable) and writable. A ValueError in one line otherwise."""
    path = Path(path).expanduser()
    if path.suffix.lower() not in CONFIG_SUFFIXES and not path.is_dir():
        raise ValueError(f"{path}: write the configuration as .json, .yaml or .yml")
    check_file_target(path, ".json, .yaml or .yml")
    return path


def write_config(config: TrainConfig, report: dict[str, Any] | None, path: str | os.PathLike) -> Path:
    """``config`` as JSON or YAML (by extension), with ``report`` (tune's) under :data:`TUNED_KEY`.
    Written to a temporary file beside it and renamed, so an interrupted write leaves the old file
    as it was."""
    import json

    path = check_output_path(path)
    data = {**config.to_dict(), **({TUNED_KEY: report} if report is not None else {})}
    data.pop("resume", None)
    if path.suffix.lower() == ".json":
        text = json.dumps(data, indent=2)
    else:
        import yaml

        text = yaml.safe_dump(data, sort_keys=False)
    return write_text_atomic(path, text)


def _read_mapping(path: str | os.PathLike) -> tuple[Path, dict[str, Any]]:
    import json

    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: no such configuration file")
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as err:
            mark = getattr(err, "problem_mark", None)
            where = f", line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
            problem = getattr(err, "problem", None) or str(err).splitlines()[0]
            raise ValueError(f"{path}{where}: not valid YAML ({problem})") from None
    elif path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise ValueError(f"{path}, line {err.lineno} column {err.colno}: not valid JSON ({err.msg})") from None
    else:
        raise ValueError(f"{path}: a configuration file is .json, .yaml or .yml")
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a configuration file holds a mapping of training options")
    return path, data


def read_config_file(path: str | os.PathLike) -> dict[str, Any]:
    """TrainConfig fields from a JSON or YAML file (tune's report, if there, left out), each value
    typed by the same converter as its command-line flag; a wrong one is an error naming the file,
    the key and the type it needs."""
    path, data = _read_mapping(path)
    data.pop(TUNED_KEY, None)
    known = {f.name for f in fields(TrainConfig)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"{path}: unknown training options {unknown}")
    typed = {}
    for key, value in data.items():
        try:
            typed[key] = option_from_value(key, value)
        except ValueError as err:
            raise ValueError(f"{path}: {err}") from None
    return typed


def read_tuned_report(path: str | os.PathLike) -> dict[str, Any] | None:
    """tune's report from a configuration file it wrote (None for a hand-written file)."""
    report = _read_mapping(path)[1].get(TUNED_KEY)
    return report if isinstance(report, dict) else None
