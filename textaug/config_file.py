"""Training options in a file: ``textaug train --config FILE`` reads one, ``textaug tune`` writes
one (every TrainConfig field, and tune's report under ``tuned``), in JSON or YAML."""

from __future__ import annotations

import os
from dataclasses import fields
from pathlib import Path
from typing import Any

from .config import TrainConfig

__all__ = ["TUNED_KEY", "CONFIG_SUFFIXES", "check_output_path", "write_config", "read_config_file", "read_tuned_report"]

#: The key under which a tuned configuration file keeps tune's report (every other key is a
#: TrainConfig field).
TUNED_KEY = "tuned"
CONFIG_SUFFIXES = (".json", ".yaml", ".yml")


def check_output_path(path: str | os.PathLike) -> Path:
    """The configuration file's path, checked before any run: a known extension, not a folder, its
    folder existing (or creatable) and writable. A ValueError in one line otherwise."""
    path = Path(path).expanduser()
    if path.is_dir():
        raise ValueError(f"{path} is a folder; give a file name ending in .json, .yaml or .yml")
    if path.suffix.lower() not in CONFIG_SUFFIXES:
        raise ValueError(f"{path}: write the configuration as .json, .yaml or .yml")
    for folder in path.parents:
        if folder.exists():
            if not folder.is_dir():
                raise ValueError(f"{path}: {folder} is a file, not a folder")
            if not os.access(folder, os.W_OK):
                raise ValueError(f"{path}: {folder} is not writable")
            break
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
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _read_mapping(path: str | os.PathLike) -> tuple[Path, dict[str, Any]]:
    import json

    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: no such configuration file")
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        data = yaml.safe_load(text)
    elif path.suffix.lower() == ".json":
        data = json.loads(text)
    else:
        raise ValueError(f"{path}: a configuration file is .json, .yaml or .yml")
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a configuration file holds a mapping of training options")
    return path, data


def read_config_file(path: str | os.PathLike) -> dict[str, Any]:
    """TrainConfig fields from a JSON or YAML file (tune's report, if there, left out)."""
    path, data = _read_mapping(path)
    data.pop(TUNED_KEY, None)
    known = {f.name for f in fields(TrainConfig)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"{path}: unknown training options {unknown}")
    return data


def read_tuned_report(path: str | os.PathLike) -> dict[str, Any] | None:
    """tune's report from a configuration file it wrote (None for a hand-written file)."""
    report = _read_mapping(path)[1].get(TUNED_KEY)
    return report if isinstance(report, dict) else None
