"""Classification metrics over the whole label set, checked by hand and against scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest

from textaug.metrics import classification_metrics, format_metrics


def test_three_classes_with_one_never_predicted():
    gold = [0, 0, 1, 1, 2, 2, 2]
    pred = [0, 1, 1, 1, 0, 0, 1]  # class 2 is never predicted
    m = classification_metrics(gold, pred, ["a", "b", "c"], loss=0.5)
    assert m["accuracy"] == pytest.approx(3 / 7) and m["examples"] == 7 and m["loss"] == 0.5
    a, b, c = (m["per_class"][k] for k in "abc")
    assert (a["precision"], a["recall"], a["support"]) == (pytest.approx(1 / 3), 0.5, 2)
    assert (b["precision"], b["recall"], b["support"]) == (0.5, 1.0, 2)
    assert (c["precision"], c["recall"], c["f1"], c["support"]) == (0.0, 0.0, 0.0, 3)
    f1 = [2 * (1 / 3) * 0.5 / (1 / 3 + 0.5), 2 * 0.5 * 1.0 / (0.5 + 1.0), 0.0]
    assert m["macro_f1"] == pytest.approx(np.mean(f1))  # the unpredicted class counts in the mean
    assert m["confusion_matrix"]["rows_true_columns_predicted"] == [[1, 1, 0], [0, 2, 0], [2, 1, 0]]


def test_a_class_absent_from_the_sample_still_counts():
    m = classification_metrics([0, 0, 1], [0, 0, 1], ["x", "y", "z"])
    assert m["accuracy"] == 1.0 and m["per_class"]["z"]["support"] == 0
    assert m["macro_f1"] == pytest.approx(2 / 3)  # over the label set, as the model card reports it


def test_agrees_with_scikit_learn_on_random_labels():
    from sklearn.metrics import classification_report

    rng = np.random.default_rng(0)
    gold, pred = rng.integers(0, 5, 300), rng.integers(0, 4, 300)
    names = [f"c{i}" for i in range(5)]
    m = classification_metrics(gold, pred, names)
    report = classification_report(gold, pred, labels=range(5), target_names=names, output_dict=True, zero_division=0)
    assert m["macro_f1"] == pytest.approx(report["macro avg"]["f1-score"])
    for name in names:
        assert m["per_class"][name]["f1"] == pytest.approx(report[name]["f1-score"])
        assert m["per_class"][name]["support"] == report[name]["support"]


def test_mismatched_lengths_and_the_printed_table():
    with pytest.raises(ValueError, match="3 labels but 2 predictions"):
        classification_metrics([0, 1, 1], [0, 1], ["a", "b"])
    text = format_metrics(classification_metrics([0, 1, 2], [0, 1, 1], ["a", "b", "c"]), title="TEST:")
    assert text.splitlines()[0] == "TEST:" and "accuracy 0.6667" in text and "confusion" in text
