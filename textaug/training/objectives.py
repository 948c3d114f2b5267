"""Training objectives as objects handed to :func:`textaug.training.fit.fit`.

An objective turns a batch into the loss to minimise. It sees the whole batch, ``aug_source``
included (the index of the original row each training row came from), and a
:class:`StepContext` whose seed is a function of (run seed, epoch, batch, process). Objectives
that draw random numbers (mixup's lambda, feature noise) draw them from that seed alone, never
from global state, so a resumed run draws exactly what an uninterrupted one would have.

- :class:`CrossEntropy`: the supervised loss.
- :class:`Mixup` (Zhang et al. 2018): pairs of examples and their one-hot labels interpolated
  with ``lambda ~ Beta(alpha, alpha)``, at the word-embedding layer or the pooled representation
  (Guo et al. 2019's wordMixup / senMixup).
- :class:`FeatureSpace` (DeVries & Taylor 2017): Gaussian noise on, and same-class interpolation
  between, the pooled features while the head trains.
- consistency training (UDA) wraps one of these: :mod:`textaug.training.consistency`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import torch

from ..config import MixLayer
from .layers import input_embedding_module, pooled_module, rewrite_input, rewrite_output

if TYPE_CHECKING:
    from ..config import TrainConfig

__all__ = ["Objective", "StepContext", "CrossEntropy", "Mixup", "MixLayer", "FeatureSpace", "MODEL_INPUTS",
           "model_inputs", "mixed_targets", "soft_cross_entropy", "same_class_partners", "supervised_objective"]

#: Batch keys a classifier's forward takes; the others (labels, aug_source, row) are the objective's.
#: ``features`` is what the cached-features head takes instead of token ids.
MODEL_INPUTS = ("input_ids", "attention_mask", "features")


def model_inputs(batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: batch[k] for k in MODEL_INPUTS if k in batch}


@dataclass(frozen=True)
class StepContext:
    """Where in training a batch is, and the seed an objective draws its random numbers from."""

    seed: int  # from (run seed, epoch, batch of the epoch, process): see fit
    epoch: int
    batch_index: int  # batches of this epoch this process trained before this one
    progress: float  # share of the optimizer-step budget done before this batch, in [0, 1)
    process_index: int = 0
    num_processes: int = 1

    def numpy(self, stream: int = 0) -> np.random.Generator:
        return np.random.default_rng([self.seed, stream])

    def torch(self, stream: int = 0) -> torch.Generator:
        return torch.Generator().manual_seed(int(self.numpy(stream).integers(2**63 - 1)))


def step_seed(seed: int, epoch: int, batch_index: int, process_index: int) -> int:
    """A well-mixed 63-bit seed for one batch on one process."""
    return int(np.random.SeedSequence([seed, epoch, batch_index, process_index]).generate_state(2, np.uint64)[0] >> 1)


class Objective(Protocol):
    name: str

    def __call__(self, model: torch.nn.Module, batch: dict[str, torch.Tensor], ctx: StepContext) -> torch.Tensor: ...

    def config(self) -> dict[str, Any]:
        """Its parameters, for training_config.json and the model card."""


def soft_cross_entropy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy against probability targets (rows summing to one)."""
    return -(targets * torch.log_softmax(logits.float(), dim=-1)).sum(dim=-1).mean()


def mixed_targets(labels: torch.Tensor, perm: torch.Tensor, lam: float, num_labels: int) -> torch.Tensor:
    """``lam * onehot(y) + (1 - lam) * onehot(y[perm])``: each row sums to one."""
    one_hot = torch.nn.functional.one_hot(labels, num_labels).float()
    return lam * one_hot + (1.0 - lam) * one_hot[perm]


def same_class_partners(labels: np.ndarray, p: float, rng: np.random.Generator) -> np.ndarray:
    """For each row, with probability ``p``, another row of the batch with the same label (picked
    uniformly); the row itself where it is not chosen or has no such partner."""
    rows = np.arange(len(labels))
    partners = rows.copy()
    chosen = rng.random(len(labels)) < p
    for i in np.flatnonzero(chosen):
        peers = np.flatnonzero((labels == labels[i]) & (rows != i))
        if len(peers):
            partners[i] = peers[rng.integers(len(peers))]
    return partners


def _per_row(values: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """(batch,) values shaped to broadcast over ``like`` (batch, ...)."""
    return values.to(like.device, like.dtype).reshape(-1, *([1] * (like.ndim - 1)))


@dataclass(frozen=True)
class CrossEntropy:
    """The supervised loss: mean cross-entropy of the logits against ``labels``."""

    label_smoothing: float = 0.0
    name: str = "cross-entropy"

    def __post_init__(self) -> None:
        if not 0 <= self.label_smoothing < 1:
            raise ValueError(f"label_smoothing must be in [0, 1), got {self.label_smoothing}")

    def logits(self, model: torch.nn.Module, batch: dict[str, torch.Tensor], ctx: StepContext) -> torch.Tensor:
        return model(**model_inputs(batch)).logits

    def __call__(self, model: torch.nn.Module, batch: dict[str, torch.Tensor], ctx: StepContext) -> torch.Tensor:
        logits = self.logits(model, batch, ctx)
        return torch.nn.functional.cross_entropy(logits.float(), batch["labels"], label_smoothing=self.label_smoothing)

    def config(self) -> dict[str, Any]:
        return {"objective": self.name, "label_smoothing": self.label_smoothing}


@dataclass(frozen=True)
class Mixup:
    """Mixup: one ``lambda ~ Beta(alpha, alpha)`` per batch, each example mixed with a partner from
    a random permutation of the batch, the loss taken against the equally mixed one-hot labels."""

    alpha: float
    layer: MixLayer = MixLayer.INPUT
    name: str = "mixup"

    def __post_init__(self) -> None:
        if not self.alpha > 0:
            raise ValueError(f"mixup alpha must be positive, got {self.alpha}")
        object.__setattr__(self, "layer", MixLayer(self.layer))

    def draw(self, n: int, ctx: StepContext) -> tuple[float, torch.Tensor]:
        rng = ctx.numpy()
        return float(rng.beta(self.alpha, self.alpha)), torch.as_tensor(rng.permutation(n))

    def __call__(self, model: torch.nn.Module, batch: dict[str, torch.Tensor], ctx: StepContext) -> torch.Tensor:
        labels = batch["labels"]
        lam, perm = self.draw(len(labels), ctx)
        perm = perm.to(labels.device)
        inputs = model_inputs(batch)

        def mix(x: torch.Tensor) -> torch.Tensor:
            return lam * x + (1.0 - lam) * x[perm]

        if self.layer is MixLayer.INPUT:
            if "attention_mask" in inputs:  # a mixed text spans the longer of its two texts
                inputs["attention_mask"] = torch.maximum(inputs["attention_mask"], inputs["attention_mask"][perm])
            with rewrite_output(input_embedding_module(model), mix):
                logits = model(**inputs).logits
        else:
            with rewrite_input(pooled_module(model), mix):
                logits = model(**inputs).logits
        return soft_cross_entropy(logits, mixed_targets(labels, perm, lam, logits.shape[-1]))

    def config(self) -> dict[str, Any]:
        return {"objective": self.name, "alpha": self.alpha, "layer": self.layer.value}


@dataclass(frozen=True)
class FeatureSpace(CrossEntropy):
    """Cross-entropy on perturbed pooled features: with probability ``interpolate`` a row's features
    move a uniform share of the way towards another same-class row's of the batch, then Gaussian
    noise of standard deviation ``noise`` is added. Labels are unchanged (same class)."""

    noise: float = 0.0
    interpolate: float = 0.0
    name: str = "feature-space"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.noise < 0:
            raise ValueError(f"feature noise must not be negative, got {self.noise}")
        if not 0 <= self.interpolate <= 1:
            raise ValueError(f"feature interpolation probability must be in [0, 1], got {self.interpolate}")

    def perturbation(self, labels: torch.Tensor, ctx: StepContext):
        """The function applied to the pooled features of this batch."""
        rng = ctx.numpy()
        partners = torch.as_tensor(same_class_partners(labels.cpu().numpy(), self.interpolate, rng))
        shares = torch.as_tensor(rng.random(len(partners)), dtype=torch.float32)
        shares[partners == torch.arange(len(partners))] = 0.0
        noise_rng = ctx.torch(stream=1)

        def perturb(h: torch.Tensor) -> torch.Tensor:
            if self.interpolate > 0:
                h = h + _per_row(shares, h) * (h[partners.to(h.device)] - h)
            if self.noise > 0:
                h = h + self.noise * torch.randn(h.shape, generator=noise_rng).to(h.device, h.dtype)
            return h

        return perturb

    def logits(self, model: torch.nn.Module, batch: dict[str, torch.Tensor], ctx: StepContext) -> torch.Tensor:
        with rewrite_input(pooled_module(model), self.perturbation(batch["labels"], ctx)):
            return model(**model_inputs(batch)).logits

    def config(self) -> dict[str, Any]:
        return {"objective": self.name, "noise": self.noise, "interpolate": self.interpolate}


def supervised_objective(config: "TrainConfig") -> CrossEntropy | Mixup:
    """The supervised part of the objective that ``config`` asks for."""
    if config.mixup is not None:
        return Mixup(config.mixup, MixLayer(config.mixup_layer))
    if config.feature_noise > 0 or config.feature_interpolate > 0:
        return FeatureSpace(noise=config.feature_noise, interpolate=config.feature_interpolate)
    return CrossEntropy()
