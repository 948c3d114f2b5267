"""Consistency training (UDA, Xie et al. 2020): the supervised loss plus ``weight`` times the KL
divergence between the model's prediction on an example and on an augmented copy of it.

    loss = CE(f(x_l), y)  [signal-annealed]  +  weight * mean_u( mask_u * KL( sharpen(f(x_u)) || f(T(x_u)) ) )

- The examples ``x_u`` are unlabeled texts when ``--unlabeled`` is given (``unlabeled_ratio`` of
  them per labeled example, sampled afresh each step), else the labeled batch itself.
- ``T`` is any textaug recipe, applied on the fly to the texts of each step: the augmenter is seeded
  by (seed, epoch), so every epoch sees new copies, and a resumed run sees the ones it would have.
- The prediction on the original is a target: no gradient flows through it (as in UDA), it is
  sharpened by ``temperature`` and only rows whose confidence reaches ``threshold`` count.
- Training-signal annealing (``tsa``) drops labeled examples the model already predicts with a
  probability above ``eta_t``, which rises from 1/K to 1 over training (linear, exp or log), so
  a few labels are not memorised before the unlabeled signal has shaped the model.

The labeled batch and the augmented copies go through the model in one forward pass (and the
originals of unlabeled texts in a second one without gradient), which keeps DDP's one forward per
backward.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from ..config import TSA
from ..models.encoding import pad_batch
from .batches import ROW
from .objectives import StepContext, model_inputs

if TYPE_CHECKING:
    from ..augment.base import Augmenter
    from ..models.encoding import TextEncoder

__all__ = ["TSA", "tsa_threshold", "Consistency", "consistency_kl", "AUGMENT_STREAM"]

#: Salt of the consistency augmenter's seeds, so its copies never repeat the `--augment` copies.
AUGMENT_STREAM = 0xC0517


def tsa_threshold(schedule: TSA, progress: float, num_labels: int) -> float:
    """``eta_t = alpha_t * (1 - 1/K) + 1/K`` with ``alpha_t`` the schedule at ``progress`` (0..1)."""
    schedule = TSA(schedule)
    if schedule is TSA.NONE:
        return 1.0
    alpha = {TSA.LINEAR: progress, TSA.EXP: math.exp((progress - 1) * 5), TSA.LOG: 1 - math.exp(-progress * 5)}[schedule]
    return alpha * (1 - 1 / num_labels) + 1 / num_labels


def consistency_kl(original_logits: torch.Tensor, augmented_logits: torch.Tensor, *, temperature: float,
                   threshold: float) -> tuple[torch.Tensor, torch.Tensor]:
    """(per-row masked KL(sharpened p(original) || p(augmented)), the confidence mask)."""
    original_logits = original_logits.detach().float()
    confident = torch.softmax(original_logits, dim=-1).max(dim=-1).values >= threshold
    target = torch.softmax(original_logits / temperature, dim=-1)
    log_aug = torch.log_softmax(augmented_logits.float(), dim=-1)
    kl = (target * (torch.log(target.clamp_min(1e-12)) - log_aug)).sum(dim=-1)
    return kl * confident.to(kl.dtype), confident


def _cat_padded(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor], pad_id: int) -> dict[str, torch.Tensor]:
    """Two padded batches as one, padded to the wider."""
    width = max(a["input_ids"].shape[1], b["input_ids"].shape[1])

    def widen(x: torch.Tensor, value: int) -> torch.Tensor:
        return torch.nn.functional.pad(x, (0, width - x.shape[1]), value=value)

    return {"input_ids": torch.cat([widen(a["input_ids"], pad_id), widen(b["input_ids"], pad_id)]),
            "attention_mask": torch.cat([widen(a["attention_mask"], 0), widen(b["attention_mask"], 0)])}


@dataclass
class Consistency:
    """The UDA objective (see the module docstring). ``train_texts`` are the texts of the training
    rows in the order fit's batches index them (``row``); ``unlabeled_texts`` the unlabeled pool."""

    augmenter: "Augmenter"  # n_aug=1; re-seeded per epoch
    encoder: "TextEncoder"
    train_texts: Sequence[str]
    seed: int
    weight: float = 1.0
    threshold: float = 0.45
    temperature: float = 0.85
    tsa: TSA = TSA.LINEAR
    unlabeled_texts: Sequence[str] | None = None
    unlabeled_ratio: int = 3
    label_smoothing: float = 0.0
    #: what the unlabeled data is (for training_config.json and the card)
    unlabeled_described: str | None = None
    recipe: str = ""
    name: str = "consistency"
    _epoch_augmenters: dict[int, "Augmenter"] = field(default_factory=dict, repr=False)
    #: the last step's figures as tensors: read through :attr:`last`, so the loop pays no device
    #: sync for them (fit syncs its loss once every few batches)
    _last: dict[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.tsa = TSA(self.tsa)
        if self.weight < 0:
            raise ValueError(f"consistency weight must not be negative, got {self.weight}")
        if not 0 <= self.threshold < 1:
            raise ValueError(f"uda threshold must be in [0, 1), got {self.threshold}")
        if not self.temperature > 0:
            raise ValueError(f"uda temperature must be positive, got {self.temperature}")
        if self.unlabeled_ratio < 1:
            raise ValueError(f"unlabeled_ratio must be at least 1, got {self.unlabeled_ratio}")
        if self.unlabeled_texts is not None and len(self.unlabeled_texts) == 0:
            raise ValueError("the unlabeled data is empty")

    # -- the augmented copies -------------------------------------------------------------
    def epoch_augmenter(self, epoch: int) -> "Augmenter":
        from dataclasses import replace

        if epoch not in self._epoch_augmenters:
            # (a composition seeds its parts from its own seed, so the top level is enough)
            seed = int(np.random.SeedSequence([self.seed, epoch, AUGMENT_STREAM]).generate_state(1)[0] % (1 << 20))
            self._epoch_augmenters = {epoch: replace(self.augmenter, seed=seed)}
        return self._epoch_augmenters[epoch]

    def augmented(self, texts: Sequence[str], indices: Sequence[int], epoch: int, rank: int | None = None) -> list[str]:
        """One augmented copy per text; a text the recipe passes through (or cannot change) is its own copy."""
        outputs = self.epoch_augmenter(epoch).augment_batch(list(texts), list(indices), rank=rank)
        return [text if not out else out[0][0] for text, out in zip(texts, outputs)]

    def _padded(self, texts: Sequence[str], device: torch.device) -> dict[str, torch.Tensor]:
        batch = pad_batch(self.encoder.encode(texts), self.encoder.pad_id)
        return {k: v.to(device) for k, v in batch.items()}

    def unlabeled_rows(self, n_labeled: int, ctx: StepContext) -> np.ndarray:
        """The unlabeled rows of this step: ``unlabeled_ratio`` per labeled row, drawn without
        replacement (with, if the pool is smaller), from this step's own seed."""
        size = len(self.unlabeled_texts or ())
        n = n_labeled * self.unlabeled_ratio
        return ctx.numpy(stream=2).choice(size, n, replace=size < n)

    # -- the loss -------------------------------------------------------------------------
    def __call__(self, model: torch.nn.Module, batch: dict[str, torch.Tensor], ctx: StepContext) -> torch.Tensor:
        labels = batch["labels"]
        device = labels.device
        n = len(labels)
        if self.unlabeled_texts is None:
            rows = batch[ROW].tolist()
            originals = None  # the labeled batch's own predictions, from the joint pass
            texts = [self.train_texts[i] for i in rows]
        else:
            rows = self.unlabeled_rows(n, ctx).tolist()
            texts = [self.unlabeled_texts[i] for i in rows]
            with torch.no_grad():
                originals = model(**self._padded(texts, device)).logits
        copies = self._padded(self.augmented(texts, rows, ctx.epoch, ctx.process_index), device)
        logits = model(**_cat_padded(model_inputs(batch), copies, self.encoder.pad_id)).logits
        labeled, augmented = logits[:n], logits[n:]

        ce = torch.nn.functional.cross_entropy(labeled.float(), labels, reduction="none",
                                               label_smoothing=self.label_smoothing)
        eta = tsa_threshold(self.tsa, ctx.progress, labeled.shape[-1])
        keep = torch.ones_like(ce)
        if self.tsa is not TSA.NONE:
            correct = torch.softmax(labeled.detach().float(), dim=-1).gather(1, labels[:, None]).squeeze(1)
            keep = (correct <= eta).to(ce.dtype)
        supervised = (ce * keep).sum() / keep.sum().clamp_min(1.0)
        kl, confident = consistency_kl(labeled if originals is None else originals, augmented,
                                       temperature=self.temperature, threshold=self.threshold)
        unsupervised = kl.mean()
        self._last = {"supervised": supervised.detach(), "consistency": unsupervised.detach(),
                      "tsa_kept": keep.mean(), "confident": confident.float().mean(), "eta": eta}
        return supervised + self.weight * unsupervised

    @property
    def last(self) -> dict[str, float]:
        """The last step's supervised and consistency terms, the share of labeled rows TSA kept,
        the share of confident rows, and eta: for watching, not part of the loss."""
        return {k: float(v) for k, v in self._last.items()}

    def config(self) -> dict[str, Any]:
        return {"objective": self.name, "weight": self.weight, "augment": self.recipe,
                "threshold": self.threshold, "temperature": self.temperature, "tsa": self.tsa.value,
                "unlabeled": self.unlabeled_described,
                "unlabeled_ratio": self.unlabeled_ratio if self.unlabeled_texts is not None else None,
                "unlabeled_examples": None if self.unlabeled_texts is None else len(self.unlabeled_texts)}

