"""A synonym table derived from WordNet once, cached as JSON, looked up as a dictionary.

Building walks WordNet's data files (a few seconds); the JSON cache then loads in a fraction of a
second and every look-up is a ``dict.get``. JSON, never pickle: a cache file can't run code.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import threading
from itertools import chain
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

from ..resources import cache_dir, load_wordnet

__all__ = ["Lexicon", "STOPWORDS", "BLOCKLIST", "LEXICON_FORMAT"]

#: Bumped whenever the table's derivation changes, so old caches (and fingerprints) are not reused.
LEXICON_FORMAT = 1

#: nltk's English stopword list (179 words), as the EDA reference code uses it.
STOPWORDS: frozenset[str] = frozenset(
    """i me my myself we our ours ourselves you you're you've you'll you'd your yours yourself
    yourselves he him his himself she she's her hers herself it it's its itself they them their
    theirs themselves what which who whom this that that'll these those am is are was were be been
    being have has had having do does did doing a an the and but if or because as until while of at
    by for with about against between into through during before after above below to from up down
    in out on off over under again further then once here there when where why how all any both each
    few more most other some such no nor not only own same so than too very s t can will just don
    don't should should've now d ll m o re ve y ain aren aren't couldn couldn't didn didn't doesn doesn't
    hadn hadn't hasn hasn't haven haven't isn isn't ma mightn mightn't mustn mustn't needn needn't
    shan shan't shouldn shouldn't wasn wasn't weren weren't won won't wouldn wouldn't""".split()
)

#: Synonyms never offered: WordNet lists vulgar and slur senses beside ordinary words (its synset
#: for "love" offers "fuck", "screw", "bang"...). A synset holding any of these words is skipped.
BLOCKLIST: frozenset[str] = frozenset(
    """fuck fucking fucked fucker motherfucker shit shitty bullshit crap crappy piss pissed asshole
    arse arsehole ass cunt twat cock dick prick pussy tit tits titty boob boobs bitch bastard whore
    slut hooker wank wanker bugger bollocks screw screwing hump bonk shag lay laid eff jerk-off
    nigger nigga negro faggot fag dyke kike spic chink gook wop wetback coon darky honky retard
    spastic tranny bang""".split()
)

# nltk's morphy detachment rules (WordNet's morph.c), applied without part of speech: a candidate
# base only counts when the table knows it, which is what keeps the over-generation harmless.
_DETACH = (
    ("s", ""), ("ses", "s"), ("ves", "f"), ("xes", "x"), ("zes", "z"), ("ches", "ch"),
    ("shes", "sh"), ("men", "man"), ("ies", "y"), ("es", "e"), ("es", ""), ("ed", "e"),
    ("ed", ""), ("ing", "e"), ("ing", ""), ("er", ""), ("est", ""), ("er", "e"), ("est", "e"),
)
# The rules grouped by the word's last letter, so a look-up tries only those that can apply.
_DETACH_BY_LAST: dict[str, tuple[tuple[str, str], ...]] = {}
for _suffix, _ending in _DETACH:
    _DETACH_BY_LAST[_suffix[-1]] = _DETACH_BY_LAST.get(_suffix[-1], ()) + ((_suffix, _ending),)
_DATA_FILES = ("data.noun", "data.verb", "data.adj", "data.adv")
_EXC_FILES = ("noun.exc", "verb.exc", "adj.exc", "adv.exc")
_ADJ_MARKER = re.compile(r"\((?:a|p|ip)\)$")

# Loaded WordNet tables, per cache file: a process loads each once, and workers forked by
# datasets' num_proc inherit it instead of re-reading the file.
_LOADED: dict[str, tuple[dict[str, list[str]], dict[str, list[str]]]] = {}
_LOCK = threading.Lock()


def _blocked(synonym: str) -> bool:
    return any(part in BLOCKLIST for part in synonym.lower().replace("-", " ").split())


def build_wordnet_tables(
    lines_by_file: Mapping[str, Iterable[str]], exc_lines_by_file: Mapping[str, Iterable[str]]
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Derive (synonyms, exceptions) from WordNet data and exception file lines.

    A word's synonyms are the other lemmas of every synset it belongs to, as WordNet's
    ``synsets(word)`` would give them: multi-word lemmas with spaces, never the word itself,
    nothing on the blocklist, sorted so the table is the same on every machine.
    """
    groups: dict[str, set[str]] = {}
    for lines in lines_by_file.values():
        for line in lines:
            if not line or line[0] == " ":  # the licence header lines start with two spaces
                continue
            fields = line.split(" ", 4 + 2 * 255)
            count = int(fields[3], 16)
            lemmas = []
            for i in range(count):
                raw = _ADJ_MARKER.sub("", fields[4 + 2 * i])
                lemmas.append(raw.replace("_", " "))
            # A synset with a vulgar lemma is a vulgar sense (WordNet's "sleep together" synset
            # of "love" holds "fuck" and "bang"): none of its lemmas stand in for the others.
            if any(_blocked(lemma) for lemma in lemmas):
                continue
            # Capitalised lemmas are proper nouns or taxa ("John Brown", "Canis familiaris"):
            # substituting them for common words ("brown", "dog") changes the meaning.
            lemmas = [lemma for lemma in lemmas if lemma.islower() or not any(c.isalpha() for c in lemma)]
            for lemma in lemmas:
                key = lemma.lower()
                if " " in key:  # look-ups are by single token; multi-word lemmas are only values
                    continue
                bucket = groups.setdefault(key, set())
                bucket.update(other for other in lemmas if other.lower() != key)
    synonyms = {
        key: sorted(s for s in values if not _blocked(s))
        for key, values in groups.items()
    }
    exceptions: dict[str, set[str]] = {}
    for lines in exc_lines_by_file.values():
        for line in lines:
            parts = line.split()
            if len(parts) >= 2:
                exceptions.setdefault(parts[0], set()).update(p.replace("_", " ") for p in parts[1:])
    return synonyms, {k: sorted(v) for k, v in sorted(exceptions.items())}


def _read_wordnet() -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    reader = load_wordnet()

    def lines(name: str) -> list[str]:
        with reader.open(name) as handle:
            return handle.read().splitlines()

    return build_wordnet_tables(
        {name: lines(name) for name in _DATA_FILES}, {name: lines(name) for name in _EXC_FILES}
    )


def _write_json(path: Path, payload: dict) -> None:
    """Write JSON atomically: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".lexicon-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(payload, handle, ensure_ascii=False, separators=(",", ":"))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read_json(path: Path) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    with open(path, encoding="utf-8") as handle:
        payload = json.load(handle)
    if payload.get("format") != LEXICON_FORMAT:
        raise ValueError(f"{path} has lexicon format {payload.get('format')!r}, expected {LEXICON_FORMAT}")
    return _frozen(payload["synonyms"]), _frozen(payload.get("exceptions", {}))


def _frozen(table: Mapping[str, Sequence[str]]) -> dict[str, tuple[str, ...]]:
    """Tuples, not lists: look-ups return them without copying, and tuples of strings drop out of
    the garbage collector's tracking, so a loaded table costs no time in later collections."""
    return {key: tuple(values) for key, values in table.items()}


def wordnet_cache_path() -> Path:
    """Where the WordNet synonym table is cached."""
    return cache_dir() / f"lexicon-wordnet-v{LEXICON_FORMAT}.json"


def _load_wordnet_tables() -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    path = wordnet_cache_path()
    key = str(path)
    with _LOCK:
        if key not in _LOADED:
            if path.is_file():
                _LOADED[key] = _read_json(path)
            else:
                synonyms, exceptions = _read_wordnet()
                _write_json(path, {"format": LEXICON_FORMAT, "source": "wordnet-3.0",
                                   "synonyms": synonyms, "exceptions": exceptions})
                _LOADED[key] = (_frozen(synonyms), _frozen(exceptions))
        return _LOADED[key]


class Lexicon:
    """Word -> synonyms by dictionary look-up, with WordNet's morphology as a fallback.

    ``Lexicon.wordnet()`` is a cheap handle: the table loads on first use (building and caching
    it the first time on a machine). A lexicon pickles as its identity (the WordNet handle) or its
    table (a custom one), never as loaded caches, so augmenters holding one hash stably.
    """

    __slots__ = ("_kind", "_synonyms", "_exceptions", "_resolved")

    def __init__(
        self,
        synonyms: Mapping[str, Sequence[str]],
        exceptions: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        if not isinstance(synonyms, Mapping):
            raise ValueError(f"synonyms must be a mapping of word -> list of synonyms, got {type(synonyms).__name__}")
        table: dict[str, tuple[str, ...]] = {}
        for word, values in synonyms.items():
            if not isinstance(word, str) or isinstance(values, str):
                raise ValueError(f"lexicon entry {word!r}: expected a word and a list of synonyms")
            key = word.lower()
            table[key] = tuple(sorted({v for v in values if v.lower() != key}))
        self._kind = "custom"
        self._synonyms: dict[str, tuple[str, ...]] | None = table
        self._exceptions: dict[str, tuple[str, ...]] | None = _frozen(exceptions or {})
        self._resolved: dict[str, tuple[str, ...]] = {}

    @classmethod
    def wordnet(cls, _format: int = LEXICON_FORMAT) -> "Lexicon":
        """The WordNet 3.0 lexicon (see :mod:`textaug.resources` for where WordNet comes from)."""
        if _format != LEXICON_FORMAT:
            # A pickle from another textaug version: refuse rather than silently mix tables.
            raise ValueError(f"lexicon format {_format} is not {LEXICON_FORMAT}")
        self = cls.__new__(cls)
        self._kind = "wordnet"
        self._synonyms = None
        self._exceptions = None
        self._resolved = {}
        return self

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Lexicon":
        """A lexicon saved with :meth:`save` (JSON)."""
        synonyms, exceptions = _read_json(Path(path))
        return cls(synonyms, exceptions)

    def save(self, path: str | os.PathLike) -> None:
        synonyms, exceptions = self._tables()
        _write_json(Path(path), {"format": LEXICON_FORMAT, "synonyms": synonyms, "exceptions": exceptions})

    def _tables(self) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
        if self._synonyms is None:
            self._synonyms, self._exceptions = _load_wordnet_tables()
        return self._synonyms, self._exceptions  # type: ignore[return-value]

    def __len__(self) -> int:
        return len(self._tables()[0])

    def __contains__(self, word: str) -> bool:
        return bool(self.synonyms(word))

    def synonyms(self, word: str) -> tuple[str, ...]:
        """Synonyms of ``word`` (any case); empty when it has none."""
        key = word.lower()
        found = self._resolved.get(key)
        if found is None:
            found = self._resolve(key)
            self._resolved[key] = found
        return found

    def resolver(self) -> Callable[[str], tuple[str, ...]]:
        """The uncached ``lower-cased word -> synonyms`` function, for callers that keep their
        own cache (the augmenters do, per stopword set). Loads the table now."""
        self._tables()
        return self._resolve

    def _resolve(self, key: str) -> tuple[str, ...]:
        # Like WordNet's morphy: the word itself, its listed irregular bases, and every base the
        # detachment rules give that the table knows ("dogs" -> "dog", "loved" -> "love").
        synonyms, exceptions = self._tables()
        direct = synonyms.get(key, ())
        bases = list(exceptions.get(key, ()))
        for suffix, ending in _DETACH_BY_LAST.get(key[-1:], ()):
            if key.endswith(suffix) and len(key) > len(suffix) + 1:
                bases.append(key[: len(key) - len(suffix)] + ending)
        groups = [synonyms[b] for b in bases if b != key and b in synonyms]
        if not groups:
            return direct
        merged = dict.fromkeys(chain(direct, *groups))
        merged.pop(key, None)
        return tuple(merged)

    def __reduce__(self):
        if self._kind == "wordnet":
            return (Lexicon.wordnet, (LEXICON_FORMAT,))
        synonyms, exceptions = self._tables()
        return (Lexicon, (synonyms, exceptions))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Lexicon):
            return NotImplemented
        if self._kind == "wordnet" or other._kind == "wordnet":
            return self._kind == other._kind
        return self._tables() == other._tables()

    def __hash__(self) -> int:
        return hash(self._kind) if self._kind == "wordnet" else hash((self._kind, len(self._tables()[0])))

    def __repr__(self) -> str:
        if self._kind == "wordnet":
            return "Lexicon.wordnet()"
        return f"Lexicon(<{len(self._tables()[0])} words>)"
