"""The model folder: its file names (declared once here), the output-folder check that runs before
training, and writing and reading the folder."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch
    from huggingface_hub import ModelCard

    from ..models.encoding import TextEncoder

__all__ = ["WEIGHTS_FILE", "TRAINING_CONFIG_FILE", "METRICS_FILE", "CARD_FILE", "CHECKPOINTS_DIR",
           "check_output_dir", "save_model_folder", "read_training_info"]

WEIGHTS_FILE = "model.safetensors"
TRAINING_CONFIG_FILE = "training_config.json"
METRICS_FILE = "metrics.json"
CARD_FILE = "README.md"
#: Resumable checkpoints (optimizer state, RNG states); never pushed to the Hub.
CHECKPOINTS_DIR = "checkpoints"


def check_output_dir(output_dir: str | os.PathLike) -> Path:
    """The output folder as a Path, or a ValueError when it (or a folder above it) is a file, so
    a run never trains to the end and then fails to write."""
    path = Path(output_dir).expanduser()
    for folder in (path, *path.parents):
        if folder.exists():
            if not folder.is_dir():
                what = "is a file" if folder == path else f"lies under {folder}, which is a file"
                raise ValueError(f"output folder {output_dir} {what}; choose another --output-dir")
            if not os.access(folder, os.W_OK):
                raise ValueError(f"output folder {output_dir}: {folder} is not writable")
            break
    return path


def save_model_folder(output_dir: Path, model: "torch.nn.Module", encoder: "TextEncoder", training: dict[str, Any],
                      metrics: dict[str, Any], card: "ModelCard") -> None:
    """Weights and config (``save_pretrained``), the tokenizer or vocabulary, training_config.json,
    metrics.json and the model card."""
    output_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(output_dir)
    encoder.save(output_dir)
    (output_dir / TRAINING_CONFIG_FILE).write_text(json.dumps(training, indent=2, default=str), encoding="utf-8")
    (output_dir / METRICS_FILE).write_text(json.dumps(metrics, indent=2), encoding="utf-8")
    card.save(output_dir / CARD_FILE)


def read_training_info(folder: Path) -> dict[str, Any]:
    """training_config.json of a model folder ({} for a plain transformers checkpoint)."""
    path = folder / TRAINING_CONFIG_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
