"""The record of a training run, typed: what was scored, what was selected on, what was trained.

``train()`` returns one (``TrainResult.record``); the model card, tune, the demo and the recipes
read its attributes. ``RunRecord.to_dict()`` is the layout of the model folder's metrics.json
(``test``, ``validation`` with its ``history``, ``training``), which ``from_dict`` reads back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Scores", "Selection", "TrainingFacts", "RunRecord"]


@dataclass(frozen=True)
class Scores:
    """Metrics of one evaluation (``textaug.metrics.classification_metrics``) and what it scored."""

    data: str
    accuracy: float
    macro_f1: float
    examples: int
    loss: float | None = None
    per_class: dict[str, dict[str, float]] = field(default_factory=dict)
    confusion_matrix: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_metrics(cls, data: str, metrics: dict[str, Any]) -> "Scores":
        return cls(data=data, accuracy=metrics["accuracy"], macro_f1=metrics["macro_f1"], examples=metrics["examples"],
                   loss=metrics.get("loss"), per_class=metrics.get("per_class", {}),
                   confusion_matrix=metrics.get("confusion_matrix", {}))

    def metric(self, name: str) -> float:
        """``accuracy``, ``macro_f1`` or ``loss`` by name (a config's ``metric``)."""
        if name not in ("accuracy", "macro_f1", "loss"):
            raise ValueError(f"unknown metric {name!r}: accuracy, macro_f1 or loss")
        value = getattr(self, name)
        if value is None:
            raise ValueError(f"no {name} was recorded for {self.data}")
        return value

    def metrics(self) -> dict[str, Any]:
        """The metrics alone, as ``classification_metrics`` gives them (``format_metrics`` reads them)."""
        out: dict[str, Any] = {"accuracy": self.accuracy, "macro_f1": self.macro_f1, "examples": self.examples,
                               "per_class": self.per_class, "confusion_matrix": self.confusion_matrix}
        if self.loss is not None:
            out["loss"] = self.loss
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"data": self.data, **self.metrics()}


@dataclass(frozen=True)
class Selection:
    """The validation evaluation the kept weights were chosen by (``select``: best or last)."""

    scores: Scores
    select: str
    metric: str
    selected_step: int
    history: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {**self.scores.to_dict(), "select": self.select, "metric": self.metric,
                "selected_step": self.selected_step, "history": self.history}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Selection":
        return cls(Scores.from_metrics(d["data"], d), d["select"], d["metric"], d["selected_step"], d["history"])


@dataclass(frozen=True)
class TrainingFacts:
    """What was trained: rows (augmented and original), steps, time, processes."""

    data: str
    examples: int
    original_examples: int
    steps: int
    examples_seen: int
    stopped_early: bool
    stopped_by_callback: bool
    processes: int
    seconds: float
    loop_seconds: float
    #: steps only: evaluation and checkpoint time left out, as Trainer's figure does
    examples_per_second: float | None
    #: the loss per logged step when there was no validation data (else the history is the selection's)
    loss_history: list[dict[str, Any]] | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "loss_history"}
        if self.loss_history is not None:
            out["loss_history"] = self.loss_history
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "TrainingFacts":
        return cls(**{k: d.get(k) for k in cls.__dataclass_fields__})


@dataclass(frozen=True)
class RunRecord:
    #: the reported result: the test data, evaluated once on the kept weights (None without test data)
    test: Scores | None
    #: what selected the kept weights (None without validation data)
    validation: Selection | None
    training: TrainingFacts

    def to_dict(self) -> dict[str, Any]:
        """The metrics.json layout."""
        return {"test": None if self.test is None else self.test.to_dict(),
                "validation": None if self.validation is None else self.validation.to_dict(),
                "training": self.training.to_dict()}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "RunRecord":
        test = d.get("test")
        validation = d.get("validation")
        return cls(None if test is None else Scores.from_metrics(test["data"], test),
                   None if validation is None else Selection.from_dict(validation),
                   TrainingFacts.from_dict(d["training"]))
