"""The ``cnn`` kind (``cnn-glove``): the EDA paper's CNN over static word vectors.

Wei & Zou (2019) use: the word vectors, a 1-D convolution of 128 filters of width 5, global max
pooling, dropout, a dense layer and the output layer. Here the dense layer is ``cnn_dense`` ReLU
units (the paper's code: 20), and texts shorter than the filter are padded up to its width.
"""

from __future__ import annotations

import torch
from huggingface_hub import PyTorchModelHubMixin
from torch import nn

from .static import StaticVectorsKind, classifier_output

__all__ = ["CNNClassifier", "KIND"]


class CNNClassifier(nn.Module, PyTorchModelHubMixin, library_name="textaug", tags=["text-classification", "cnn"]):
    """Embedding -> dropout -> Conv1d(width, filters) + ReLU -> masked global max-pool -> dropout
    -> dense + ReLU -> linear."""

    #: The pooled representation (mixup's pooled layer, feature-space augmentation) is the input of
    #: ``dense``: the max-pooled filters, as in the paper's features.
    pooled_module_name = "dense"

    def __init__(self, vocab_size: int, embedding_dim: int, num_labels: int, filters: int = 128, width: int = 5,
                 dense: int = 20, dropout: float = 0.3, id2label: dict | None = None, label2id: dict | None = None,
                 model_type: str = "textaug-cnn") -> None:
        super().__init__()
        if num_labels < 2:
            raise ValueError("a classifier needs at least two labels")
        self.num_labels = num_labels
        self.width = width
        self.id2label = {int(k): v for k, v in (id2label or {}).items()}
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=0)
        self.conv = nn.Conv1d(embedding_dim, filters, kernel_size=width)
        self.dropout = nn.Dropout(dropout)
        self.dense = nn.Linear(filters, dense)
        self.classifier = nn.Linear(dense, num_labels)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None,
                labels: torch.Tensor | None = None):
        if attention_mask is None:
            attention_mask = (input_ids != 0).long()
        short = self.width - input_ids.shape[1]
        if short > 0:  # a text shorter than the filter: pad (padding vectors are zero)
            input_ids = nn.functional.pad(input_ids, (0, short))
            attention_mask = nn.functional.pad(attention_mask, (0, short))
        x = self.dropout(self.embedding(input_ids)).transpose(1, 2)  # (batch, dim, length)
        h = torch.relu(self.conv(x))  # (batch, filters, length - width + 1)
        # a window counts if it starts on a real token, so padding alone never wins the max
        valid = attention_mask[:, : h.shape[2]].unsqueeze(1).bool()
        pooled = h.masked_fill(~valid, torch.finfo(h.dtype).min).max(dim=2).values
        hidden = torch.relu(self.dense(self.dropout(pooled)))
        return classifier_output(self.classifier(self.dropout(hidden)), labels)


KIND = StaticVectorsKind(
    name="cnn", model_class=CNNClassifier, model_type="textaug-cnn", tag="cnn",
    default_lr=1e-3, default_epochs=20, summary="a CNN (1-D convolutions, max-pooling)",
    hyper=lambda c: {"filters": c.cnn_filters, "width": c.cnn_width, "dense": c.cnn_dense, "dropout": c.dropout},
)
