"""The contrastive stage (SetFit's method, Tunstall et al. 2022, fed by augmentation): the
encoder is trained on pairs of training rows so that rows of one label embed close together and
rows of different labels apart; then a logistic-regression head is fitted on the frozen
embeddings and becomes the classifier's linear layer.

Stage 1 runs in :func:`textaug.training.fit.fit` like any objective: each training row of a batch
(the anchor) is paired with one partner drawn, from the seed of (run seed, epoch, batch, process)
alone, among the training rows (never validation or test rows):

- a **positive** (target 1) with probability one half: a row of the same label. Where the anchor
  has augmented copies of its own (or is one: rows sharing its ``aug_source``), half of the
  positives are those copies, the augmentation's extra positives; a row alone in its class and
  without copies is paired with itself (dropout makes the two embeddings differ, as in SimCSE);
- a **negative** (target 0) otherwise: a row of another label.

Losses (``contrastive_loss``):

- ``cosine`` (SetFit's ``CosineSimilarityLoss``): the mean squared error between the pair's
  cosine similarity and its target;
- ``pairwise``: the same target on every pair of the batch's anchors and partners, not only the
  drawn ones: a forward pass of 2B rows yields B(2B-1) pairs instead of B, so the encoder sees
  SetFit's pair signal at a fraction of its compute. Same-label and other-label pairs each carry
  half the loss, as SetFit's sampling gives each half the pairs. Measured at 8 rows per class
  (RESULTS §2a), it trails ``cosine`` at the same number of passes: more pairs per pass do not
  replace more passes;
- ``supcon`` (Khosla et al. 2020): every partner is a positive, and the supervised contrastive
  loss over the batch's anchors and partners treats every same-label embedding as a positive and
  every other as a negative (temperature ``contrastive_temperature``).

Anchors and partners go through the model in one forward pass (DDP's one forward per backward);
the model must return ``embeddings`` (:class:`textaug.models.pooling.MeanPoolingClassifier`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from ..config import ContrastiveLoss
from ..models.encoding import pad_batch
from .batches import ROW, EncodedRows
from .layers import unwrap
from .objectives import StepContext

if TYPE_CHECKING:
    from accelerate import Accelerator

__all__ = ["ContrastiveLoss", "PairIndex", "Contrastive", "cosine_pair_loss", "pairwise_cosine_loss",
           "supervised_contrastive_loss",
           "fit_logistic_head"]


@dataclass(frozen=True)
class PairIndex:
    """The training rows by label and by source row, to draw partners from in O(1) a pair."""

    labels: np.ndarray
    sources: np.ndarray
    by_label: dict[int, np.ndarray]
    other_labels: dict[int, np.ndarray]
    by_source: dict[int, np.ndarray]

    @classmethod
    def from_rows(cls, labels, sources) -> "PairIndex":
        labels, sources = np.asarray(labels, dtype=np.int64), np.asarray(sources, dtype=np.int64)
        classes = np.unique(labels)
        if len(classes) < 2:
            raise ValueError("contrastive training needs rows of at least two labels (negatives are rows of "
                             "another label)")
        by_source: dict[int, list[int]] = {}
        for i, s in enumerate(sources.tolist()):
            by_source.setdefault(s, []).append(i)
        return cls(labels, sources, {int(c): np.flatnonzero(labels == c) for c in classes},
                   {int(c): np.flatnonzero(labels != c) for c in classes},
                   {s: np.asarray(rows) for s, rows in by_source.items()})

    def draw(self, anchors: np.ndarray, rng: np.random.Generator, *,
             always_positive: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """(a partner row for each anchor, 1.0 for a positive pair and 0.0 for a negative)."""
        partners = np.empty(len(anchors), dtype=np.int64)
        targets = np.ones(len(anchors), dtype=np.float32) if always_positive else \
            (rng.random(len(anchors)) < 0.5).astype(np.float32)
        for k, a in enumerate(np.asarray(anchors).tolist()):
            label = int(self.labels[a])
            if not targets[k]:
                others = self.other_labels[label]
                partners[k] = others[rng.integers(len(others))]
                continue
            siblings = self.by_source[int(self.sources[a])]
            siblings = siblings[siblings != a]
            peers = self.by_label[label]
            peers = peers[self.sources[peers] != self.sources[a]]
            if len(siblings) and (not len(peers) or rng.random() < 0.5):
                partners[k] = siblings[rng.integers(len(siblings))]
            elif len(peers):
                partners[k] = peers[rng.integers(len(peers))]
            else:
                partners[k] = a
        return partners, targets


def cosine_pair_loss(u: torch.Tensor, v: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """SetFit's CosineSimilarityLoss: mean of (cos(u, v) - target)^2."""
    cos = torch.nn.functional.cosine_similarity(u.float(), v.float(), dim=-1)
    return ((cos - targets.to(cos.device)) ** 2).mean()


def pairwise_cosine_loss(embeddings: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """SetFit's target on every pair (i < j) of ``embeddings``: (cos - [same label])^2, the mean over
    same-label pairs and the mean over other-label pairs weighed one half each (a half with no
    pair in the batch drops out)."""
    z = torch.nn.functional.normalize(embeddings.float(), dim=-1)
    cos = z @ z.T
    upper = torch.triu(torch.ones_like(cos, dtype=torch.bool), diagonal=1)
    same = labels[:, None] == labels[None, :]
    halves = [((cos - 1.0) ** 2)[same & upper], (cos ** 2)[~same & upper]]
    halves = [h.mean() for h in halves if h.numel()]
    return torch.stack(halves).mean()


def supervised_contrastive_loss(embeddings: torch.Tensor, labels: torch.Tensor, temperature: float) -> torch.Tensor:
    """Khosla et al.'s L_out: for each embedding, minus the mean log-probability of its same-label
    embeddings among all the others, at ``temperature``."""
    z = torch.nn.functional.normalize(embeddings.float(), dim=-1)
    logits = z @ z.T / temperature
    n = len(z)
    not_self = ~torch.eye(n, dtype=torch.bool, device=z.device)
    logits = logits.masked_fill(~not_self, float("-inf"))
    log_prob = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    positives = (labels[:, None] == labels[None, :]) & not_self
    counts = positives.sum(dim=1)
    has = counts > 0
    mean_log_prob = (log_prob.masked_fill(~positives, 0.0).sum(dim=1)[has] / counts[has])
    return -mean_log_prob.mean()


@dataclass(frozen=True)
class Contrastive:
    """Stage 1 as an objective: each batch row paired with a partner drawn from ``rows``."""

    rows: EncodedRows
    pad_id: int
    loss: ContrastiveLoss = ContrastiveLoss.COSINE
    temperature: float = 0.07
    pairs_per_row: int = 20
    name: str = "contrastive"
    index: PairIndex = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "loss", ContrastiveLoss(self.loss))
        if not self.temperature > 0:
            raise ValueError(f"contrastive temperature must be positive, got {self.temperature}")
        object.__setattr__(self, "index", PairIndex.from_rows(self.rows.labels, self.rows.sources))

    def pairs(self, anchors: np.ndarray, ctx: StepContext) -> tuple[np.ndarray, np.ndarray]:
        return self.index.draw(anchors, ctx.numpy(stream=2), always_positive=self.loss is ContrastiveLoss.SUPCON)

    def __call__(self, model: torch.nn.Module, batch: dict[str, torch.Tensor], ctx: StepContext) -> torch.Tensor:
        anchors = batch[ROW].cpu().numpy()
        partners, targets = self.pairs(anchors, ctx)
        both = np.concatenate([anchors, partners])
        inputs = pad_batch([self.rows.ids[i] for i in both.tolist()], self.pad_id,
                           [self.rows.labels[i] for i in both.tolist()])
        device = batch["input_ids"].device
        out = model(input_ids=inputs["input_ids"].to(device), attention_mask=inputs["attention_mask"].to(device))
        embeddings = getattr(out, "embeddings", None)
        if embeddings is None:
            raise ValueError("the contrastive stage needs a model that returns sentence embeddings "
                             "(textaug's mean-pooling classifier)")
        n = len(anchors)
        if self.loss is ContrastiveLoss.COSINE:
            return cosine_pair_loss(embeddings[:n], embeddings[n:], torch.as_tensor(targets))
        if self.loss is ContrastiveLoss.PAIRWISE:
            return pairwise_cosine_loss(embeddings, inputs["labels"].to(device))
        return supervised_contrastive_loss(embeddings, inputs["labels"].to(device), self.temperature)

    def config(self) -> dict[str, Any]:
        described = {"objective": self.name, "loss": self.loss.value, "pairs_per_row": self.pairs_per_row,
                     "pairs": "positives (same label, half of them the row's own augmented copies where it has "
                              "any) and negatives (another label), one partner per row per pass, drawn among "
                              "training rows only", "head": "logistic regression on the frozen embeddings"}
        if self.loss is ContrastiveLoss.PAIRWISE:
            described["pairs"] += "; the loss taken on every pair of the batch's anchors and partners"
        if self.loss is ContrastiveLoss.SUPCON:
            described["temperature"] = self.temperature
        return described


def embed_rows(model: torch.nn.Module, rows: EncodedRows, pad_id: int, batch_size: int, device) -> np.ndarray:
    """The model's sentence embeddings of ``rows`` (eval mode, no gradient), in row order."""
    inner = unwrap(model)
    was_training = inner.training
    inner.eval()
    out = []
    with torch.no_grad():
        for start in range(0, len(rows), batch_size):
            chunk = rows.ids[start:start + batch_size]
            inputs = pad_batch(chunk, pad_id, [0] * len(chunk))
            out.append(inner.embed(inputs["input_ids"].to(device), inputs["attention_mask"].to(device)).float().cpu())
    inner.train(was_training)
    return torch.cat(out).numpy()


def fit_logistic_head(model: torch.nn.Module, rows: EncodedRows, *, pad_id: int, batch_size: int,
                      accelerator: "Accelerator", seed: int) -> dict[str, Any]:
    """Stage 2: a logistic regression (scikit-learn, as SetFit) on the frozen embeddings of the
    training rows, copied into the model's classifier so that ``model(...).logits`` are its
    decision values. Every process fits the same head from the same rows (lbfgs is deterministic)."""
    from sklearn.linear_model import LogisticRegression

    features = embed_rows(model, rows, pad_id, batch_size, accelerator.device)
    labels = np.asarray(rows.labels)
    head = LogisticRegression(max_iter=1000, random_state=seed).fit(features, labels)
    classifier = unwrap(model).classifier
    num_labels = classifier.out_features
    weight = np.zeros((num_labels, features.shape[1]), dtype=np.float32)
    bias = np.zeros(num_labels, dtype=np.float32)
    classes = head.classes_.tolist()
    if len(classes) == 2:  # one decision value: softmax over [-z/2, z/2] is sigmoid(z)
        weight[classes[0]], weight[classes[1]] = -head.coef_[0] / 2, head.coef_[0] / 2
        bias[classes[0]], bias[classes[1]] = -head.intercept_[0] / 2, head.intercept_[0] / 2
    else:
        for k, c in enumerate(classes):
            weight[c], bias[c] = head.coef_[k], head.intercept_[k]
    with torch.no_grad():
        classifier.weight.copy_(torch.from_numpy(weight))
        classifier.bias.copy_(torch.from_numpy(bias))
    return {"head": "logistic-regression", "rows": len(labels), "train_accuracy": round(float(head.score(features, labels)), 4)}
