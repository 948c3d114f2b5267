"""What the static-vector kinds (BiLSTM, CNN) share: a word vocabulary and embedding matrix built
from the training texts and a vectors file, the embedding as the one pretrained layer group, and
save/load through ``huggingface_hub.PyTorchModelHubMixin`` (config.json + safetensors, no pickle)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import nn
from transformers.modeling_outputs import SequenceClassifierOutput

from . import Built
from .encoding import VocabEncoder
from ..vectors import VOCAB_FILE, WordVocab, build_vocab, describe_vectors, require_vectors

if TYPE_CHECKING:
    from ..config import TrainConfig

__all__ = ["StaticVectorsKind", "classifier_output"]


def classifier_output(logits: torch.Tensor, labels: torch.Tensor | None) -> SequenceClassifierOutput:
    """The transformers output type, so every kind answers ``model(**batch).logits`` alike."""
    loss = nn.functional.cross_entropy(logits, labels) if labels is not None else None
    return SequenceClassifierOutput(loss=loss, logits=logits)


@dataclass(frozen=True)
class StaticVectorsKind:
    """A model kind over pretrained static word vectors.

    ``hyper`` picks the constructor arguments of ``model_class`` from the config; the class takes
    ``vocab_size, embedding_dim, num_labels, id2label, label2id`` besides those and exposes
    ``embedding`` (an ``nn.Embedding``).
    """

    name: str
    model_class: type
    model_type: str
    tag: str
    default_lr: float
    default_epochs: int
    hyper: Callable[["TrainConfig"], dict[str, Any]]
    summary: str  # e.g. "a BiLSTM" -> "a BiLSTM over GloVe 6B 50-d (20,123 words)"
    library_name: str = "textaug"

    def check(self, config: "TrainConfig") -> None:
        require_vectors(config.vectors)

    def build(self, config: "TrainConfig", labels: Sequence[str], train_texts: Sequence[str]) -> Built:
        vocab, matrix = build_vocab(train_texts, config.vectors, config.vocab_budget, seed=config.seed)
        model = self.model_class(vocab_size=len(vocab), embedding_dim=int(matrix.shape[1]), num_labels=len(labels),
                                 id2label=dict(enumerate(labels)), label2id={n: i for i, n in enumerate(labels)},
                                 **self.hyper(config))
        with torch.no_grad():
            model.embedding.weight.copy_(torch.from_numpy(matrix))
        pretrained = list(model.embedding.parameters())
        taken = {id(p) for p in pretrained}
        head = [p for p in model.parameters() if id(p) not in taken]
        provenance = {"vectors": describe_vectors(config.vectors), "vocab_size": len(vocab),
                      "embedding_dim": int(matrix.shape[1])}
        return Built(model, VocabEncoder(vocab, config.max_length), [pretrained], head, provenance)

    def load(self, folder: Path, max_length: int):
        vocabulary = folder / VOCAB_FILE
        if not vocabulary.is_file():
            raise ValueError(f"{folder}: no {VOCAB_FILE} (the word vocabulary of a {self.name} model)")
        # strict: a weight the file lacks is an error, not a randomly initialised layer
        model = self.model_class.from_pretrained(folder, strict=True)
        vocab = WordVocab.load(folder)
        if len(vocab.tokens) != model.embedding.num_embeddings:
            raise ValueError(f"{folder}: {VOCAB_FILE} has {len(vocab.tokens):,} words where the weights have "
                             f"{model.embedding.num_embeddings:,} rows")
        return model, VocabEncoder(vocab, max_length)

    def describe(self, config: "TrainConfig", provenance: dict[str, Any], base: str) -> str:
        return f"{self.summary} over {provenance.get('vectors')} ({provenance.get('vocab_size', 0):,} words)"
