"""A bidirectional LSTM classifier over pretrained static word vectors.

Saved and reloaded through ``huggingface_hub.PyTorchModelHubMixin``: ``config.json`` holds the
constructor arguments and ``model.safetensors`` the weights, so nothing is pickled.
"""

from __future__ import annotations

import torch
from huggingface_hub import PyTorchModelHubMixin
from torch import nn
from transformers.modeling_outputs import SequenceClassifierOutput

__all__ = ["BiLSTMClassifier", "BILSTM_MODEL_TYPE"]

#: ``model_type`` written into config.json, which is how :func:`textaug.load` tells the kinds apart.
BILSTM_MODEL_TYPE = "textaug-bilstm"


class BiLSTMClassifier(nn.Module, PyTorchModelHubMixin, library_name="textaug", tags=["text-classification", "bilstm"]):
    """Embedding -> BiLSTM -> masked max- and mean-pooling -> dropout -> linear.

    Pooling both ways over the real (unpadded) positions is what the EDA paper's RNN baseline
    approximates with its last state; it is steadier on short texts.
    """

    def __init__(self, vocab_size: int, embedding_dim: int, num_labels: int, hidden_size: int = 128,
                 num_layers: int = 1, dropout: float = 0.3, id2label: dict | None = None,
                 label2id: dict | None = None, model_type: str = BILSTM_MODEL_TYPE) -> None:
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

    def layer_groups(self) -> tuple[list[list[nn.Parameter]], list[nn.Parameter]]:
        """(pretrained groups, new parameters): the word vectors are the only pretrained part."""
        return [list(self.embedding.parameters())], [*self.lstm.parameters(), *self.classifier.parameters()]

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None,
                labels: torch.Tensor | None = None) -> SequenceClassifierOutput:
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
        logits = self.classifier(self.dropout(torch.cat([maxed, mean], dim=-1)))
        loss = nn.functional.cross_entropy(logits, labels) if labels is not None else None
        return SequenceClassifierOutput(loss=loss, logits=logits)
