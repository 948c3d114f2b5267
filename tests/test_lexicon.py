import json

import pytest

from textaug.augment import lexicon as lx
from textaug.augment.lexicon import BLOCKLIST, STOPWORDS, Lexicon


@pytest.fixture(scope="module")
def wordnet():
    lexicon = Lexicon.wordnet()
    len(lexicon)  # build (first time) or load the cache
    return lexicon


def test_synonyms_from_real_wordnet(wordnet):
    assert "film" in wordnet.synonyms("movie")
    assert "motion picture" in wordnet.synonyms("movie")  # multi-word lemmas become spaces
    assert "film" in wordnet.synonyms("Movies")  # inflected and capitalised words resolve


def test_a_word_is_never_its_own_synonym(wordnet):
    synonyms, _ = wordnet._tables()
    for word, values in list(synonyms.items())[::50]:
        assert word not in {v.lower() for v in values}
        assert word not in {v.lower() for v in wordnet.synonyms(word)}


def test_no_vulgar_substitutions(wordnet):
    for word in ("loved", "love", "screwed", "banged"):
        for synonym in wordnet.synonyms(word):
            assert not set(synonym.lower().split()) & BLOCKLIST, (word, synonym)
    assert "beloved" in wordnet.synonyms("loved")


def test_cache_is_json_and_reloads_without_wordnet(wordnet, monkeypatch):
    path = lx.wordnet_cache_path()
    payload = json.loads(path.read_text(encoding="utf-8"))
    assert payload["format"] == lx.LEXICON_FORMAT and "movie" in payload["synonyms"]
    monkeypatch.setattr(lx, "_LOADED", {})
    monkeypatch.setattr(lx, "_read_wordnet", lambda: pytest.fail("the cache was not used"))
    assert "film" in Lexicon.wordnet().synonyms("movie")


def test_custom_lexicon_round_trip(tmp_path):
    custom = Lexicon({"Movie": ["film", "movie", "picture"]})
    assert custom.synonyms("movie") == ("film", "picture")
    custom.save(tmp_path / "lex.json")
    again = Lexicon.load(tmp_path / "lex.json")
    assert again == custom and again.synonyms("MOVIE") == ("film", "picture")


def test_lexicon_pickles_as_its_identity():
    import pickle

    assert len(pickle.dumps(Lexicon.wordnet())) < 200
    assert pickle.loads(pickle.dumps(Lexicon.wordnet())) == Lexicon.wordnet()


def test_bad_lexicon_input():
    with pytest.raises(ValueError, match="mapping"):
        Lexicon(["movie", "film"])
    with pytest.raises(ValueError, match="list of synonyms"):
        Lexicon({"movie": "film"})


def test_stopwords_are_the_english_list():
    assert {"the", "a", "not", "is"} <= STOPWORDS and len(STOPWORDS) == 179
