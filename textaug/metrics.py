"""Classification metrics (accuracy, macro-F1, per-class precision/recall/F1, confusion matrix)
computed with numpy, and the short table printed at the end of a run."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["classification_metrics", "format_metrics"]


def classification_metrics(labels: Sequence[int], predictions: Sequence[int], names: Sequence[str],
                           loss: float | None = None) -> dict[str, Any]:
    """Metrics over ``len(names)`` classes. A class with no predictions (or no examples) has
    precision (recall) 0, as scikit-learn's ``zero_division=0``; it still counts in the macro mean."""
    y = np.asarray(labels, dtype=np.int64)
    p = np.asarray(predictions, dtype=np.int64)
    if y.shape != p.shape:
        raise ValueError(f"{len(y)} labels but {len(p)} predictions")
    k = len(names)
    confusion = np.zeros((k, k), dtype=np.int64)  # rows: true class, columns: predicted class
    np.add.at(confusion, (y, p), 1)
    tp = np.diag(confusion).astype(float)
    predicted, support = confusion.sum(axis=0), confusion.sum(axis=1)
    precision = np.divide(tp, predicted, out=np.zeros(k), where=predicted > 0)
    recall = np.divide(tp, support, out=np.zeros(k), where=support > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros(k), where=denom > 0)
    result: dict[str, Any] = {
        "accuracy": float(tp.sum() / max(len(y), 1)),
        "macro_f1": float(f1.mean()),
        "examples": int(len(y)),
        "per_class": {
            name: {"precision": float(precision[i]), "recall": float(recall[i]), "f1": float(f1[i]),
                   "support": int(support[i])}
            for i, name in enumerate(names)
        },
        "confusion_matrix": {"labels": list(names), "rows_true_columns_predicted": confusion.tolist()},
    }
    if loss is not None:
        result["loss"] = float(loss)
    return result


def format_metrics(metrics: dict[str, Any]) -> str:
    """A few lines: headline numbers, then precision/recall/F1/support per class."""
    names = list(metrics["per_class"])
    width = max(10, *(len(n) + 2 for n in names))
    head = f"accuracy {metrics['accuracy']:.4f}   macro-F1 {metrics['macro_f1']:.4f}   examples {metrics['examples']:,}"
    if "loss" in metrics:
        head += f"   loss {metrics['loss']:.4f}"
    lines = [head, f"{'class':<{width}}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}"]
    for name, row in metrics["per_class"].items():
        lines.append(f"{name:<{width}}{row['precision']:>10.4f}{row['recall']:>10.4f}{row['f1']:>10.4f}{row['support']:>10,}")
    matrix = metrics["confusion_matrix"]["rows_true_columns_predicted"]
    if len(names) <= 10:
        lines.append("confusion (rows true, columns predicted):")
        lines.append(" " * width + "".join(f"{n[:9]:>10}" for n in names))
        for name, row in zip(names, matrix):
            lines.append(f"{name:<{width}}" + "".join(f"{v:>10,}" for v in row))
    return "\n".join(lines)
