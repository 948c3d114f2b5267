"""A trained classifier in memory or loaded from a model folder (or a hub repo), and prediction.

The trainer's in-memory result and :func:`load` of its folder share this class and its batching,
so they give identical predictions.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .metrics import classification_metrics
from .models import kind_for_folder
from .models.encoding import TextEncoder, pad_batch
from .sources import check_model_files, looks_like_path, require_model_folder
from .training.folder import read_training_info

__all__ = ["TextClassifier", "load"]


class TextClassifier:
    """A model, its encoder and its labels.

    ``labels`` are the label values as the training data gave them, in label-id order: a
    ``ClassLabel``'s names, the sorted integers of integer labels, or the sorted strings.
    :meth:`predict` returns values of that list (ints for a model trained on ints), and the
    columns of :meth:`predict_proba` and :meth:`logits` follow its order.
    """

    def __init__(self, model: torch.nn.Module, encoder: TextEncoder, labels: Sequence[Any]) -> None:
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
        """Class probabilities, one row per text; column ``j`` is ``labels[j]``."""
        scores = self.logits(texts, batch_size)
        scores = np.exp(scores - scores.max(axis=1, keepdims=True))
        return scores / scores.sum(axis=1, keepdims=True)

    def predict_ids(self, texts: Sequence[str], batch_size: int = 64) -> list[int]:
        return self.logits(texts, batch_size).argmax(axis=1).tolist()

    def predict(self, texts: Sequence[str], batch_size: int = 64) -> list[Any]:
        """One label per text, a value of :attr:`labels` (as the training data gave it)."""
        return [self.labels[i] for i in self.predict_ids(texts, batch_size)]

    def evaluate(self, texts: Sequence[str], labels: Sequence[Any], batch_size: int = 64) -> dict[str, Any]:
        """Metrics against gold labels, matched to :attr:`labels` by their string form (so 1 and
        "1" are the same label)."""
        index = {str(name): i for i, name in enumerate(self.labels)}
        unknown = sorted({str(label) for label in labels if str(label) not in index})
        if unknown:
            raise ValueError(f"labels {unknown[:10]} are not among the model's labels {self.labels}")
        gold = [index[str(label)] for label in labels]
        return classification_metrics(gold, self.predict_ids(texts, batch_size), [str(v) for v in self.labels])


def _model_folder(source: str | os.PathLike, revision: str | None, token: str | bool | None) -> Path:
    """A local model folder, or a hub repo downloaded; a ValueError naming the problem otherwise
    (a mistyped local path is never sent to the Hub resolver)."""
    if looks_like_path(str(source)):
        return require_model_folder(source)
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import (
        HfHubHTTPError,
        HFValidationError,
        LocalEntryNotFoundError,
    )

    # Not a local path: a hub repo id. Only what a prediction needs is downloaded.
    try:
        return Path(snapshot_download(str(source), revision=revision, token=token,
                                      allow_patterns=["*.json", "*.safetensors", "*.txt", "*.model", "README.md"]))
    except (HfHubHTTPError, HFValidationError, LocalEntryNotFoundError, OSError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ValueError(f"{source}: no such model folder, and it could not be loaded as a hub repo id ({first})") from err


def load(source: str | os.PathLike, *, revision: str | None = None, token: str | bool | None = None) -> TextClassifier:
    """A :class:`TextClassifier` from a folder written by :func:`textaug.train`, a transformers
    checkpoint folder, or a hub repo id. The folder's config.json ``model_type`` picks the kind."""
    folder = _model_folder(source, revision, token)
    config = check_model_files(folder)
    training = read_training_info(folder)
    max_length = int(training.get("config", {}).get("max_length", 512))
    try:
        model, encoder = kind_for_folder(config).load(folder, max_length)
    except (OSError, RuntimeError, KeyError, TypeError) as err:
        # torch's and transformers' words for a folder whose files disagree (a weight of another
        # shape, a missing tokenizer file): one line naming the folder
        said = " ".join(str(err).split()) or type(err).__name__  # torch puts the detail on later lines
        raise ValueError(f"{folder}: the model cannot be loaded from its files ({said[:300]})") from None
    id2label = model.id2label if isinstance(getattr(model, "id2label", None), dict) else model.config.id2label
    names = [id2label[i] for i in range(len(id2label))]
    # training_config.json keeps the label values' types (ints stay ints); config.json has strings
    labels = training.get("labels") or names
    if [str(v) for v in labels] != [str(n) for n in names]:
        raise ValueError(f"{folder}: training_config.json labels {labels} disagree with config.json {names}")
    return TextClassifier(model.eval(), encoder, labels)
