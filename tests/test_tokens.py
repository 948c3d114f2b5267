import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from textaug.augment import tokens as tk

TEXTS = [
    "", " ", "  \n\t ", "word", "two words", " lead and trail  ", "Hello, World! How's it going?",
    "multiple   spaces\tand\nnewlines", "<p>some <b>html</b> &amp; entities</p>", "12345 678",
    "emoji 😀 in 🎉 text", "日本語のテキスト", "Привет, мир", "well-known don't_stop", "a--b -- c",
]


@pytest.mark.parametrize("text", TEXTS)
def test_render_parse_is_identity(text):
    assert tk.render(tk.parse(text)) == text


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_render_parse_is_identity_for_any_string(text):
    assert tk.render(tk.parse(text)) == text


def test_words_are_alphanumeric_runs_and_punctuation_is_not():
    t = tk.parse("Hello, World! Don't stop.")
    assert t.word_texts() == ["Hello", "World", "Don't", "stop"]
    assert "," in t.tx and "!" in t.tx


def test_delete_keeps_spacing_and_punctuation_of_neighbours():
    t = tk.parse("a big, dog")
    big = t.tx.index("big")
    assert tk.render(tk.delete(t, {big})) == "a, dog"
    first = tk.parse("  big dog")
    assert tk.render(tk.delete(first, {0})) == "  dog"


def test_insert_at_start_and_end():
    t = tk.parse("the dog.")
    out = tk.insert(t, [(0, "big", True), (2, "barked", True)])
    assert tk.render(out) == "big the dog barked."
    assert out.word_texts() == ["big", "the", "dog", "barked"]


def test_spaced_fast_path_matches_general_path():
    fast = tk.parse("the quick brown fox")
    assert fast.spaced
    out = tk.insert(fast, [(4, "jumps", True), (0, "see", True)])
    assert tk.render(out) == "see the quick brown fox jumps"
    deleted = tk.delete(fast, {1, 2})
    assert tk.render(deleted) == "the fox"
