"""Back-translation through the real Apertium (Debian's apertium, apertium-eng-spa, apertium-eng-cat)."""

from __future__ import annotations

import os

import pytest

from textaug import AUG_OP, BackTranslate, augment_dataset
from textaug.augment.translators import apertium_modes
from textaug.resources import ResourceNotFoundError

TEXTS = ["The movie was surprisingly good, but the ending dragged.", "I would not watch it again.",
         "A triumph of style over substance.", "", None, "Funny.\nVery   funny."]


@pytest.fixture(scope="module", autouse=True)
def _apertium():
    if not {"eng-spa", "spa-eng", "eng-cat", "cat-eng"} <= apertium_modes():
        message = "Apertium with eng-spa and eng-cat is not installed (make installs it as root)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def _ds(texts=TEXTS):
    from datasets import Dataset

    return Dataset.from_dict({"text": texts, "label": list(range(len(texts)))})


def test_a_round_trip_changes_the_text_and_stays_english():
    aug = BackTranslate(pivots=("spa",))
    out = [row[0] for row in aug.round_trip(TEXTS[:3], "spa")]
    assert len(out) == 3 and out != TEXTS[:3]
    assert "film" in out[0].lower() and "the" in out[0].lower().split()  # English again, not Spanish
    assert not any(word in " ".join(out).lower().split() for word in ("la", "el", "película", "pero"))


def test_exact_counts_ops_and_pass_through_on_a_dataset():
    aug = BackTranslate(pivots=("spa", "cat"), n_aug=3)
    out = augment_dataset(_ds(), aug)
    # 4 live rows x (1 original + 3), 2 pass-through rows once each
    assert len(out) == 4 * 4 + 2
    ops = [op for op in out[AUG_OP] if op != "original"]
    assert set(ops) <= {"backtranslate:apertium:spa", "backtranslate:apertium:cat"} and len(ops) == 12
    first = [t for t, src, op in zip(out["text"], out["aug_source"], out[AUG_OP]) if src == 0 and op != "original"]
    assert first[0] == first[2] != TEXTS[0]  # output k uses pivot k mod 2: deterministic round trips
    # a text with a line break is translated as one line
    last = [t for t, src, op in zip(out["text"], out["aug_source"], out[AUG_OP]) if src == 5 and op != "original"]
    assert all("\n" not in t for t in last)


def test_same_output_for_any_batch_size():
    aug = BackTranslate(pivots=("cat",), n_aug=1)
    a = augment_dataset(_ds(), aug, batch_size=1, load_from_cache_file=False)["text"]
    b = augment_dataset(_ds(), aug, batch_size=100, load_from_cache_file=False)["text"]
    assert a == b


def test_an_unchanged_round_trip_is_retried_with_another_pivot(caplog):
    import logging

    aug = BackTranslate(pivots=("spa", "cat"), n_aug=1)
    # Apertium 3.8 with eng-spa 0.8.1 and eng-cat 1.0.1: "Yes." comes back unchanged through
    # Spanish and as "Aye." through Catalan; "Madrid is big." comes back unchanged through both
    assert aug.round_trip(["Yes.", "Madrid is big."], "spa") == [["Yes."], ["Madrid is big."]]
    with caplog.at_level(logging.INFO, logger="textaug.augment.backtranslate"):
        made = aug.augment_batch(["Yes.", "Madrid is big."], [0, 1])
    assert made[0] == [("Aye.", "backtranslate:apertium:cat")]  # retried with the next pivot
    assert made[1] == [("Madrid is big.", "backtranslate:apertium:spa")]  # kept, and counted
    assert "1 output(s) of 2 rows kept identical" in caplog.text
    assert aug.reproducible == "the same output for any batch size and process count"


def test_missing_modes_and_bad_options_are_named():
    # the hint names the missing pair and the pivots that are installed, never a template
    with pytest.raises(ResourceNotFoundError, match=r"eng-xyz is not installed.*pivots installed for eng: cat, spa") as err:
        BackTranslate(pivots=("xyz",)).check()
    assert "<pivot>" not in str(err.value)
    with pytest.raises(ValueError, match="unknown back-translation backend"):
        BackTranslate(backend="babelfish")
    with pytest.raises(ValueError, match="pivots must be"):
        BackTranslate(pivots=())
    from textaug.augment.recipes import build_augmenter

    with pytest.raises(ValueError, match="has no rate"):
        build_augmenter("backtranslate", alpha=0.1)
    with pytest.raises(ValueError, match="pivots apply to the backtranslate recipe"):
        build_augmenter("eda", pivots=("spa",))


def test_the_command_line(tmp_path, capsys):
    from textaug.cli import main

    src = tmp_path / "in.csv"
    src.write_text("text,label\nThe plot is thin but the actors are wonderful.,1\nA dull film.,0\n", encoding="utf-8")
    assert main(["augment", str(src), "-o", str(tmp_path / "out.jsonl"), "--recipe", "backtranslate",
                 "--pivot", "spa", "cat", "--n-aug", "2"]) == 0
    assert "rows in: 2  rows out: 6" in capsys.readouterr().out
    assert main(["augment", str(src), "-o", str(tmp_path / "o.csv"), "--recipe", "backtranslate",
                 "--pivot", "deu"]) == 2
    err = capsys.readouterr().err
    assert "eng-deu is not installed" in err and "pivots installed for eng: cat, spa" in err
    assert err.count("\n") == 1
