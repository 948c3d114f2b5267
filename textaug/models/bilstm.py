"""The ``bilstm`` kind (``lstm-glove``): a bidirectional LSTM over pretrained static word vectors."""

from __future__ import annotations

import torch
from huggingface_hub import PyTorchModelHubMixin
from torch import nn

from .static import StaticVectorsKind, classifier_output

__all__ = ["BiLSTMClassifier", "KIND"]


class BiLSTMClassifier(nn.Module, PyTorchModelHubMixin, library_name="textaug", tags=["text-classification", "bilstm"]):
    """Embedding -> BiLSTM -> masked max- and mean-pooling -> dropout -> linear.

    Pooling both ways over the real (unpadded) positions is what the EDA paper's RNN baseline
    approximates with its last state; it is steadier on short texts.
    """

    def __init__(self, vocab_size: int, embedding_dim: int, num_labels: int, hidden_size: int = 128,
                 num_layers: int = 1, dropout: float = 0.3, id2label: dict | None = None,
                 label2id: dict | None = None, model_type: str = "textaug-bilstm") -> None:
        super().__init__()
        if num_labels < 2:
            raise ValueError("a classifier needs at least two labels")
        self.num_labels = num_labels
        self.id2label = {int(k): v for k, v in (id2label or {}).items()}
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=0)
        self.lstm = nn.LSTM(embedding_dim, hidden_size, num_layers=num_layers, batch_first=True,
                            bidirectional=True, dropout=dropout if num_layers > 1 else 0.0)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(4 * hidden_size, num_labels)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None,
                labels: torch.Tensor | None = None):
        if attention_mask is None:
            attention_mask = (input_ids != 0).long()
        lengths = attention_mask.sum(dim=1).clamp(min=1).cpu()
        embedded = self.dropout(self.embedding(input_ids))
        packed = nn.utils.rnn.pack_padded_sequence(embedded, lengths, batch_first=True, enforce_sorted=False)
        out, _ = self.lstm(packed)
        out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=input_ids.shape[1])
        mask = attention_mask.unsqueeze(-1).to(out.dtype)
        mean = (out * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
        maxed = out.masked_fill(mask == 0, torch.finfo(out.dtype).min).max(dim=1).values
        return classifier_output(self.classifier(self.dropout(torch.cat([maxed, mean], dim=-1))), labels)


KIND = StaticVectorsKind(
    name="bilstm", model_class=BiLSTMClassifier, model_type="textaug-bilstm", tag="bilstm",
    default_lr=2e-3, default_epochs=20, summary="a BiLSTM",
    hyper=lambda c: {"hidden_size": c.lstm_hidden, "dropout": c.dropout},
)
