"""What a model source string names, answered once for the whole package: a local path or a hub
id, and, for a local path, whether it is a model folder that can be loaded.

Training, loading, pushing, the card, the filters and the augmenters that take a model all ask
here, so a mistyped path gets the same one-line error everywhere and is never sent to the Hub
resolver. The bottom layer: it imports nothing from textaug.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

__all__ = ["HUB_ID_RE", "WEIGHT_FILES", "looks_like_path", "looks_like_hub_id", "require_model_folder",
           "check_model_source", "check_model_files", "read_json_object"]

#: A Hugging Face repo id: NAME or OWNER/NAME.
HUB_ID_RE = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")

#: Weight files a model folder may hold, in the order they are looked for: textaug and recent
#: transformers write the first (textaug's model folder names it from here); sharded and older
#: checkpoints the others.
WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin",
                "pytorch_model.bin.index.json")


def looks_like_path(source: str | os.PathLike) -> bool:
    """True for strings that can only be a local path (``./x``, ``/x``, ``~/x``, ``a/b/c``), or that
    name something that exists; hub ids are ``NAME`` or ``OWNER/NAME``."""
    source = str(source)
    if Path(source).expanduser().exists():
        return True
    if source.startswith((".", "/", "~")) or source.count("/") > 1 or (os.sep != "/" and os.sep in source):
        return True
    # "models/sst2-edaa" looks like a hub id, but if "models" is a local folder it is a mistyped path
    head = source.split("/")[0]
    return "/" in source and Path(head).is_dir()


def looks_like_hub_id(source: Any) -> bool:
    """True for a string that is not a local path and has the shape of a hub repo id."""
    return isinstance(source, str) and not looks_like_path(source) and bool(HUB_ID_RE.match(source))


def require_model_folder(source: str | os.PathLike) -> Path:
    """``source`` as a Path if it is a model folder (a folder with config.json); else a ValueError
    that says which of missing, a file, or no config.json it is."""
    path = Path(source).expanduser()
    if not path.exists():
        raise ValueError(f"{source}: no such model folder")
    if not path.is_dir():
        raise ValueError(f"{source} is a file, not a model folder (a folder with config.json)")
    if not (path / "config.json").is_file():
        raise ValueError(f"{source} is not a model folder: it has no config.json")
    return path


def check_model_source(source: str | os.PathLike | None) -> None:
    """Fail early, naming the problem, for a local path that is not a model folder. A string that
    is not a path is taken for a hub id (the ordinary online path); None passes."""
    if source is not None and looks_like_path(source):
        require_model_folder(source)


def check_model_files(folder: Path) -> dict[str, Any]:
    """The folder's config.json as a dict, after checking what can be checked without building
    the model: config.json is a JSON object, a weights file exists, and a safetensors file is
    whole (its header parses and covers the file). A ValueError naming the folder and the file
    otherwise, so a damaged folder never fails deep inside torch."""
    config = read_json_object(folder / "config.json", "a model configuration")
    weights = next((folder / name for name in WEIGHT_FILES if (folder / name).is_file()), None)
    if weights is None:
        raise ValueError(f"{folder}: no weights file ({WEIGHT_FILES[0]}); the model folder is incomplete")
    if weights.name == WEIGHT_FILES[0]:
        from safetensors import SafetensorError, safe_open  # lazy: importing textaug stays cheap

        try:
            with safe_open(str(weights), framework="pt") as handle:
                handle.keys()
        except (SafetensorError, OSError) as err:
            raise ValueError(f"{weights}: truncated or not a safetensors file ({str(err).splitlines()[0]})") from None
    return config


def read_json_object(path: Path, what: str) -> dict[str, Any]:
    """A model folder's JSON file as a dict; a ValueError naming the file when it is not valid
    JSON, or not ``what`` (a JSON object), so a damaged folder never fails further on."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ValueError(f"{path}: not valid JSON ({err}); the model folder is damaged") from None
    if not isinstance(value, dict):
        raise ValueError(f"{path}: not {what} (a JSON object)")
    return value
