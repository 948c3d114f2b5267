"""The cached-features fast path of feature extraction.

With a frozen encoder (``--strategy feature-extraction``) every epoch would run the same encoder
on the same texts. A practitioner computes the features once and trains the head on them; so does
this: the encoder runs once per row, in evaluation mode (no dropout), and training then runs the
model's own head modules on the stored features. The head's parameters are the model's, so after
training the model in the folder is the ordinary one, and the test data goes through it whole.

Which features and which head is the model kind's knowledge (``ModelKind.feature_head``): for a
BERT-family transformer, the first token's last hidden state, then the model's pooler, dropout and
classifier, exactly as its own forward does.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn
from transformers.modeling_outputs import SequenceClassifierOutput

from .batches import ROW, EncodedRows, make_loader

__all__ = ["HeadOnFeatures", "compute_features", "with_features"]


class HeadOnFeatures(nn.Module):
    """The model's head over cached features: ``forward(features=...)`` gives the logits that the
    whole model would give for the texts those features came from (the model's pooled layer is
    inside the head, so mixup and feature-space augmentation at the pooled layer still apply)."""

    def __init__(self, model: nn.Module, head: Callable[[torch.Tensor], torch.Tensor]) -> None:
        super().__init__()
        self.inner_model = model
        self._head = head

    def forward(self, features: torch.Tensor, **_ignored) -> SequenceClassifierOutput:
        return SequenceClassifierOutput(logits=self._head(features))


def compute_features(encode: Callable[..., torch.Tensor], model: nn.Module, rows: EncodedRows, pad_id: int,
                     batch_size: int, device: torch.device) -> torch.Tensor:
    """(rows, dim) features of every row, in row order, by the frozen encoder in evaluation mode."""
    loader, _ = make_loader(rows, batch_size, pad_id, seed=0, shuffle=False)
    was_training = model.training
    model.eval()
    out = torch.empty(0)
    with torch.no_grad():
        for batch in loader:
            feats = encode(input_ids=batch["input_ids"].to(device), attention_mask=batch["attention_mask"].to(device))
            if out.numel() == 0:
                out = torch.empty((len(rows), feats.shape[-1]), dtype=feats.dtype, device=device)
            out[batch[ROW].to(device)] = feats
    model.train(was_training)
    return out


def with_features(rows: EncodedRows, features: torch.Tensor) -> EncodedRows:
    return EncodedRows(rows.ids, rows.labels, rows.sources, features)
