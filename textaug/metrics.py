"""Classification metrics (accuracy, macro-F1, per-class precision/recall/F1, confusion matrix)
from scikit-learn, and the short table printed at the end of a run."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["classification_metrics", "format_metrics"]


def classification_metrics(labels: Sequence[int], predictions: Sequence[int], names: Sequence[str],
                           loss: float | None = None) -> dict[str, Any]:
    """Metrics over ``len(names)`` classes (ids ``0..k-1``). A class never predicted (or never
    present) has precision (recall) 0 (``zero_division=0``) and still counts in the macro mean, so
    macro-F1 is over the whole label set, not only the classes this sample happens to contain."""
    from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

    y = np.asarray(labels, dtype=np.int64)
    p = np.asarray(predictions, dtype=np.int64)
    if y.shape != p.shape:
        raise ValueError(f"{len(y)} labels but {len(p)} predictions")
    ids = list(range(len(names)))
    precision, recall, f1, support = precision_recall_fscore_support(y, p, labels=ids, zero_division=0)
    confusion = confusion_matrix(y, p, labels=ids) if len(y) else np.zeros((len(ids), len(ids)), dtype=np.int64)
    result: dict[str, Any] = {
        "accuracy": float(accuracy_score(y, p)) if len(y) else 0.0,
        "macro_f1": float(np.mean(f1)),
        "examples": int(len(y)),
        "per_class": {
            name: {"precision": float(precision[i]), "recall": float(recall[i]), "f1": float(f1[i]),
                   "support": int(support[i])}
            for i, name in enumerate(names)
        },
        "confusion_matrix": {"labels": [str(n) for n in names], "rows_true_columns_predicted": confusion.tolist()},
    }
    if loss is not None:
        result["loss"] = float(loss)
    return result


def format_metrics(metrics: dict[str, Any], title: str | None = None) -> str:
    """A few lines: an optional title, the headline numbers, then precision/recall/F1/support per
    class and the confusion matrix."""
    names = list(metrics["per_class"])
    width = max(10, *(len(n) + 2 for n in names))
    head = f"accuracy {metrics['accuracy']:.4f}   macro-F1 {metrics['macro_f1']:.4f}   examples {metrics['examples']:,}"
    if "loss" in metrics:
        head += f"   loss {metrics['loss']:.4f}"
    lines = ([title] if title else []) + [head, f"{'class':<{width}}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}"]
    for name, row in metrics["per_class"].items():
        lines.append(f"{name:<{width}}{row['precision']:>10.4f}{row['recall']:>10.4f}{row['f1']:>10.4f}{row['support']:>10,}")
    matrix = metrics["confusion_matrix"]["rows_true_columns_predicted"]
    if len(names) <= 10:
        lines.append("confusion (rows true, columns predicted):")
        lines.append(" " * width + "".join(f"{n[:9]:>10}" for n in names))
        for name, row in zip(names, matrix):
            lines.append(f"{name:<{width}}" + "".join(f"{v:>10,}" for v in row))
    return "\n".join(lines)
