"""Easy Data Augmentation (Wei & Zou, 2019) and AEDA (Karimi et al., 2021).

Unlike the EDA reference code, nothing is lower-cased or stripped: the operations act on word
tokens (see :mod:`.tokens`) and every untouched token keeps its case, punctuation and spacing. A
replaced word passes its capitalisation on to its synonym. The number of changes per text follows
the paper: ``max(1, int(alpha * number_of_words))``.
"""

from __future__ import annotations

import random
from abc import abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, ClassVar

from . import tokens as tk
from .base import Augmenter, TextAugmenter, check_fraction, passes_through
from .lexicon import STOPWORDS, Lexicon

__all__ = ["SynonymReplace", "RandomInsert", "RandomSwap", "RandomDelete", "EDA", "AEDA", "WordAugmenter"]

# (word -> synonyms cache, resolver for a cache miss): what candidates() needs per text.
Runtime = tuple[dict[str, tuple[str, ...]], Callable[[str], tuple[str, ...]]]


@lru_cache(maxsize=64)
def _runtime(lexicon: Lexicon, stopwords: tuple[str, ...] | None) -> Runtime:
    """A look-up cache for one (lexicon, stopwords) configuration: stopwords are pre-filled with
    "no synonyms", so the hot loop is a single ``dict.get`` per word."""
    stop = STOPWORDS if stopwords is None else frozenset(w.lower() for w in stopwords)
    resolve = lexicon.resolver()
    cache: dict[str, tuple[str, ...]] = dict.fromkeys(stop, ())
    return cache, resolve


class Sentence:
    """One parsed text, shared by the ``n_aug`` outputs made from it (parse and look up once)."""

    __slots__ = ("tokens", "_runtime", "_candidates")

    def __init__(self, tokens: tk.Tokens, runtime: Runtime | None) -> None:
        self.tokens = tokens
        self._runtime = runtime
        self._candidates: list[tuple[int, str, tuple[str, ...]]] | None = None

    def candidates(self) -> list[tuple[int, str, tuple[str, ...]]]:
        """(token index, lower-cased word, synonyms) of every non-stopword that has synonyms."""
        if self._candidates is None:
            if self._runtime is None:
                raise RuntimeError("this augmenter has no lexicon")
            cache, resolve = self._runtime
            tokens = self.tokens
            tx = tokens.tx
            positions = tokens.words
            if tokens.spaced and len(positions) == len(tx):
                keys = " ".join(tx).lower().split(" ")  # one C call lower-cases every word
            else:
                keys = [tx[i].lower() for i in positions]
            synonyms = list(map(cache.get, keys))  # the hot path: C-level dict probes only
            if None in synonyms:  # words seen for the first time: resolve and remember them
                for j, found_synonyms in enumerate(synonyms):
                    if found_synonyms is None:
                        synonyms[j] = cache[keys[j]] = resolve(keys[j])
            found = [(positions[j], keys[j], syn) for j, syn in enumerate(synonyms) if syn]
            self._candidates = found
        return self._candidates


def _n_changes(alpha: float, n_words: int) -> int:
    return max(1, int(alpha * n_words))


def _match_case(original: str, synonym: str) -> str:
    if len(original) > 1 and original.isupper():
        return synonym.upper()
    if original[:1].isupper():
        return synonym[:1].upper() + synonym[1:]
    return synonym


def synonym_replace(s: Sentence, rng: random.Random, alpha: float) -> tk.Tokens:
    """Replace up to n distinct words (every occurrence of each) by one random synonym."""
    candidates = s.candidates()
    if not candidates:
        return s.tokens
    tx = s.tokens.tx
    unique = list({key: synonyms for _, key, synonyms in candidates}.items())
    n = min(_n_changes(alpha, len(s.tokens.words)), len(unique))
    chosen = [unique[int(rng.random() * len(unique))]] if n == 1 else rng.sample(unique, n)
    replacement = {key: synonyms[int(rng.random() * len(synonyms))] for key, synonyms in chosen}
    new = {i: _match_case(tx[i], replacement[key]) for i, key, _ in candidates if key in replacement}
    return tk.replace(s.tokens, new)


def random_insert(s: Sentence, rng: random.Random, alpha: float) -> tk.Tokens:
    """Insert n times a synonym of a random word at a random word boundary."""
    candidates = s.candidates()
    if not candidates:
        return s.tokens
    words = s.tokens.words
    m = len(words)
    inserts = []
    for _ in range(_n_changes(alpha, m)):
        _, _, synonyms = candidates[int(rng.random() * len(candidates))]
        synonym = synonyms[int(rng.random() * len(synonyms))]
        slot = int(rng.random() * (m + 1))
        inserts.append((words[slot] if slot < m else words[-1] + 1, synonym, True))
    return tk.insert(s.tokens, inserts)


def random_swap(tokens: tk.Tokens, rng: random.Random, alpha: float) -> tk.Tokens:
    """Swap two distinct words, n times; punctuation and spacing stay where they were."""
    words = tokens.words
    m = len(words)
    if m < 2:
        return tokens
    pairs = []
    for _ in range(_n_changes(alpha, m)):
        a = int(rng.random() * m)
        b = int(rng.random() * (m - 1))
        if b >= a:  # draw from the m - 1 other words: never a no-op swap
            b += 1
        pairs.append((words[a], words[b]))
    return tk.swap(tokens, pairs)


def random_delete(tokens: tk.Tokens, rng: random.Random, p: float) -> tk.Tokens:
    """Delete each word with probability p; never all of them (one random word survives)."""
    words = tokens.words
    m = len(words)
    if m < 2:
        return tokens
    drop = {i for i in words if rng.random() < p}
    if len(drop) == m:
        drop.discard(words[int(rng.random() * m)])
    return tk.delete(tokens, drop) if drop else tokens


def punctuation_insert(tokens: tk.Tokens, rng: random.Random, ratio: float, marks: tuple[str, ...]) -> tk.Tokens:
    """AEDA: between 1 and ratio * n_words + 1 marks, each before a distinct random word."""
    anchors = tokens.words or list(range(len(tokens.tx)))  # no words (emoji, symbols): any token
    m = len(anchors)
    if m == 0:
        return tokens
    q = min(m, rng.randint(1, int(ratio * m + 1)))
    positions = rng.sample(range(m), q)
    return tk.insert(tokens, [(anchors[p], marks[int(rng.random() * len(marks))], False) for p in positions])


@dataclass(frozen=True, kw_only=True)
class WordAugmenter(TextAugmenter):
    """An augmenter that works on parsed tokens: each text is parsed once for all its outputs."""

    def __post_init__(self) -> None:
        super().__post_init__()
        if hasattr(self, "lexicon"):  # the synonym-based augmenters declare lexicon and stopwords
            _check_lexicon(self)

    def _runtime(self) -> Runtime | None:
        lexicon = getattr(self, "lexicon", None)
        return None if lexicon is None else _runtime(lexicon, self.stopwords)  # type: ignore[attr-defined]

    @abstractmethod
    def _apply(self, sentence: Sentence, rng: random.Random) -> tk.Tokens: ...

    def augment(self, text: str, rng: random.Random) -> str:
        return tk.render(self._apply(Sentence(tk.parse(text), self._runtime()), rng))

    def augment_many(self, text: str, rng: random.Random, n: int) -> list[tuple[str, str]]:
        sentence = Sentence(tk.parse(text), self._runtime())
        return [(tk.render(self._apply(sentence, rng)), self.op_name) for _ in range(n)]


def _lexicon_field() -> Any:
    return field(default_factory=Lexicon.wordnet, metadata={"help": "synonym source (default: WordNet 3.0)"})


def _stopwords_field() -> Any:
    return field(default=None, metadata={"help": "words never replaced or used for insertion; None: English list"})


def _check_lexicon(aug: Augmenter) -> None:
    lexicon = getattr(aug, "lexicon")
    if not isinstance(lexicon, Lexicon):
        raise ValueError(f"lexicon must be a textaug Lexicon, got {type(lexicon).__name__}")
    stopwords = getattr(aug, "stopwords")
    if stopwords is not None:
        if isinstance(stopwords, str) or not all(isinstance(w, str) for w in stopwords):
            raise ValueError("stopwords must be None or a list of strings")
        object.__setattr__(aug, "stopwords", tuple(sorted(set(stopwords))))  # hashable, stable order


@dataclass(frozen=True, kw_only=True)
class SynonymReplace(WordAugmenter):
    """Replace ``max(1, alpha * n_words)`` non-stopwords by a WordNet synonym."""

    alpha: float = field(default=0.1, metadata={"help": "share of words replaced"})
    lexicon: Lexicon = _lexicon_field()
    stopwords: tuple[str, ...] | None = _stopwords_field()
    name: ClassVar[str] = "synonym_replace"
    recipe: ClassVar[str | None] = "synonym"
    rate_fields: ClassVar[tuple[str, ...]] = ("alpha",)
    tags: ClassVar[tuple[str, ...]] = ("synonym-replacement",)

    def __post_init__(self) -> None:
        super().__post_init__()
        check_fraction("alpha", self.alpha)

    def _apply(self, sentence, rng):
        return synonym_replace(sentence, rng, self.alpha)


@dataclass(frozen=True, kw_only=True)
class RandomInsert(WordAugmenter):
    """Insert a synonym of a random non-stopword at a random position, ``max(1, alpha * n_words)`` times."""

    alpha: float = field(default=0.1, metadata={"help": "insertions per word"})
    lexicon: Lexicon = _lexicon_field()
    stopwords: tuple[str, ...] | None = _stopwords_field()
    name: ClassVar[str] = "random_insert"
    recipe: ClassVar[str | None] = "insert"
    rate_fields: ClassVar[tuple[str, ...]] = ("alpha",)
    tags: ClassVar[tuple[str, ...]] = ("random-insertion",)

    def __post_init__(self) -> None:
        super().__post_init__()
        check_fraction("alpha", self.alpha)

    def _apply(self, sentence, rng):
        return random_insert(sentence, rng, self.alpha)


@dataclass(frozen=True, kw_only=True)
class RandomSwap(WordAugmenter):
    """Swap two random words, ``max(1, alpha * n_words)`` times."""

    alpha: float = field(default=0.1, metadata={"help": "swaps per word"})
    name: ClassVar[str] = "random_swap"
    recipe: ClassVar[str | None] = "swap"
    rate_fields: ClassVar[tuple[str, ...]] = ("alpha",)
    tags: ClassVar[tuple[str, ...]] = ("random-swap",)

    def __post_init__(self) -> None:
        super().__post_init__()
        check_fraction("alpha", self.alpha)

    def _apply(self, sentence, rng):
        return random_swap(sentence.tokens, rng, self.alpha)


@dataclass(frozen=True, kw_only=True)
class RandomDelete(WordAugmenter):
    """Delete each word with probability ``p``; a text is never emptied."""

    p: float = field(default=0.1, metadata={"help": "probability of deleting each word"})
    name: ClassVar[str] = "random_delete"
    recipe: ClassVar[str | None] = "delete"
    rate_fields: ClassVar[tuple[str, ...]] = ("p",)
    tags: ClassVar[tuple[str, ...]] = ("random-deletion",)

    def __post_init__(self) -> None:
        super().__post_init__()
        check_fraction("p", self.p)

    def _apply(self, sentence, rng):
        return random_delete(sentence.tokens, rng, self.p)


@dataclass(frozen=True, kw_only=True)
class AEDA(WordAugmenter):
    """Insert random punctuation marks between words (Karimi et al., 2021)."""

    ratio: float = field(default=0.3, metadata={"help": "at most ratio * n_words + 1 marks per text"})
    punctuation: tuple[str, ...] = field(default=(".", ";", "?", ":", "!", ","), metadata={"help": "marks to insert"})
    name: ClassVar[str] = "aeda"
    recipe: ClassVar[str | None] = "aeda"
    rate_fields: ClassVar[tuple[str, ...]] = ("ratio",)
    tags: ClassVar[tuple[str, ...]] = ("aeda", "punctuation-insertion")

    def __post_init__(self) -> None:
        super().__post_init__()
        check_fraction("ratio", self.ratio, allow_zero=False)
        marks = self.punctuation
        if isinstance(marks, str) or not marks or not all(isinstance(m, str) and m.strip() for m in marks):
            raise ValueError(f"punctuation must be a non-empty list of non-blank strings, got {marks!r}")
        object.__setattr__(self, "punctuation", tuple(marks))

    def _apply(self, sentence, rng):
        return punctuation_insert(sentence.tokens, rng, self.ratio, self.punctuation)


@dataclass(frozen=True, kw_only=True)
class EDA(WordAugmenter):
    """The paper's combination: each output applies one of the four operations.

    The ``n_aug`` outputs are spread as evenly as possible over the operations whose rate is
    above zero (the remainder goes to operations drawn at random), in random order. The paper's
    code draws ``n_aug // 4 + 1`` of each and keeps a random ``n_aug``; the even spread keeps its
    intent without doing twice the work. Recommended: 500 examples: alpha 0.05, n_aug 16;
    2,000: 0.05, 8; 5,000 or more: 0.1, 4.
    """

    n_aug: int = field(default=4, metadata={"help": "augmented rows generated per input row"})
    alpha_sr: float = field(default=0.1, metadata={"help": "synonym replacement: share of words replaced"})
    alpha_ri: float = field(default=0.1, metadata={"help": "random insertion: insertions per word"})
    alpha_rs: float = field(default=0.1, metadata={"help": "random swap: swaps per word"})
    p_rd: float = field(default=0.1, metadata={"help": "random deletion: probability per word"})
    lexicon: Lexicon = _lexicon_field()
    stopwords: tuple[str, ...] | None = _stopwords_field()
    name: ClassVar[str] = "eda"
    recipe: ClassVar[str | None] = "eda"
    rate_fields: ClassVar[tuple[str, ...]] = ("alpha_sr", "alpha_ri", "alpha_rs", "p_rd")
    tags: ClassVar[tuple[str, ...]] = ("eda", "synonym-replacement", "random-insertion", "random-swap", "random-deletion")

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in ("alpha_sr", "alpha_ri", "alpha_rs", "p_rd"):
            check_fraction(name, getattr(self, name))
        if not any((self.alpha_sr, self.alpha_ri, self.alpha_rs, self.p_rd)):
            raise ValueError("EDA needs at least one of alpha_sr, alpha_ri, alpha_rs, p_rd above zero")

    # (aug_op name, operation, the field holding its rate); an operation runs when its rate > 0.
    _OPERATIONS: ClassVar[tuple] = (
        (SynonymReplace.name, synonym_replace, "alpha_sr"),
        (RandomInsert.name, random_insert, "alpha_ri"),
        (RandomSwap.name, lambda s, rng, a: random_swap(s.tokens, rng, a), "alpha_rs"),
        (RandomDelete.name, lambda s, rng, p: random_delete(s.tokens, rng, p), "p_rd"),
    )

    def _operations(self) -> list[tuple[str, Callable, float]]:
        return [(name, op, getattr(self, attr)) for name, op, attr in self._OPERATIONS if getattr(self, attr) > 0]

    def _apply(self, sentence, rng):
        ops = self._operations()
        _, op, rate = ops[int(rng.random() * len(ops))]
        return op(sentence, rng, rate)

    def augment_many(self, text: str, rng: random.Random, n: int) -> list[tuple[str, str]]:
        return self._many(text, rng, n, self._operations(), self._runtime())

    def augment_batch(self, texts, indices, rank=None):
        # The same as the base loop, with the operation plan and look-up cache resolved once per
        # batch instead of once per row.
        ops, runtime, n = self._operations(), self._runtime(), self.n_aug
        return [
            None if passes_through(text) else self._many(text, self.rng(index), n, ops, runtime)
            for text, index in zip(texts, indices)
        ]

    def _many(self, text: str, rng: random.Random, n: int, ops: list, runtime: Runtime) -> list[tuple[str, str]]:
        rounds, rest = divmod(n, len(ops))
        plan = ops * rounds + (rng.sample(ops, rest) if rest else [])
        for i in range(len(plan) - 1, 0, -1):  # Fisher-Yates on random(): cheaper than shuffle()
            j = int(rng.random() * (i + 1))
            plan[i], plan[j] = plan[j], plan[i]
        sentence = Sentence(tk.parse(text), runtime)
        return [(tk.render(op(sentence, rng, rate)), name) for name, op, rate in plan]
