"""A lossless word tokenization: operations move words, everything else stays as it was.

A text is a list of tokens, each with the whitespace before it, plus the trailing whitespace;
rendering joins them back, so ``render(parse(t)) == t`` for every string. Words are runs of
letters and digits (with inner apostrophes and hyphens: "don't", "well-known"); every other
non-space character is a token of its own that augmenters leave in place.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

__all__ = ["Tokens", "parse", "render"]

_TOKEN = re.compile(r"(\s*)([^\W_]+(?:['’\-][^\W_]+)*|\S)")
_WORD = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")


class Tokens:
    """Parallel lists: ``ws[i]`` is the whitespace before ``tx[i]``; ``words`` indexes word tokens.

    ``spaced`` marks the common case (tokens separated by single spaces; any leading whitespace
    in ``ws[0]``), which every operation preserves, so rendering is one ``" ".join``.
    """

    __slots__ = ("ws", "tx", "words", "tail", "spaced")

    def __init__(self, ws: list[str], tx: list[str], words: list[int], tail: str, spaced: bool) -> None:
        self.ws = ws
        self.tx = tx
        self.words = words
        self.tail = tail
        self.spaced = spaced

    def word_texts(self) -> list[str]:
        tx = self.tx
        return [tx[i] for i in self.words]

    def __repr__(self) -> str:
        return f"Tokens({render(self)!r}, words={self.word_texts()!r})"


def parse(text: str) -> Tokens:
    """Split ``text`` into tokens; lossless (see :func:`render`)."""
    core = text.strip()
    # Fast path: single-spaced alphanumeric words (the shape of most benchmark corpora), checked
    # with two C-level string scans instead of a regex over every token.
    if core and "  " not in core and core.replace(" ", "").isalnum():
        parts = core.split(" ")
        n = len(parts)
        lead = text[: len(text) - len(text.lstrip())]
        return Tokens([lead] + [" "] * (n - 1), parts, list(range(n)), text[len(lead) + len(core):], True)
    ws: list[str] = []
    tx: list[str] = []
    words: list[int] = []
    is_word = _WORD.fullmatch
    for i, (space, token) in enumerate(_TOKEN.findall(text)):
        ws.append(space)
        tx.append(token)
        if is_word(token):
            words.append(i)
    tail = text[len(text.rstrip()):] if tx else text  # whitespace only: all of it is the tail
    return Tokens(ws, tx, words, tail, False)


def render(tokens: Tokens) -> str:
    if tokens.spaced:
        return tokens.ws[0] + " ".join(tokens.tx) + tokens.tail if tokens.tx else tokens.tail
    return "".join([w + t for w, t in zip(tokens.ws, tokens.tx)]) + tokens.tail


def replace(tokens: Tokens, new_text: Mapping[int, str]) -> Tokens:
    """A copy with token ``i`` replaced by ``new_text[i]`` (words stay words)."""
    tx = tokens.tx[:]
    for i, text in new_text.items():
        tx[i] = text
    return Tokens(tokens.ws, tx, tokens.words, tokens.tail, tokens.spaced)


def swap(tokens: Tokens, pairs: Iterable[tuple[int, int]]) -> Tokens:
    """A copy with the texts of each token pair swapped in turn; whitespace stays in place."""
    tx = tokens.tx[:]
    for a, b in pairs:
        tx[a], tx[b] = tx[b], tx[a]
    return Tokens(tokens.ws, tx, tokens.words, tokens.tail, tokens.spaced)


def delete(tokens: Tokens, drop: set[int]) -> Tokens:
    """A copy without the tokens in ``drop``.

    A dropped token takes the whitespace before it along, except at the very start (the text's
    leading whitespace stays) and where it held a line break the next token lacks.
    """
    if tokens.spaced and len(tokens.words) == len(tokens.tx):
        tx = [t for i, t in enumerate(tokens.tx) if i not in drop]
        n = len(tx)
        return Tokens([tokens.ws[0]] + [" "] * (n - 1), tx, list(range(n)), tokens.tail, True)
    ws: list[str] = []
    tx = []
    words: list[int] = []
    word_set = set(tokens.words)
    pending: str | None = None  # whitespace owed by a dropped token to the next kept one
    for i, (space, text) in enumerate(zip(tokens.ws, tokens.tx)):
        if i in drop:
            if not tx and pending is None:
                pending = space  # keep the text's leading whitespace
            elif pending is None and "\n" in space:
                pending = space
            continue
        if pending is not None:
            if not tx or ("\n" in pending and "\n" not in space):
                space = pending
            pending = None
        if i in word_set:
            words.append(len(tx))
        ws.append(space)
        tx.append(text)
    return Tokens(ws, tx, words, tokens.tail, False)


def insert(tokens: Tokens, inserts: Iterable[tuple[int, str, bool]]) -> Tokens:
    """A copy with each ``(index, text, is_word)`` inserted before token ``index``.

    ``index == len(tokens.tx)`` appends. An inserted token is set off by one space; one inserted
    at the very start takes over the leading whitespace and pushes the old first token one space
    to the right.
    """
    inserts = list(inserts)
    old_tx = tokens.tx
    n = len(old_tx)
    if tokens.spaced and len(tokens.words) == n and all(is_word for _, _, is_word in inserts):
        # All words, single-spaced: splice the texts and keep the implicit spacing.
        tx = []
        start = 0
        for index, text, _ in sorted(inserts, key=lambda item: item[0]):
            tx.extend(old_tx[start:index])
            tx.append(text)
            start = index
        tx.extend(old_tx[start:])
        m = len(tx)
        return Tokens([tokens.ws[0]] + [" "] * (m - 1), tx, list(range(m)), tokens.tail, True)
    by_index: dict[int, list[tuple[str, bool]]] = {}
    for index, text, is_word in inserts:
        by_index.setdefault(index, []).append((text, is_word))
    old_ws = tokens.ws
    word_set = set(tokens.words)
    ws: list[str] = []
    tx: list[str] = []
    words: list[int] = []
    for i in range(n + 1):
        for text, is_word in by_index.get(i, ()):
            if is_word:
                words.append(len(tx))
            ws.append(" " if tx else (old_ws[0] if n else ""))
            tx.append(text)
        if i < n:
            space = old_ws[i]
            if i == 0 and tx:  # something was inserted before the first token
                space = " "
            if i in word_set:
                words.append(len(tx))
            ws.append(space)
            tx.append(old_tx[i])
    return Tokens(ws, tx, words, tokens.tail, tokens.spaced)
