"""Back-translation: translate a text into a pivot language and back, a whole batch at a time.

Three back-ends (see :mod:`textaug.augment.translators`): ``apertium`` (the offline default,
Debian's rule-based translators), ``seq2seq`` (any pair of ``AutoModelForSeq2SeqLM`` checkpoints,
Marian opus-mt style) and ``ctranslate2`` (the same checkpoints converted, int8 on CPU).

Exactly ``n_aug`` outputs per row. Output ``k`` uses pivot ``k mod len(pivots)``; an output
identical to its input (or to an output already chosen for that row) is replaced by another
candidate of the batch's translations, re-sampled up to ``max_retries`` times when decoding
samples, and kept when nothing else differs. Kept-unchanged outputs are counted in the log
(logger ``textaug.augment.backtranslate``).
"""

from __future__ import annotations

import logging
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .base import Augmenter, live_rows
from .translators import Apertium, CTranslate2, Decoding, Seq2Seq

__all__ = ["BackTranslate", "BACKENDS"]

BACKENDS = ("apertium", "seq2seq", "ctranslate2")
_DEFAULT_PIVOTS = {"apertium": ("spa",), "seq2seq": ("de",), "ctranslate2": ("de",)}
_WS = re.compile(r"\s+")
_log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class BackTranslate(Augmenter):
    """Round trips source -> pivot -> source; ``aug_op`` is ``backtranslate:<backend>:<pivot>``.

    Texts are translated as single lines: line breaks and runs of whitespace become single spaces.
    """

    backend: str = field(default="apertium", metadata={"help": f"translation back-end: {', '.join(BACKENDS)}"})
    pivots: tuple[str, ...] | None = field(default=None, metadata={
        "help": "pivot languages, one round trip each (apertium: spa, cat; default spa; seq2seq: the models' codes)"})
    source: str | None = field(default=None, metadata={"help": "the texts' language (default: eng for apertium, en)"})
    models: tuple[tuple[str, str], ...] = field(default=(), metadata={
        "help": "seq2seq/ctranslate2: one (forward, backward) pair of checkpoints per pivot "
                "(default: Helsinki-NLP/opus-mt-{source}-{pivot} and back); a multilingual checkpoint "
                "(M2M100, NLLB) goes both ways, with source and pivots in its language codes"})
    device: str = field(default="auto", metadata={"help": "seq2seq/ctranslate2: cpu, cuda, cuda:N, mps or auto"})
    sampling: bool = field(default=True, metadata={"help": "seq2seq/ctranslate2: sample (else beam search)"})
    temperature: float = field(default=0.9, metadata={"help": "sampling temperature (UDA: 0.9)"})
    top_k: int = field(default=0, metadata={"help": "sample from the k most likely tokens (0: all)"})
    top_p: float = field(default=1.0, metadata={"help": "nucleus sampling mass"})
    num_beams: int = field(default=4, metadata={"help": "beam width when not sampling"})
    max_tokens: int = field(default=4096, metadata={"help": "token budget of one generate call (padded tokens x rows)"})
    max_new_tokens: int | None = field(default=None, metadata={"help": "tokens generated at most (default: 1.5x the input + 8)"})
    compute_type: str | None = field(default=None, metadata={
        "help": "ctranslate2: int8, int8_float32, float16, float32... (default: int8 on CPU, float16 on GPU)"})
    max_retries: int = field(default=2, metadata={"help": "re-samples of an output identical to its input"})
    timeout: float = field(default=120.0, metadata={"help": "apertium: seconds one translation call may take"})
    name: ClassVar[str] = "backtranslate"
    recipe: ClassVar[str | None] = "backtranslate"
    tags: ClassVar[tuple[str, ...]] = ("back-translation",)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.backend not in BACKENDS:
            raise ValueError(f"unknown back-translation backend {self.backend!r}; choose one of {list(BACKENDS)}")
        pivots = _DEFAULT_PIVOTS[self.backend] if self.pivots is None else (
            (self.pivots,) if isinstance(self.pivots, str) else tuple(self.pivots))
        if not pivots or not all(isinstance(p, str) and p for p in pivots):
            raise ValueError(f"pivots must be a non-empty list of language codes, got {self.pivots!r}")
        object.__setattr__(self, "pivots", pivots)
        object.__setattr__(self, "source", self.source or ("eng" if self.backend == "apertium" else "en"))
        models = tuple(tuple(pair) for pair in self.models)
        if self.backend == "apertium" and models:
            raise ValueError("models apply to the seq2seq and ctranslate2 backends, not apertium")
        if self.backend != "apertium":
            if not models:
                models = tuple((f"Helsinki-NLP/opus-mt-{self.source}-{p}", f"Helsinki-NLP/opus-mt-{p}-{self.source}")
                               for p in pivots)
            if len(models) != len(pivots) or not all(len(pair) == 2 and all(pair) for pair in models):
                raise ValueError(f"models must be one (forward, backward) pair per pivot {list(pivots)}, got {models!r}")
        object.__setattr__(self, "models", models)
        if not (self.device in ("cpu", "cuda", "mps", "auto") or re.fullmatch(r"cuda:\d+", self.device)):
            raise ValueError(f"device must be cpu, cuda, cuda:N, mps or auto, got {self.device!r}")
        for name, low in (("timeout", 0), ("temperature", 0)):
            if not getattr(self, name) > low:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")
        for name, low in (("top_k", 0), ("num_beams", 1), ("max_tokens", 1), ("max_retries", 0)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")

    # -- what the back-end is ---------------------------------------------------------------------
    @property
    def op_name(self) -> str:
        return f"{self.name}:{self.backend}:{self.pivots[0]}"

    @property
    def reproducible(self) -> str:  # type: ignore[override]
        if self.backend == "apertium" or not self.sampling:
            return "the same output for any batch size and process count"
        return "the same output for a fixed batch size (sampling draws a whole batch at once)"

    def translator(self, rank: int | None = None) -> Any:
        if self.backend == "apertium":
            return Apertium(self.timeout)
        pairs = {}
        for pivot, (forward, backward) in zip(self.pivots, self.models):
            pairs[(self.source, pivot)] = forward
            pairs[(pivot, self.source)] = backward
        decoding = Decoding(self.sampling, self.temperature, self.top_k, self.top_p, self.num_beams, self.max_new_tokens)
        if self.backend == "seq2seq":
            return Seq2Seq(pairs, self.device, decoding, self.max_tokens, rank)
        return CTranslate2(pairs, self.device, decoding, self.max_tokens, rank, self.compute_type)

    def check(self) -> None:
        """A missing translator named before any work (apertium: the Debian packages)."""
        if self.backend == "apertium":
            Apertium(self.timeout).check(self.source, self.pivots)

    # -- translation --------------------------------------------------------------------------------
    def _seed(self, first_index: int, pivot: str, attempt: int) -> int:
        return zlib.crc32(f"{self.seed}|{first_index}|{pivot}|{attempt}".encode())

    def round_trip(self, texts: Sequence[str], pivot: str, n: int = 1, *, seed: int = 0,
                   rank: int | None = None) -> list[list[str]]:
        """``n`` round trips through ``pivot`` per text (one per text for deterministic back-ends)."""
        lines = [_WS.sub(" ", t).strip() for t in texts]
        if not lines:
            return []
        translator = self.translator(rank)
        n = n if translator.stochastic else 1
        there = translator.translate(lines, self.source, pivot, n, seed)
        # each of the n forward samples goes back once
        flat = [t for row in there for t in row]
        back = translator.translate(flat, pivot, self.source, 1, seed + 1)
        return [[back[i * n + k][0] for k in range(n)] for i in range(len(lines))]

    # -- the Augmenter contract -----------------------------------------------------------------------
    def augment_batch(self, texts: Sequence[str | None], indices: Sequence[int],
                      rank: int | None = None) -> list[list[tuple[str, str]] | None]:
        live = live_rows(texts)
        out: list[list[tuple[str, str]] | None] = [None] * len(texts)
        if not live:
            return out
        first = int(indices[0]) if len(indices) else 0
        per_pivot = -(-self.n_aug // len(self.pivots))
        used = self.pivots[: min(len(self.pivots), self.n_aug)]
        batch = [texts[i] for i in live]
        # candidates[pivot][row] : the round trips of the whole batch, one call per pivot
        candidates = {p: self.round_trip(batch, p, per_pivot, seed=self._seed(first, p, 0), rank=rank) for p in used}
        originals = [_WS.sub(" ", t).strip() for t in batch]

        def cands(pivot: str, row: int) -> list[str]:
            return candidates[pivot][row] if pivot in candidates else []

        def pick(row: int, k: int, chosen: list[str]) -> tuple[str, str] | None:
            pivot = self.pivots[k % len(self.pivots)]
            pool = [(c, pivot) for c in cands(pivot, row)[k // len(self.pivots):]]
            pool += [(c, p) for p in used if p != pivot for c in cands(p, row)]
            return next(((c, p) for c, p in pool if c != originals[row] and c not in chosen), None)

        results: list[list[tuple[str, str]]] = []
        stochastic = self.translator(rank).stochastic
        attempt = 0
        while True:
            results, short = [], set()
            for row in range(len(batch)):
                chosen: list[str] = []
                made = []
                for k in range(self.n_aug):
                    got = pick(row, k, chosen)
                    if got is None:  # nothing new and distinct: keep the assigned candidate
                        short.add(row)
                        pivot = self.pivots[k % len(self.pivots)]
                        fallback = cands(pivot, row) or cands(used[0], row)
                        got = (fallback[min(k // len(self.pivots), len(fallback) - 1)], pivot)
                    chosen.append(got[0])
                    made.append((got[0], f"{self.name}:{self.backend}:{got[1]}"))
                results.append(made)
            unused = [p for p in self.pivots if p not in candidates]
            if not short or (not unused and (not stochastic or attempt >= self.max_retries)):
                break
            # more candidates for the rows that lacked a new, distinct output: the pivots not yet
            # asked (a deterministic back-end's only other source), else a fresh sample
            redo = sorted(short)
            attempt += 0 if unused else 1
            for p in unused or used:
                more = self.round_trip([batch[r] for r in redo], p, per_pivot, seed=self._seed(first, p, attempt), rank=rank)
                pool = candidates.setdefault(p, [[] for _ in batch])
                for r, extra in zip(redo, more):
                    pool[r] = pool[r] + extra
            used = tuple(dict.fromkeys([*used, *unused]))
        unchanged = sum(1 for row, made in enumerate(results) for text, _ in made if text == originals[row])
        if unchanged:
            _log.info("backtranslate: %d output(s) of %d rows kept identical to their input (no candidate differed)",
                      unchanged, len(batch))
        for slot, i in enumerate(live):
            out[i] = results[slot]
        return out
