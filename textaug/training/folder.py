"""The model folder: its file names (declared once here), the output-folder check that runs before
training, and writing and reading the folder."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..sources import WEIGHT_FILES, read_json_object

if TYPE_CHECKING:
    import torch
    from huggingface_hub import ModelCard

    from ..models.encoding import TextEncoder

__all__ = ["WEIGHTS_FILE", "TRAINING_CONFIG_FILE", "METRICS_FILE", "CARD_FILE", "CHECKPOINTS_DIR",
           "TRAINING_CURVES_FILE", "check_output_dir", "save_model_folder", "save_training_curves",
           "read_training_info"]

WEIGHTS_FILE = WEIGHT_FILES[0]
TRAINING_CONFIG_FILE = "training_config.json"
METRICS_FILE = "metrics.json"
CARD_FILE = "README.md"
TRAINING_CURVES_FILE = "training_curves.png"
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


def save_training_curves(path: Path, history: list[dict[str, Any]], metric: str, selected_step: int | None) -> bool:
    """Training loss, and the validation loss and ``metric``, against optimizer steps, as a PNG;
    the kept step marked. False (nothing written) when the history has fewer than two points."""
    points = [h for h in history if h.get("train_loss") is not None]
    if len(points) < 2:
        return False
    import matplotlib

    matplotlib.use("Agg")  # files only: no display is needed or wanted
    import matplotlib.pyplot as plt

    steps = [h["step"] for h in points]
    fig, loss_ax = plt.subplots(figsize=(7, 4), dpi=100)
    axes = [loss_ax]
    loss_ax.plot(steps, [h["train_loss"] for h in points], label="training loss", color="tab:blue")
    if "loss" in points[0]:
        loss_ax.plot(steps, [h["loss"] for h in points], label="validation loss", color="tab:orange")
    loss_ax.set_xlabel("optimizer step")
    loss_ax.set_ylabel("loss")
    if selected_step is not None:
        loss_ax.axvline(selected_step, color="grey", linestyle=":", label=f"kept weights (step {selected_step})")
    if metric != "loss" and metric in points[0]:
        metric_ax = loss_ax.twinx()
        metric_ax.plot(steps, [h[metric] for h in points], label=f"validation {metric}", color="tab:green")
        metric_ax.set_ylabel(metric)
        axes.append(metric_ax)
    handles = [h for ax in axes for h in ax.get_legend_handles_labels()[0]]
    labels = [label for ax in axes for label in ax.get_legend_handles_labels()[1]]
    loss_ax.legend(handles, labels, loc="best", fontsize="small")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return True


def read_training_info(folder: Path) -> dict[str, Any]:
    """training_config.json of a model folder ({} for a plain transformers checkpoint)."""
    path = folder / TRAINING_CONFIG_FILE
    if not path.is_file():
        return {}
    return read_json_object(path, "a textaug training record")
