"""Label-preservation filters: the real MiniLM for similarity, a trained textaug model for
confidence, and Filtered's counting, filling and statistics."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pytest

from textaug import (AUG_OP, ConfidenceFilter, EDA, Filtered, RandomDelete, RandomSwap, SimilarityFilter,
                     augment_dataset)
from textaug.augment.filters import FILTER_STATS


def _ds(texts, labels):
    from datasets import Dataset

    return Dataset.from_dict({"text": texts, "label": labels})


@dataclass(frozen=True)
class NoSwapFilter:
    """Rejects every random-swap output (a filter is any callable with ``needs_labels``)."""

    needs_labels: ClassVar[bool] = False
    name: ClassVar[str] = "no-swap"

    def __call__(self, sources, candidates, labels):
        ok = np.array([sorted(s.split()) != sorted(c.split()) or s == c for s, c in zip(sources, candidates)])
        return ok, ok.astype(float)


def test_similarity_on_the_real_minilm():
    f = SimilarityFilter(min_sim=0.5, max_sim=0.99)
    ok, score = f(["the film was great", "the film was great", "the film was great"],
                  ["the movie was great", "stock prices fell sharply on monday", "the film was great"], None)
    assert ok.tolist() == [True, False, False]  # close enough; drifted; identical (adds nothing)
    assert score[0] == 0 and score[1] < 0 and score[2] < 0
    vectors = f.embed(["a", "b c"])
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)


def test_filtered_keeps_n_aug_that_pass_and_counts_what_it_dropped():
    texts = ["one two three four five six", "alpha beta gamma delta", "", "x y"]
    aug = Filtered(augmenter=EDA(alpha_sr=0, alpha_ri=0, alpha_rs=0.3, p_rd=0.3), filters=[NoSwapFilter()],
                   n_aug=2, oversample=4)
    out = augment_dataset(_ds(texts, ["a", "b", "a", "b"]), aug, load_from_cache_file=False)
    assert FILTER_STATS not in out.column_names
    ops = [op for op in out[AUG_OP] if op != "original"]
    assert ops and set(ops) == {"random_delete"}  # every swap was dropped
    per_row = {src: sum(1 for s, op in zip(out["aug_source"], out[AUG_OP]) if s == src and op != "original")
               for src in range(4)}
    assert per_row[0] == 2 and per_row[1] == 2 and per_row[2] == 0  # the empty text passes through once
    stats = json.loads(out.info.description)["textaug_filter_stats"]
    assert stats["candidates"] == 3 * 8 and stats["dropped"] == stats["dropped_by_op"]["random_swap"] > 0
    assert sum(stats["dropped_by_label"].values()) == stats["dropped"] and set(stats["dropped_by_label"]) <= {"a", "b"}
    assert stats["kept"] == sum(per_row.values())


def test_filtered_takes_the_augmenter_first_and_keeps_its_n_aug():
    """``Filtered(EDA(n_aug=3), ...)`` keeps 3 rows per source, not the wrapper's own default of 1;
    an n_aug given to the wrapper wins."""
    class PassAll(NoSwapFilter):
        def __call__(self, sources, candidates, labels):
            return np.ones(len(candidates), dtype=bool), np.zeros(len(candidates))

    texts = ["one two three four five six", "alpha beta gamma delta epsilon"]
    inherited = Filtered(RandomDelete(n_aug=3, p=0.5), filters=[PassAll()], oversample=3)
    assert inherited.n_aug == 3
    out = augment_dataset(_ds(texts, [0, 1]), inherited, load_from_cache_file=False)
    assert sum(op != "original" for op in out[AUG_OP]) == 2 * 3
    assert Filtered(RandomDelete(n_aug=3), filters=[PassAll()], n_aug=2).n_aug == 2
    with pytest.raises(TypeError):  # only the augmenter is positional
        Filtered(RandomDelete(), [PassAll()])


def test_fill_fewer_or_best_when_too_few_pass():
    texts = ["one two three four", "five six seven eight"]
    base = {"augmenter": RandomSwap(), "filters": [NoSwapFilter()], "n_aug": 2, "oversample": 2}
    fewer = augment_dataset(_ds(texts, [0, 1]), Filtered(**base), load_from_cache_file=False)
    assert len(fewer) == 2  # nothing passes: only the originals, and the shortfall is counted
    stats = json.loads(fewer.info.description)["textaug_filter_stats"]
    assert stats["rows_short"] == 2 and stats["kept"] == 0 and stats["filled"] == 0
    best = augment_dataset(_ds(texts, [0, 1]), Filtered(**base, fill="best"), load_from_cache_file=False)
    assert len(best) == 2 * 3  # filled up to n_aug with the best-scoring rejects
    assert json.loads(best.info.description)["textaug_filter_stats"]["filled"] == 4


def test_confidence_filter_with_a_trained_model(sst2_small, tmp_path):
    from textaug.config import TrainConfig
    from textaug.predict import load
    from textaug.training.pipeline import train

    train_ds, test_ds = sst2_small
    folder = tmp_path / "clf"
    train(TrainConfig(model="lstm-glove", output_dir=str(folder), epochs=2, vocab_budget=500, select="last"),
          train_dataset=train_ds)
    clf = load(folder)
    texts = list(test_ds["text"][:6])
    labels = list(test_ds["label"][:6])  # ClassLabel ids; the model's labels are the names "0", "1"
    f = ConfidenceFilter(model_dir=str(folder), tau=0.5)
    ok, score = f(texts, texts, labels)
    proba = clf.predict_proba(texts)
    expected = proba[np.arange(6), [clf.labels.index(str(v)) for v in labels]]
    np.testing.assert_allclose(score, expected, rtol=1e-6)
    assert ok.tolist() == (expected >= 0.5).tolist()
    out = augment_dataset(test_ds.select(range(8)), Filtered(augmenter=RandomDelete(), filters=[f], n_aug=1),
                          load_from_cache_file=False)
    assert json.loads(out.info.description)["textaug_filter_stats"]["candidates"] == 16
    with pytest.raises(ValueError, match="no such model folder"):
        ConfidenceFilter(model_dir=str(tmp_path / "missing"))
    with pytest.raises(ValueError, match="needs the labels"):
        augment_dataset(_ds(["a b c"], [0]).remove_columns("label"), Filtered(augmenter=RandomDelete(), filters=[f]))


@pytest.mark.parametrize(("kw", "message"), [
    ({"filters": []}, "filters must be a non-empty list"), ({"oversample": 0}, "oversample"),
    ({"fill": "all"}, "fill must be one of"), ({"augmenter": "eda"}, "needs a textaug Augmenter"),
])
def test_bad_options(kw, message):
    with pytest.raises(ValueError, match=message):
        Filtered(**{"augmenter": RandomSwap(), "filters": [NoSwapFilter()], **kw})
    with pytest.raises(ValueError, match="min_sim < max_sim"):
        SimilarityFilter(min_sim=0.9, max_sim=0.5)


def test_the_command_line(tmp_path, capsys):
    from textaug.cli import main

    src = tmp_path / "in.csv"
    src.write_text("text,label\nThe plot is thin but the actors are wonderful.,1\nA dull and lifeless film.,0\n",
                   encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["augment", str(src), "-o", str(out), "--recipe", "eda", "--n-aug", "2",
                 "--filter", "similarity:min=0.5,max=0.995", "--oversample", "3"]) == 0
    printed = capsys.readouterr().out
    assert "filters: 12 candidates" in printed
    stats = json.loads((tmp_path / "out.jsonl.filter-stats.json").read_text())
    assert stats["candidates"] == 12 and stats["kept"] <= 4
    assert main(["augment", str(src), "-o", str(out), "--filter", "similarity:minimum=0.5"]) == 2
    err = capsys.readouterr().err
    assert "unknown field 'minimum'" in err and "'max', 'max_sim', 'min', 'min_sim', 'model'" in err
    assert main(["augment", str(src), "-o", str(out), "--filter", "confidence:tau=0.7"]) == 2
    assert "needs model=..." in capsys.readouterr().err
    # --filter is sugar for '@' in the recipe: the same step, the same counts
    again = tmp_path / "again.jsonl"
    assert main(["augment", str(src), "-o", str(again), "--recipe", "eda @ similarity:min=0.5,max=0.995,oversample=3",
                 "--n-aug", "2"]) == 0
    assert "filters: 12 candidates" in capsys.readouterr().out
    assert again.read_text() == out.read_text()
    assert json.loads((tmp_path / "again.jsonl.filter-stats.json").read_text()) == stats
    assert main(["augment", str(src), "-o", str(out), "--oversample", "3"]) == 2
    assert "--oversample applies only with a filter" in capsys.readouterr().err
