"""Recipes as data: spec strings, compositions, and everything derived from the classes' declarations."""

from __future__ import annotations

import pytest

from textaug import AEDA, EDA, BackTranslate, OneOf, RandomDelete, Sequential, SynonymReplace
from textaug.augment.recipes import augmenter_tags, build_augmenter, parse_spec, recipe_names
from textaug.config import TrainConfig


def test_every_recipe_is_declared_by_its_class():
    assert recipe_names() == ["aeda", "backtranslate", "contextual", "delete", "eda", "embedding", "insert", "swap",
                              "synonym"]
    assert parse_spec("eda")[0][0] == (EDA, {})


def test_spec_fields_alpha_and_lists():
    aug = build_augmenter("eda:alpha=0.05,n_aug=16", n_aug=4)
    assert isinstance(aug, EDA) and aug.n_aug == 16 and (aug.alpha_sr, aug.alpha_ri, aug.alpha_rs, aug.p_rd) == (0.05,) * 4
    assert build_augmenter("eda:alpha_sr=0.2", alpha=0.1).alpha_sr == 0.2  # the spec wins over --alpha
    assert build_augmenter("delete", alpha=0.3).p == 0.3  # --alpha sets each recipe's own rate field
    bt = build_augmenter("backtranslate:backend=seq2seq,pivots=de/fr,models=a>b/c>d,sampling=false", check=False)
    assert isinstance(bt, BackTranslate) and bt.pivots == ("de", "fr") and bt.models == (("a", "b"), ("c", "d"))
    assert bt.sampling is False


def test_compositions():
    seq = build_augmenter("synonym:alpha=0.2+aeda", n_aug=3, seed=5)
    assert isinstance(seq, Sequential) and seq.n_aug == 3 and seq.seed == 5
    assert [type(a) for a in seq.augmenters] == [SynonymReplace, AEDA] and seq.augmenters[0].alpha == 0.2
    one = build_augmenter("swap|delete:p=0.3+aeda")
    assert isinstance(one, OneOf) and isinstance(one.augmenters[1], Sequential)
    assert isinstance(one.augmenters[1].augmenters[0], RandomDelete) and one.augmenters[1].augmenters[0].p == 0.3
    assert augmenter_tags(one) == ["random-swap", "random-deletion", "aeda", "punctuation-insertion"]


@pytest.mark.parametrize(("spec", "message"), [
    ("edaa", r"unknown augmentation recipe 'edaa' in 'edaa'; recipes: \['aeda', 'backtranslate'"),
    ("eda:alpa=0.1", r"eda: unknown field 'alpa' in 'eda:alpa=0.1'; its fields: \['alpha', 'alpha_ri'"),
    ("eda:alpha=x", r"eda: alpha='x' is not a float"),
    ("eda:alpha=2", r"alpha_sr must be in \[0, 1\]"),
    ("swap+eda:n_aug=3", "n_aug and seed of a composition are set for the whole"),
    ("backtranslate:alpha=0.1", r"backtranslate: unknown field 'alpha'.*its fields: \['backend'"),
    ("eda:lexicon=x", r"unknown field 'lexicon'"),
    ("", "non-empty string"),
])
def test_a_bad_spec_names_the_field_and_the_fields_that_exist(spec, message):
    with pytest.raises(ValueError, match=message):
        build_augmenter(spec, check=False)


def test_train_config_takes_specs_and_checks_them_up_front():
    assert TrainConfig(augment="eda:alpha=0.05,n_aug=16").augment == "eda:alpha=0.05,n_aug=16"
    with pytest.raises(ValueError, match="unknown field 'alpa'"):
        TrainConfig(augment="eda:alpa=0.1")
    with pytest.raises(ValueError, match="n_aug and seed of a composition"):
        TrainConfig(augment="eda:alpha=0.05,n_aug=16+aeda")
    assert TrainConfig(augment="synonym:alpha=0.2+aeda").augment == "synonym:alpha=0.2+aeda"


def test_the_command_line_takes_a_spec(tmp_path, capsys):
    from textaug.cli import main

    src = tmp_path / "in.csv"
    src.write_text("text,label\nThe plot is thin but the actors are wonderful.,1\nA dull film.,0\n", encoding="utf-8")
    assert main(["augment", str(src), "-o", str(tmp_path / "o.jsonl"), "--recipe", "swap|aeda:ratio=0.5",
                 "--n-aug", "3"]) == 0
    assert "rows in: 2  rows out: 8" in capsys.readouterr().out
    assert main(["augment", str(src), "-o", str(tmp_path / "o.jsonl"), "--recipe", "eda:alpa=0.1"]) == 2
    assert "its fields: ['alpha'" in capsys.readouterr().err
