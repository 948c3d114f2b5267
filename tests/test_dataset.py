import random

import os

import pytest
from datasets import ClassLabel, Dataset, DatasetDict, Features, Value

from textaug import AEDA, AUG_OP, AUG_SOURCE, EDA, RandomSwap, SynonymReplace, augment_dataset

TEXTS = [
    "the movie was a great success", "Awful. Simply awful!", "I loved the actors, hated the plot",
    "a quiet film about grief", "Don't miss it", "12 angry men", "one", "the best of the year",
]


def make_ds(texts=TEXTS, n=None):
    texts = list(texts) if n is None else [TEXTS[i % len(TEXTS)] + f" {i}" for i in range(n)]
    return Dataset.from_dict(
        {"text": texts, "label": [i % 2 for i in range(len(texts))], "id": [f"r{i}" for i in range(len(texts))]},
        features=Features({"text": Value("string"), "label": ClassLabel(names=["neg", "pos"]), "id": Value("string")}),
    )


@pytest.mark.parametrize("n_aug, keep", [(1, True), (4, True), (3, False)])
def test_rows_multiply_and_other_columns_are_copied(n_aug, keep):
    ds = make_ds()
    out = augment_dataset(ds, EDA(n_aug=n_aug, keep_original=keep))
    assert len(out) == len(ds) * (n_aug + keep)
    assert out.features["label"] == ds.features["label"]  # ClassLabel survives
    for row in out:
        source = ds[row[AUG_SOURCE]]
        assert row["label"] == source["label"] and row["id"] == source["id"]
    ops = out[AUG_OP]
    assert ops.count("original") == (len(ds) if keep else 0)
    assert set(ops) - {"original"} <= {"synonym_replace", "random_insert", "random_swap", "random_delete"}


def test_plain_ds_map_works_and_originals_come_first():
    ds = make_ds()
    out = ds.map(RandomSwap(n_aug=2), batched=True, with_indices=True)
    assert out[AUG_OP][:3] == ["original", "random_swap", "random_swap"]
    assert out[AUG_SOURCE][:6] == [0, 0, 0, 1, 1, 1]
    assert out["text"][0] == ds["text"][0]


def test_output_is_identical_for_any_batch_size_and_process_count():
    ds = make_ds(n=120)
    aug = EDA(n_aug=3, seed=7)
    reference = augment_dataset(ds, aug, batch_size=1000, load_from_cache_file=False).to_dict()
    for batch_size in (1, 7, 50):
        assert augment_dataset(ds, aug, batch_size=batch_size, load_from_cache_file=False).to_dict() == reference
    assert augment_dataset(ds, aug, num_proc=2, batch_size=16, load_from_cache_file=False).to_dict() == reference


def test_fingerprint_equal_for_equal_config_and_different_otherwise():
    ds = make_ds()

    def fingerprint(aug):
        return ds.map(aug, batched=True, with_indices=True)._fingerprint

    base = fingerprint(EDA(n_aug=2, seed=1))
    assert fingerprint(EDA(n_aug=2, seed=1)) == base
    for other in (EDA(n_aug=2, seed=2), EDA(n_aug=3, seed=1), EDA(n_aug=2, seed=1, alpha_sr=0.2),
                  EDA(n_aug=2, seed=1, keep_original=False), SynonymReplace(n_aug=2, seed=1)):
        assert fingerprint(other) != base, other


def test_fingerprint_is_stable_across_processes():
    import subprocess
    import sys

    code = (
        "from datasets import Dataset; from textaug import EDA;"
        "ds = Dataset.from_dict({'text': ['a b c'], 'label': [0]});"
        "print(ds.map(EDA(n_aug=2), batched=True, with_indices=True)._fingerprint)"
    )
    runs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
            for _ in range(2)}
    assert len(runs) == 1


def test_file_backed_rerun_hits_the_cache(tmp_path):
    make_ds().save_to_disk(str(tmp_path / "ds"))
    from datasets import load_from_disk

    ds = load_from_disk(str(tmp_path / "ds"))
    first = augment_dataset(ds, EDA(n_aug=2))
    second = augment_dataset(ds, EDA(n_aug=2))
    assert first.cache_files and first.cache_files == second.cache_files
    assert first.to_dict() == second.to_dict()


def test_dataset_dict_augments_only_train_unless_told():
    dd = DatasetDict({"train": make_ds(), "test": make_ds()})
    out = augment_dataset(dd, AEDA(n_aug=2))
    assert len(out["train"]) == 3 * len(TEXTS) and len(out["test"]) == len(TEXTS)
    both = augment_dataset(dd, AEDA(n_aug=2), splits=("train", "test"))
    assert len(both["test"]) == 3 * len(TEXTS)
    with pytest.raises(ValueError, match="splits \\['train', 'test'\\]"):
        augment_dataset(dd, AEDA(), splits=("validation",))


BAD = [None, "", "   ", "\n\t", "12345", "😀🎉🙈", "これは日本語の文です", "Это русский текст",
       "<p>Some <b>HTML</b> &amp; more</p>", "qwxz zzqv", " ".join(["word"] * 50_000)]


@pytest.mark.parametrize("keep", [True, False])
def test_bad_inputs_lose_no_row_and_keep_labels(keep):
    ds = Dataset.from_dict({"text": BAD, "label": list(range(len(BAD)))})
    out = augment_dataset(ds, EDA(n_aug=2, keep_original=keep))
    empty = {i for i, t in enumerate(BAD) if t is None or not t.strip()}
    per_row = {i: [r for r in range(len(out)) if out[AUG_SOURCE][r] == i] for i in range(len(BAD))}
    for i, rows in per_row.items():
        if i in empty:  # passes through once, unchanged, as an original
            assert len(rows) == 1 and out["text"][rows[0]] == BAD[i] and out[AUG_OP][rows[0]] == "original"
        else:
            assert len(rows) == 2 + keep
        assert all(out["label"][r] == i for r in rows)


def test_missing_text_column_names_the_columns():
    ds = make_ds().rename_column("text", "sentence")
    with pytest.raises(ValueError, match=r"'text' not found.*\['sentence', 'label', 'id'\]"):
        augment_dataset(ds, EDA())
    with pytest.raises(ValueError, match="'text' not found"):
        ds.map(EDA(), batched=True, with_indices=True)


def test_non_string_text_column_is_refused():
    ds = Dataset.from_dict({"text": [1, 2], "label": [0, 1]})
    with pytest.raises(ValueError, match="must hold strings"):
        augment_dataset(ds, EDA())
    with pytest.raises(ValueError, match="must hold strings"):
        EDA()({"text": [1], "label": [0]}, [0])


def test_unbatched_or_index_free_use_is_refused_clearly():
    ds = make_ds()
    with pytest.raises(ValueError, match="with_indices=True"):
        ds.map(EDA(), batched=True)


def test_chained_augmentation_keeps_the_root_source():
    ds = make_ds()
    once = augment_dataset(ds, RandomSwap(n_aug=1))
    twice = augment_dataset(once, AEDA(n_aug=1))
    assert len(twice) == len(ds) * 4
    assert set(twice[AUG_OP]) == {"original", "random_swap", "aeda", "random_swap+aeda"}
    assert max(twice[AUG_SOURCE]) == len(ds) - 1


def test_global_random_state_is_untouched():
    random.seed(123)
    expected = random.random()
    random.seed(123)
    augment_dataset(make_ds(), EDA(n_aug=2))
    assert random.random() == expected


def test_class_aware_budgets_balance_and_per_label():
    from collections import Counter

    from datasets import ClassLabel, Dataset, Features, Value

    from textaug import AUG_OP, AUG_SOURCE, RandomSwap, augment_dataset
    from textaug.augment.dataset import label_budgets

    features = Features({"text": Value("string"), "label": ClassLabel(names=["rare", "common"])})
    labels = [1, 1, 0, 1, 1, 1, 1, 0]  # 2 rare, 6 common
    ds = Dataset.from_dict({"text": [f"w{i} a b c d" for i in range(8)], "label": labels}, features=features)
    aug = RandomSwap(n_aug=1, seed=3)
    assert label_budgets(ds, 1, balance=True) == {1: 1, 0: 5}  # 6 x 2 = 12 rows per class
    balanced = augment_dataset(ds, aug, balance=True, load_from_cache_file=False)
    assert Counter(balanced["label"]) == {0: 12, 1: 12}
    assert balanced[AUG_SOURCE] == sorted(balanced[AUG_SOURCE])  # row order kept, groups together
    plain = augment_dataset(ds, aug, load_from_cache_file=False)
    # a common row gets the augmentation it gets without budgets (seeded by its own index)
    assert [t for t, s in zip(balanced["text"], balanced[AUG_SOURCE]) if s == 0] == \
        [t for t, s in zip(plain["text"], plain[AUG_SOURCE]) if s == 0]
    by_name = augment_dataset(ds, aug, n_aug_per_label={"rare": 3, "common": 0}, load_from_cache_file=False)
    assert Counter(by_name["label"]) == {0: 8, 1: 6}
    assert set(op for op, l in zip(by_name[AUG_OP], by_name["label"]) if l == 1) == {"original"}
    with pytest.raises(ValueError, match="labels \\['unknown'\\] that the data does not have"):
        augment_dataset(ds, aug, n_aug_per_label={"unknown": 2})
    with pytest.raises(ValueError, match="label column 'y' not found"):
        augment_dataset(ds, aug, balance=True, label_column="y")


def test_only_model_backed_augmenters_ask_datasets_for_a_worker_rank():
    """With a rank, datasets imports torch in every worker: the EDA family must not pay for it."""
    from textaug import EDA, BackTranslate, Filtered, RandomSwap, Sequential, SimilarityFilter
    from textaug.augment.dataset import uses_a_device

    assert not uses_a_device(EDA()) and not uses_a_device(Sequential(augmenters=[EDA(), RandomSwap()]))
    assert uses_a_device(BackTranslate()) and uses_a_device(Sequential(augmenters=[EDA(), BackTranslate()]))
    assert uses_a_device(Filtered(augmenter=RandomSwap(), filters=[SimilarityFilter()]))


def _model_backed():
    from textaug import BackTranslate, ContextualSubstitute, EmbeddingSubstitute, Filtered, RandomSwap, SimilarityFilter

    return [EmbeddingSubstitute(n_aug=2), ContextualSubstitute(n_aug=2, device="cpu"), BackTranslate(n_aug=2),
            Filtered(augmenter=RandomSwap(), filters=[SimilarityFilter(min_sim=-1, max_sim=1)], n_aug=2, fill="best")]


@pytest.mark.parametrize("index", range(4), ids=["embedding", "contextual", "backtranslate", "filtered"])
def test_bad_inputs_through_each_model_backed_augmenter(index):
    """The engine's bad inputs (None, blanks, digits, emoji, other scripts, HTML, 50,000 words):
    no row lost, labels kept, exactly n_aug outputs for every text that is not blank."""
    aug = _model_backed()[index]
    if index == 2:
        from textaug.augment.translators import apertium_modes

        if "eng-spa" not in apertium_modes():
            if os.environ.get("CI"):
                pytest.fail("Apertium is not installed (make installs it as root)")
            pytest.skip("Apertium is not installed")
    ds = Dataset.from_dict({"text": BAD, "label": list(range(len(BAD)))})
    out = augment_dataset(ds, aug, load_from_cache_file=False)
    for i, text in enumerate(BAD):
        rows = [r for r in range(len(out)) if out[AUG_SOURCE][r] == i]
        assert len(rows) == (1 if text is None or not text.strip() else 3), (i, text)
        assert all(out["label"][r] == i for r in rows)
        assert all(isinstance(out["text"][r], str) or text is None for r in rows)
