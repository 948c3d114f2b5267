"""The confidence filter: a trained textaug model must still give an augmented row its source's
label. It lives above the trainer and ``load`` (it loads a model folder), and plugs into
:class:`textaug.augment.filters.Filtered` like any filter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from .augment.runtime import process_resource
from .predict import load
from .sources import check_model_source

__all__ = ["ConfidenceFilter"]


@dataclass(frozen=True, kw_only=True)
class ConfidenceFilter:
    """A textaug model folder (or hub id) must still give the source's label probability >= tau."""

    model_dir: str = field(metadata={"help": "a textaug model folder or hub id that scores the candidates"})
    tau: float = field(default=0.7, metadata={"help": "lowest probability of the source's label kept"})
    needs_labels: ClassVar[bool] = True
    name: ClassVar[str] = "confidence"
    spec_aliases: ClassVar[dict[str, str]] = {"model": "model_dir"}

    def __post_init__(self) -> None:
        if not 0 <= self.tau <= 1:
            raise ValueError(f"tau must be a probability in [0, 1], got {self.tau}")
        check_model_source(self.model_dir)

    def _classifier(self):
        return process_resource(("classifier", self.model_dir), lambda: load(self.model_dir))

    def __call__(self, sources: Sequence[str], candidates: Sequence[str], labels: Sequence[Any] | None):
        if labels is None:
            raise ValueError("ConfidenceFilter needs the labels: give Filtered the label column")
        clf = self._classifier()
        index = {str(v): i for i, v in enumerate(clf.labels)}

        def label_id(value: Any) -> int:
            if str(value) in index:
                return index[str(value)]
            if isinstance(value, int) and 0 <= value < len(clf.labels):  # a ClassLabel id
                return value
            raise ValueError(f"label {value!r} is not among the filter model's labels {clf.labels}")

        proba = clf.predict_proba(list(candidates))
        score = proba[np.arange(len(candidates)), [label_id(v) for v in labels]]
        return score >= self.tau, score
