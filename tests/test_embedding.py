"""Embedding substitution on the real GloVe 6B 50-d vectors."""

from __future__ import annotations

import pytest

from textaug import AUG_OP, EmbeddingSubstitute, augment_dataset

TEXTS = ["A terrible film with a horrible script.", "The Actors were WONDERFUL", "", None, "zzqx qzzx"]


def _ds(texts=TEXTS):
    from datasets import Dataset

    return Dataset.from_dict({"text": texts, "label": list(range(len(texts)))})


def test_neighbours_are_near_words_on_the_real_glove():
    table = EmbeddingSubstitute().table()
    terrible, actor, unknown = table.lookup(["terrible", "actor", "qwzxv"])
    assert "horrible" in terrible[:5] and "terrible" not in terrible
    assert "actress" in actor and unknown == ()
    assert EmbeddingSubstitute().table() is table  # one table per process, built once


def test_substitution_counts_case_and_determinism():
    aug = EmbeddingSubstitute(alpha=0.3, n_aug=3, seed=2)
    out = augment_dataset(_ds(), aug, load_from_cache_file=False)
    assert len(out) == 3 * 4 + 2 and set(out[AUG_OP]) == {"original", "embedding_substitute"}
    made = [t for t, src, op in zip(out["text"], out["aug_source"], out[AUG_OP]) if src == 0 and op != "original"]
    assert all(t != TEXTS[0] and t.startswith("A ") and t.endswith(".") for t in made)
    loud = [t for t, src, op in zip(out["text"], out["aug_source"], out[AUG_OP]) if src == 1 and op != "original"]
    assert any(t != TEXTS[1] for t in loud) and all(t.split()[-1].isupper() or t.endswith("WONDERFUL") for t in loud)
    # unknown words are left alone; same output for any batch size; another seed, other output
    assert [t for t, src in zip(out["text"], out["aug_source"]) if src == 4] == ["zzqx qzzx"] * 4
    again = augment_dataset(_ds(), aug, batch_size=1, load_from_cache_file=False)
    assert again["text"] == out["text"]
    other = augment_dataset(_ds(), EmbeddingSubstitute(alpha=0.3, n_aug=3, seed=3), load_from_cache_file=False)
    assert other["text"] != out["text"]


@pytest.mark.parametrize(("kw", "message"), [
    ({"alpha": 0}, "alpha"), ({"top_k": 0}, "top_k"), ({"min_similarity": 2}, "min_similarity"),
    ({"vectors": "nope.txt"}, "no such vectors file"), ({"stopwords": "the"}, "stopwords"),
])
def test_bad_options(kw, message):
    with pytest.raises(ValueError, match=message):
        EmbeddingSubstitute(**kw)


def test_the_command_line(tmp_path, capsys):
    from textaug.cli import main

    src = tmp_path / "in.csv"
    src.write_text("text,label\nA terrible film.,0\nA wonderful cast.,1\n", encoding="utf-8")
    assert main(["augment", str(src), "-o", str(tmp_path / "out.csv"), "--recipe", "embedding", "--n-aug", "2",
                 "--alpha", "0.5"]) == 0
    assert "rows in: 2  rows out: 6" in capsys.readouterr().out
