"""Classifier models: BERT-family checkpoints (transformer.py) and a BiLSTM on static word
vectors (lstm.py, vectors.py), with the text encoders both share (encoding.py)."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["require_model_folder"]


def require_model_folder(source: str | os.PathLike) -> Path:
    """``source`` as a Path if it is a model folder (a folder with config.json); else a ValueError
    that says which of missing, a file, or no config.json it is. Shared by training, loading and
    pushing so the three say the same thing."""
    path = Path(source).expanduser()
    if not path.exists():
        raise ValueError(f"{source}: no such model folder")
    if not path.is_dir():
        raise ValueError(f"{source} is a file, not a model folder (a folder with config.json)")
    if not (path / "config.json").is_file():
        raise ValueError(f"{source} is not a model folder: it has no config.json")
    return path
