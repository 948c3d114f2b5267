"""Recipes as data: spec strings, compositions, and everything derived from the classes' declarations."""

from __future__ import annotations

import re

import pytest

from textaug import AEDA, EDA, BackTranslate, OneOf, RandomDelete, Sequential, SynonymReplace
from textaug.augment.recipes import augmenter_tags, build_augmenter, parse_spec, recipe_names
from textaug.config import TrainConfig


def test_every_recipe_is_declared_by_its_class():
    assert recipe_names() == ["aeda", "backtranslate", "contextual", "delete", "eda", "embedding", "insert",
                              "llm-generate", "llm-paraphrase", "swap", "synonym"]
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


def test_filters_in_a_spec():
    from textaug import ConfidenceFilter, Filtered, SimilarityFilter
    from textaug.augment.filters import filter_class, filter_names

    aug = build_augmenter("eda:n_aug=3 @ similarity:min=0.5,max=0.99,fill=best", seed=4)
    assert isinstance(aug, Filtered) and isinstance(aug.augmenter, EDA)
    assert aug.n_aug == aug.augmenter.n_aug == 3 and aug.fill == "best" and aug.seed == 4
    assert aug.filters == (SimilarityFilter(min_sim=0.5, max_sim=0.99),)
    composed = build_augmenter("swap|delete @ similarity:min_sim=0.4 @ similarity:oversample=4", n_aug=2)
    assert isinstance(composed.augmenter, OneOf) and composed.oversample == 4 and len(composed.filters) == 2
    assert filter_names() == ["confidence", "similarity"]
    assert all(filter_class(name).name == name for name in filter_names())  # each registered under its own name
    assert filter_class("confidence") is ConfidenceFilter
    # tune's candidates and TrainConfig take the same strings
    from textaug.tuning import parse_candidate

    assert parse_candidate("eda:n_aug=4 @ similarity:min=0.6,max=0.98").options == {
        "augment": "eda:n_aug=4 @ similarity:min=0.6,max=0.98"}
    assert TrainConfig(augment="eda @ similarity:min=0.6").augment == "eda @ similarity:min=0.6"


@pytest.mark.parametrize("spec, message", [
    ("eda @ colour:min=1", "unknown filter 'colour' in 'eda @ colour:min=1'; filters: ['confidence', 'similarity']"),
    ("eda @ similarity:minimum=0.5", "filter similarity: unknown field 'minimum'"),
    ("eda @ similarity:min=high", "similarity: min='high' is not a float"),
    ("eda @ similarity:min=0.9,max=0.5", "need -1 <= min_sim < max_sim <= 1"),
    ("eda @", "an augmentation spec, then '@ FILTER' for each filter"),
    ("@ similarity", "an augmentation spec, then '@ FILTER' for each filter"),
    ("eda @ similarity:fill=best @ similarity:fill=fewer", "fill is given twice, as 'best' and 'fewer'"),
    ("eda @ confidence:tau=0.7", "filter confidence needs model=..."),
    ("eda @ confidence:model=/nowhere/model", "/nowhere/model: no such model folder"),
    ("eda @ similarity:oversample=0", "oversample must be a positive integer"),
])
def test_a_bad_filter_spec_gets_one_clear_line(spec, message):
    with pytest.raises(ValueError, match=re.escape(message)) as err:
        build_augmenter(spec, check=False)
    assert "\n" not in str(err.value)
    with pytest.raises(ValueError, match=re.escape(message)):
        TrainConfig(augment=spec)
