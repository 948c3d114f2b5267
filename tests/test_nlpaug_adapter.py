import random

import numpy as np
import pytest
from datasets import Dataset

from textaug import AUG_OP, NlpaugAugmenter, augment_dataset

naw = pytest.importorskip("nlpaug.augmenter.word")

TEXTS = ["the film was long but rewarding", "", "an actor at the top of his game", None, "bad"]


def ds():
    return Dataset.from_dict({"text": TEXTS, "label": [0, 1, 0, 1, 0]})


def test_any_nlpaug_augmenter_plugs_in_as_a_map_step():
    aug = NlpaugAugmenter(augmenter=naw.RandomWordAug(action="swap"), n_aug=3, seed=1)
    out = augment_dataset(ds(), aug)
    real = [t for t in TEXTS if t and t.strip()]
    assert len(out) == len(TEXTS) + 3 * len(real)
    augmented = [t for t, op in zip(out["text"], out[AUG_OP]) if op != "original"]
    assert all(isinstance(t, str) and t for t in augmented)
    assert set(out[AUG_OP]) == {"original", "nlpaug:RandomWord_Aug"}
    swapped = [sorted(t.split()) for t, op in zip(out["text"], out[AUG_OP]) if op != "original"][:3]
    assert all(words == sorted(TEXTS[0].split()) for words in swapped)


def test_seeded_per_batch_and_global_state_restored():
    aug = NlpaugAugmenter(augmenter=naw.RandomWordAug(action="delete"), n_aug=2, seed=5)
    random.seed(0)
    np.random.seed(0)
    expected = (random.random(), np.random.rand())
    random.seed(0)
    np.random.seed(0)
    first = augment_dataset(ds(), aug, load_from_cache_file=False)["text"]
    assert (random.random(), np.random.rand()) == expected
    assert augment_dataset(ds(), aug, load_from_cache_file=False)["text"] == first
    other = NlpaugAugmenter(augmenter=naw.RandomWordAug(action="delete"), n_aug=2, seed=6)
    assert augment_dataset(ds(), other, load_from_cache_file=False)["text"] != first


def test_something_else_is_refused():
    with pytest.raises(ValueError, match="nlpaug augmenter"):
        NlpaugAugmenter(augmenter=object())
