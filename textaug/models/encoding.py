"""Text -> token ids for either model kind, and the dynamic-padding collator both share."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import torch

from ..vectors import WordVocab

__all__ = ["TextEncoder", "TokenizerEncoder", "VocabEncoder", "pad_batch"]


class TextEncoder(Protocol):
    """What the trainer and predictors need from a tokenizer."""

    max_length: int

    @property
    def pad_id(self) -> int: ...

    def encode(self, texts: Sequence[str]) -> list[list[int]]: ...

    def save(self, folder: str | os.PathLike) -> None: ...


@dataclass
class TokenizerEncoder:
    """A Hugging Face tokenizer, truncating to ``max_length`` and never padding (the collator pads)."""

    tokenizer: Any
    max_length: int

    @property
    def pad_id(self) -> int:
        return int(self.tokenizer.pad_token_id or 0)

    def encode(self, texts: Sequence[str]) -> list[list[int]]:
        return self.tokenizer(list(texts), truncation=True, max_length=self.max_length)["input_ids"]

    def save(self, folder: str | os.PathLike) -> None:
        self.tokenizer.save_pretrained(folder)


@dataclass
class VocabEncoder:
    """A :class:`WordVocab` (GloVe-style word tokens)."""

    vocab: WordVocab
    max_length: int

    @property
    def pad_id(self) -> int:
        return self.vocab.pad_id

    def encode(self, texts: Sequence[str]) -> list[list[int]]:
        return [self.vocab.encode(t, self.max_length) for t in texts]

    def save(self, folder: str | os.PathLike) -> None:
        self.vocab.save(folder)


def pad_batch(rows: Sequence[Sequence[int]], pad_id: int, labels: Sequence[int] | None = None) -> dict[str, torch.Tensor]:
    """Pad to the longest row of this batch (dynamic padding), with the attention mask."""
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = torch.as_tensor(row, dtype=torch.long)
        mask[i, : len(row)] = 1
    batch = {"input_ids": ids, "attention_mask": mask}
    if labels is not None:
        batch["labels"] = torch.as_tensor(list(labels), dtype=torch.long)
    return batch
