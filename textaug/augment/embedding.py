"""Embedding substitution: replace a share of the words by near neighbours in static word vectors.

Neighbours come from one vectorised top-k over the vector vocabulary (unit vectors, matrix
products and top-k in blocks of queries, through torch), computed once per word and cached for
the life of the worker process, never per call. A batch asks for all its new words at once.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from ..vectors import load_vectors, require_vectors
from . import tokens as tk
from .base import Augmenter, check_fraction, check_positive_ints, live_rows, normalize_stopwords
from .eda import _match_case, _n_changes
from .lexicon import STOPWORDS
from .runtime import process_resource

__all__ = ["EmbeddingSubstitute", "NeighbourTable"]

_BLOCK = 256  # queries per matrix product: 256 x 100k floats = 100 MB at most


class NeighbourTable:
    """The ``top_k`` nearest words (cosine >= ``min_similarity``) of any vocabulary word, cached."""

    def __init__(self, vectors: str | None, vocab_limit: int, top_k: int, min_similarity: float) -> None:
        words, matrix = load_vectors(vectors, (), vocab_limit)
        keep = [i for i, w in enumerate(words) if w.replace("-", "").replace("'", "").isalpha()]
        self.words = [words[i] for i in keep]
        matrix = np.asarray(matrix[keep], dtype=np.float32)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        self.unit = matrix / np.maximum(norms, 1e-8)
        self.index = {w: i for i, w in enumerate(self.words)}
        self.top_k, self.min_similarity = top_k, min_similarity
        self.cache: dict[str, tuple[str, ...]] = {}

    def lookup(self, words: Sequence[str]) -> list[tuple[str, ...]]:
        """Neighbours of each word (lower-cased); () for a word outside the vocabulary."""
        new = [w for w in dict.fromkeys(words) if w not in self.cache]
        known = [w for w in new if w in self.index]
        for w in new:
            if w not in self.index:
                self.cache[w] = ()
        if not known:
            return [self.cache[w] for w in words]
        import torch  # its matrix product and top-k use every core; numpy's argpartition one

        unit = torch.from_numpy(self.unit)
        k = min(self.top_k, len(self.words) - 1)
        for start in range(0, len(known), _BLOCK):
            block = known[start:start + _BLOCK]
            rows = torch.tensor([self.index[w] for w in block])
            sims = unit[rows] @ unit.T  # (block, vocabulary)
            sims[torch.arange(len(block)), rows] = -float("inf")  # never a word's own neighbour
            values, top = sims.topk(k, dim=1)  # sorted, most similar first
            for w, vals, idx in zip(block, values.tolist(), top.tolist()):
                self.cache[w] = tuple(self.words[j] for v, j in zip(vals, idx) if v >= self.min_similarity)
        return [self.cache[w] for w in words]


@dataclass(frozen=True, kw_only=True)
class EmbeddingSubstitute(Augmenter):
    """Replace ``max(1, alpha * n_words)`` distinct non-stopwords (every occurrence) by one of
    their ``top_k`` nearest neighbours with cosine at least ``min_similarity``.

    Only words among the ``vocab_limit`` most frequent of the vectors are replaced or used as
    replacements (rarer words are left as they are). Same output for any batch size and process
    count: the neighbours are a pure function of the vectors, the choices of the row's seed.
    """

    alpha: float = field(default=0.1, metadata={"help": "share of words replaced"})
    vectors: str | None = field(default=None, metadata={
        "help": "glove-6b-50d (default), spacy-md, or a GloVe/word2vec text file"})
    top_k: int = field(default=10, metadata={"help": "nearest neighbours considered per word"})
    min_similarity: float = field(default=0.6, metadata={"help": "cosine a neighbour needs at least"})
    vocab_limit: int = field(default=100_000, metadata={"help": "most frequent words of the vectors used"})
    stopwords: tuple[str, ...] | None = field(default=None, metadata={"help": "words never replaced; None: English list"})
    name: ClassVar[str] = "embedding_substitute"
    recipe: ClassVar[str | None] = "embedding"
    rate_fields: ClassVar[tuple[str, ...]] = ("alpha",)
    tags: ClassVar[tuple[str, ...]] = ("embedding-substitution",)

    def __post_init__(self) -> None:
        super().__post_init__()
        check_fraction("alpha", self.alpha, allow_zero=False)
        if not -1 <= self.min_similarity <= 1:
            raise ValueError(f"min_similarity must be a cosine in [-1, 1], got {self.min_similarity}")
        check_positive_ints(self, "top_k", "vocab_limit")
        normalize_stopwords(self)
        require_vectors(self.vectors)

    def table(self) -> NeighbourTable:
        """This process's neighbour table (built on first use: the vectors load once per worker)."""
        key = ("neighbours", self.vectors, self.vocab_limit, self.top_k, self.min_similarity)
        return process_resource(key, lambda: NeighbourTable(self.vectors, self.vocab_limit, self.top_k,
                                                            self.min_similarity))

    def _stop(self) -> frozenset[str]:
        return STOPWORDS if self.stopwords is None else frozenset(self.stopwords)

    def _substitute(self, parsed: tk.Tokens, neighbours: dict[str, tuple[str, ...]], rng: random.Random) -> str:
        tx = parsed.tx
        candidates = [(i, tx[i].lower()) for i in parsed.words if neighbours.get(tx[i].lower())]
        unique = list(dict.fromkeys(key for _, key in candidates))
        if not unique:
            return tk.render(parsed)
        n = min(_n_changes(self.alpha, len(parsed.words)), len(unique))
        chosen = rng.sample(unique, n)
        replacement = {key: neighbours[key][int(rng.random() * len(neighbours[key]))] for key in chosen}
        return tk.render(tk.replace(parsed, {i: _match_case(tx[i], replacement[key])
                                             for i, key in candidates if key in replacement}))

    def _neighbours(self, parsed: Sequence[tk.Tokens]) -> dict[str, tuple[str, ...]]:
        stop = self._stop()
        words = list({t.tx[i].lower() for t in parsed for i in t.words} - stop)
        return dict(zip(words, self.table().lookup(words)))

    def augment_batch(self, texts: Sequence[str | None], indices: Sequence[int],
                      rank: int | None = None) -> list[list[tuple[str, str]] | None]:
        live = live_rows(texts)
        parsed = {i: tk.parse(texts[i]) for i in live}
        neighbours = self._neighbours(list(parsed.values()))  # every new word of the batch at once
        out: list[list[tuple[str, str]] | None] = [None] * len(texts)
        for i in live:
            rng = self.rng(indices[i])
            out[i] = [(self._substitute(parsed[i], neighbours, rng), self.op_name) for _ in range(self.n_aug)]
        return out
