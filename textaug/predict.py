"""A trained classifier in memory or loaded from a model folder (or a hub repo), and prediction.

The trainer's in-memory result and :func:`load` of its folder share this class and its batching,
so they give identical predictions.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .models.encoding import TextEncoder, pad_batch

__all__ = ["TextClassifier", "load", "TRAINING_CONFIG_FILE", "METRICS_FILE"]

TRAINING_CONFIG_FILE = "training_config.json"
METRICS_FILE = "metrics.json"


class TextClassifier:
    """A model, its encoder and its label names: ``predict(texts)`` returns label names."""

    def __init__(self, model: torch.nn.Module, encoder: TextEncoder, labels: Sequence[str]) -> None:
        self.model = model
        self.encoder = encoder
        self.labels = list(labels)

    def logits(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Raw scores, one row per text. Texts are batched by length (little padding) and the rows
        are returned in input order."""
        texts = list(texts)
        bad = [i for i, t in enumerate(texts) if not isinstance(t, str)]
        if bad:
            raise ValueError(f"texts must be strings; item {bad[0]} is {type(texts[bad[0]]).__name__}")
        out = np.zeros((len(texts), len(self.labels)), dtype=np.float32)
        if not texts:
            return out
        ids = self.encoder.encode([t if t.strip() else " " for t in texts])
        ids = [row if row else [self.encoder.pad_id] for row in ids]
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        device = next(self.model.parameters()).device
        was_training = self.model.training
        self.model.eval()
        try:
            with torch.inference_mode():
                for start in range(0, len(order), batch_size):
                    chosen = order[start:start + batch_size]
                    batch = pad_batch([ids[i] for i in chosen], self.encoder.pad_id)
                    batch = {k: v.to(device) for k, v in batch.items()}
                    out[chosen] = self.model(**batch).logits.float().cpu().numpy()
        finally:
            self.model.train(was_training)
        return out

    def predict_proba(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        scores = self.logits(texts, batch_size)
        scores = np.exp(scores - scores.max(axis=1, keepdims=True))
        return scores / scores.sum(axis=1, keepdims=True)

    def predict_ids(self, texts: Sequence[str], batch_size: int = 64) -> list[int]:
        return self.logits(texts, batch_size).argmax(axis=1).tolist()

    def predict(self, texts: Sequence[str], batch_size: int = 64) -> list[str]:
        return [self.labels[i] for i in self.predict_ids(texts, batch_size)]

    def evaluate(self, texts: Sequence[str], labels: Sequence[str], batch_size: int = 64) -> dict[str, Any]:
        """Metrics against gold label names (each must be one of :attr:`labels`)."""
        from .metrics import classification_metrics

        index = {name: i for i, name in enumerate(self.labels)}
        unknown = sorted({str(label) for label in labels if str(label) not in index})
        if unknown:
            raise ValueError(f"labels {unknown[:10]} are not among the model's labels {self.labels}")
        gold = [index[str(label)] for label in labels]
        return classification_metrics(gold, self.predict_ids(texts, batch_size), self.labels)


def _model_folder(source: str | os.PathLike, revision: str | None, token: str | bool | None) -> Path:
    from .models import require_model_folder

    if Path(source).expanduser().exists():
        return require_model_folder(source)
    from huggingface_hub import snapshot_download

    # Not a local folder: a hub repo id. Only what a prediction needs is downloaded.
    return Path(snapshot_download(str(source), revision=revision, token=token,
                                  allow_patterns=["*.json", "*.safetensors", "*.txt", "*.model", "README.md"]))


def load(source: str | os.PathLike, *, revision: str | None = None, token: str | bool | None = None) -> TextClassifier:
    """A :class:`TextClassifier` from a folder written by :func:`textaug.train` or a hub repo id."""
    from .models.encoding import TokenizerEncoder, VocabEncoder
    from .models.lstm import BILSTM_MODEL_TYPE, BiLSTMClassifier
    from .models.vectors import WordVocab

    folder = _model_folder(source, revision, token)
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    training_path = folder / TRAINING_CONFIG_FILE
    training = json.loads(training_path.read_text(encoding="utf-8")) if training_path.is_file() else {}
    max_length = int(training.get("config", {}).get("max_length", 512))
    if config.get("model_type") == BILSTM_MODEL_TYPE:
        model = BiLSTMClassifier.from_pretrained(folder)
        labels = [model.id2label[i] for i in range(model.num_labels)]
        return TextClassifier(model.eval(), VocabEncoder(WordVocab.load(folder), max_length), labels)
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    try:
        model = AutoModelForSequenceClassification.from_pretrained(folder)
        tokenizer = AutoTokenizer.from_pretrained(folder)
    except (OSError, ValueError) as err:
        raise ValueError(f"cannot load the model in {folder}: {str(err).splitlines()[0]}") from err
    labels = [model.config.id2label[i] for i in range(model.config.num_labels)]
    return TextClassifier(model.eval(), TokenizerEncoder(tokenizer, max_length), labels)
