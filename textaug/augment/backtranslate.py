"""Back-translation: translate a text into a pivot language and back.

Back-end ``apertium`` (this module, the offline default): Apertium's rule-based translators from
Debian (``apertium`` plus a pair such as ``apertium-eng-spa``). A whole batch goes through one
pipeline of two ``apertium`` processes per pivot (source -> pivot -> source), one text per line,
so the cost is two process starts per batch and pivot, not per text.

Apertium is deterministic: a text has one round trip per pivot. Output ``k`` of a row takes pivot
``k mod len(pivots)``; an output identical to its input is retried with the next unused pivot,
and when every pivot returns the text unchanged it is kept (and counted in the log, logger
``textaug.augment.backtranslate``). The output is the same for any batch size and process count.
"""

from __future__ import annotations

import logging
import random
import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from ..resources import ResourceNotFoundError
from .base import Augmenter

__all__ = ["BackTranslate", "apertium_modes", "APERTIUM_PACKAGES"]

#: Debian packages that provide the apertium back-end's default pivots.
APERTIUM_PACKAGES = {"spa": "apertium-eng-spa", "cat": "apertium-eng-cat"}
BACKENDS = ("apertium",)
_log = logging.getLogger(__name__)
_WS = re.compile(r"\s+")


def apertium_modes() -> set[str]:
    """The translation modes installed (``apertium -l``), e.g. ``{"eng-spa", "spa-eng"}``."""
    if shutil.which("apertium") is None:
        return set()
    listed = subprocess.run(["apertium", "-l"], capture_output=True, text=True, timeout=30)
    return set(listed.stdout.split())


def _missing(what: str, pivot: str | None = None) -> ResourceNotFoundError:
    package = APERTIUM_PACKAGES.get(pivot or "", "apertium-eng-<pivot>")
    return ResourceNotFoundError(f"{what}: install the Debian packages `apertium {package}` "
                        f"(apt-get install apertium {package})")


@dataclass(frozen=True, kw_only=True)
class BackTranslate(Augmenter):
    """Round trips through pivot languages; ``aug_op`` is ``backtranslate:<backend>:<pivot>``.

    Texts are translated as single lines: line breaks and runs of whitespace inside a text become
    single spaces.
    """

    backend: str = field(default="apertium", metadata={"help": f"translation back-end: {', '.join(BACKENDS)}"})
    pivots: tuple[str, ...] = field(default=("spa",), metadata={
        "help": "pivot languages, each a round trip source -> pivot -> source (apertium codes: spa, cat)"})
    source: str = field(default="eng", metadata={"help": "the texts' language (apertium code)"})
    timeout: float = field(default=120.0, metadata={"help": "seconds one translation call may take"})
    name: ClassVar[str] = "backtranslate"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.backend not in BACKENDS:
            raise ValueError(f"unknown back-translation backend {self.backend!r}; choose one of {list(BACKENDS)}")
        pivots = (self.pivots,) if isinstance(self.pivots, str) else tuple(self.pivots)
        if not pivots or not all(isinstance(p, str) and p for p in pivots):
            raise ValueError(f"pivots must be a non-empty list of language codes, got {self.pivots!r}")
        object.__setattr__(self, "pivots", pivots)
        if not self.timeout > 0:
            raise ValueError(f"timeout must be positive, got {self.timeout}")

    @property
    def op_name(self) -> str:
        return f"{self.name}:{self.backend}:{self.pivots[0]}"

    def check(self) -> None:
        """Raise ResourceNotFoundError naming the packages when a needed translation mode is missing."""
        modes = apertium_modes()
        if not modes:
            raise _missing("apertium is not installed", self.pivots[0])
        for pivot in self.pivots:
            for mode in (f"{self.source}-{pivot}", f"{pivot}-{self.source}"):
                if mode not in modes:
                    raise _missing(f"the apertium mode {mode} is not installed", pivot)

    # -- translation --------------------------------------------------------------------------
    def _run(self, mode: str, lines: list[str]) -> list[str]:
        text = "\n".join(lines) + "\n"
        try:
            done = subprocess.run(["apertium", "-u", mode], input=text, capture_output=True, text=True,
                                  timeout=self.timeout, check=False)
        except FileNotFoundError:
            raise _missing("apertium is not installed", mode.split("-")[-1]) from None
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"apertium {mode} took longer than {self.timeout:g} s for {len(lines)} texts; "
                               "raise `timeout` or use smaller batches") from None
        if done.returncode != 0:
            raise RuntimeError(f"apertium {mode} failed: {done.stderr.strip()[:300]}")
        out = done.stdout.split("\n")
        if out and out[-1] == "":
            out.pop()
        if len(out) != len(lines):  # a line the translator merged or split: translate each alone
            if len(lines) == 1:
                return [" ".join(out)]
            return [self._run(mode, [line])[0] for line in lines]
        return out

    def round_trip(self, texts: Sequence[str], pivot: str) -> list[str]:
        """``texts`` translated source -> ``pivot`` -> source, one translator pipeline for all."""
        lines = [_WS.sub(" ", t).strip() for t in texts]
        if not lines:
            return []
        there = self._run(f"{self.source}-{pivot}", lines)
        return [t.strip() for t in self._run(f"{pivot}-{self.source}", there)]

    # -- the Augmenter contract -----------------------------------------------------------------
    def augment(self, text: str, rng: random.Random) -> str:
        return self.round_trip([text], self.pivots[0])[0]

    def augment_many(self, text: str, rng: random.Random, n: int) -> list[tuple[str, str]]:
        return self.augment_batch([text], [0])[0] or []

    def augment_batch(self, texts: Sequence[str | None], indices: Sequence[int]) -> list[list[tuple[str, str]] | None]:
        live = [i for i, t in enumerate(texts) if t is not None and t.strip()]
        # each pivot's round trip of the whole batch, computed only for the pivots some row needs
        needed = min(len(self.pivots), self.n_aug)
        trips: dict[str, list[str]] = {}

        def trip(pivot: str) -> list[str]:
            if pivot not in trips:
                trips[pivot] = self.round_trip([texts[i] for i in live], pivot)
            return trips[pivot]

        for pivot in self.pivots[:needed]:
            trip(pivot)
        out: list[list[tuple[str, str]] | None] = [None] * len(texts)
        unchanged = 0
        for slot, i in enumerate(live):
            original = _WS.sub(" ", texts[i]).strip()
            made = []
            for k in range(self.n_aug):
                order = [self.pivots[(k + j) % len(self.pivots)] for j in range(len(self.pivots))]
                chosen = next((p for p in order if trip(p)[slot] != original), None)
                if chosen is None:  # every pivot gives the text back unchanged: keep it, counted
                    chosen = order[0]
                    unchanged += 1
                made.append((trip(chosen)[slot], f"{self.name}:{self.backend}:{chosen}"))
            out[i] = made
        if unchanged:
            _log.info("backtranslate: %d output(s) of %d rows kept identical to their input (no pivot changed them)",
                      unchanged, len(live))
        return out
