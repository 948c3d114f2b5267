"""A transformer encoder read by the mean of its token states, with a linear classifier on top:
the sentence-embedding model of sentence-transformers and SetFit, as a textaug classifier.

``AutoModelForSequenceClassification`` reads the first token (BERT's pooler, RoBERTa's head),
which all-MiniLM-L6-v2 was never trained to make meaningful: its sentence embedding is the
attention-masked mean of the last hidden states (its ``1_Pooling`` folder says so). The
contrastive stage trains that embedding, so the classifier must read the same one.

The folder it writes is the encoder's own ``config.json`` (with ``textaug_pooling: "mean"`` and the
labels) and one ``model.safetensors`` holding the encoder (``encoder.*``) and the classifier
(``classifier.*``); :func:`load_mean_pooling` reads it back strictly, so a weight that is missing
or of another shape is an error, never a randomly initialised layer.

The embedding is not scaled to unit length, though all-MiniLM-L6-v2's own pipeline ends in a
``Normalize`` module (and so SetFit's head sees unit vectors): the cosine loss is the same either
way, and the logistic-regression head at its default strength fitted worse on unit vectors (TREC,
8 rows per class, one draw: 53.2% against 63.0% at 20 pairs per row, 61.0% against 68.0% at 40).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn
from transformers.modeling_outputs import SequenceClassifierOutput

from ..sources import WEIGHT_FILES

__all__ = ["MeanPoolingClassifier", "PooledOutput", "POOLING_KEY", "MEAN", "is_mean_pooling", "mean_pool",
           "build_mean_pooling", "load_mean_pooling"]

#: The config.json key that marks a mean-pooling classifier folder, and its value.
POOLING_KEY, MEAN = "textaug_pooling", "mean"
_WEIGHTS = WEIGHT_FILES[0]


@dataclass
class PooledOutput(SequenceClassifierOutput):
    """``logits`` as every textaug classifier returns them, and the sentence ``embeddings`` they
    are computed from (what a contrastive loss compares)."""

    embeddings: torch.Tensor | None = None


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """The mean of the token states a text's attention mask covers (padding left out)."""
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)


def is_mean_pooling(config_json: dict[str, Any]) -> bool:
    return config_json.get(POOLING_KEY) == MEAN


class MeanPoolingClassifier(nn.Module):
    """``classifier(dropout(mean_pool(encoder(text))))``. ``encoder`` is a transformers base model
    (``AutoModel``); its first-token pooler, which this model never reads, is dropped so that no
    parameter goes without a gradient (DDP requires that)."""

    def __init__(self, encoder: nn.Module, num_labels: int, dropout: float = 0.1) -> None:
        super().__init__()
        if getattr(encoder, "pooler", None) is not None:
            encoder.pooler = None
        self.encoder = encoder
        self.config = encoder.config
        self.config.num_labels = num_labels
        setattr(self.config, POOLING_KEY, MEAN)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(self.config.hidden_size, num_labels)

    @property
    def base_model(self) -> nn.Module:
        """The encoder, where the layer-group and mixup helpers look for it."""
        return self.encoder

    def get_input_embeddings(self) -> nn.Module:
        return self.encoder.get_input_embeddings()

    def embed(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, **inputs: Any) -> torch.Tensor:
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask, **inputs).last_hidden_state
        return mean_pool(hidden, attention_mask)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, labels: torch.Tensor | None = None,
                **inputs: Any) -> PooledOutput:
        embeddings = self.embed(input_ids, attention_mask, **inputs)
        logits = self.classifier(self.dropout(embeddings))
        loss = nn.functional.cross_entropy(logits, labels) if labels is not None else None
        return PooledOutput(loss=loss, logits=logits, embeddings=embeddings)

    def save_pretrained(self, folder: str | Path) -> None:
        from safetensors.torch import save_model

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.config.architectures = [type(self).__name__]
        self.config.save_pretrained(folder)
        save_model(self, str(folder / _WEIGHTS))


def build_mean_pooling(source: str, labels: list[str] | tuple[str, ...]) -> MeanPoolingClassifier:
    """A mean-pooling classifier on the pretrained encoder ``source`` (a folder or hub id), with a
    new classifier for ``labels``."""
    from transformers import AutoModel

    encoder = AutoModel.from_pretrained(source)
    model = MeanPoolingClassifier(encoder, len(labels), dropout=getattr(encoder.config, "hidden_dropout_prob", 0.1))
    model.config.id2label = dict(enumerate(labels))
    model.config.label2id = {name: i for i, name in enumerate(labels)}
    return model


def load_mean_pooling(folder: Path) -> MeanPoolingClassifier:
    """The classifier a :meth:`MeanPoolingClassifier.save_pretrained` folder holds; a ValueError
    naming the folder when its weights do not fit its config."""
    from safetensors.torch import load_model
    from transformers import AutoConfig

    from transformers import AutoModel

    config = AutoConfig.from_pretrained(folder)
    model = MeanPoolingClassifier(AutoModel.from_config(config), config.num_labels,
                                  dropout=getattr(config, "hidden_dropout_prob", 0.1))
    try:
        load_model(model, str(folder / _WEIGHTS), strict=True)
    except RuntimeError as err:
        said = " ".join(str(err).split())
        raise ValueError(f"{folder}/{_WEIGHTS}: the weights do not fit config.json ({said[:300]})") from None
    return model
