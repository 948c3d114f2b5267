"""The translation back-ends of :class:`~textaug.augment.backtranslate.BackTranslate`.

Each turns a list of texts into ``n`` translations per text in one direction, a whole batch at a
time. Heavy models are per-process resources (:func:`textaug.augment.runtime.process_resource`): loaded on first use in
each worker, never pickled, never part of a datasets fingerprint.

- ``apertium``: Debian's rule-based translators, one ``apertium`` process per direction and batch.
- ``seq2seq``: any ``AutoModelForSeq2SeqLM`` (Marian opus-mt style): texts sorted by length and cut
  into sub-batches under a token budget, one ``generate`` call per sub-batch; sampling or beam
  search; inputs longer than the model's limit split into sentences and joined back.
- ``ctranslate2``: the same checkpoints converted once by CTranslate2's converter (cached beside
  the datasets cache, keyed by the source model), int8 on CPU, float16 on GPU.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..resources import ResourceNotFoundError
from .runtime import process_resource, resolve_device

__all__ = ["Apertium", "Seq2Seq", "CTranslate2", "split_sentences",
           "APERTIUM_PACKAGES", "apertium_modes", "ct2_cache_dir"]

#: Debian packages that provide the apertium back-end's default pivots.
APERTIUM_PACKAGES = {"spa": "apertium-eng-spa", "cat": "apertium-eng-cat"}
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")

def split_sentences(text: str) -> list[str]:
    """Sentences of ``text`` (after ., !, ? or … and whitespace); never empty."""
    parts = [p for p in _SENTENCE_END.split(text.strip()) if p]
    return parts or [text]


# -- apertium -------------------------------------------------------------------------------------
def apertium_modes() -> set[str]:
    """The translation modes installed (``apertium -l``), e.g. ``{"eng-spa", "spa-eng"}``."""
    if shutil.which("apertium") is None:
        return set()
    listed = subprocess.run(["apertium", "-l"], capture_output=True, text=True, timeout=30)
    return set(listed.stdout.split())


def apertium_missing(what: str, pivot: str | None = None, source: str = "eng") -> ResourceNotFoundError:
    """The error for a missing apertium or pair: the package to install where it is known (else how
    to find it), and the round trips that are installed, so another pivot can be chosen."""
    modes = apertium_modes()
    pivots = sorted({m.split("-")[1] for m in modes if m.startswith(f"{source}-") and
                     f"{m.split('-')[1]}-{source}" in modes})
    installed = (f"; pivots installed for {source}: {', '.join(pivots)}" if pivots
                 else "; no pair is installed" if shutil.which("apertium") else "")
    if pivot in APERTIUM_PACKAGES:
        package = APERTIUM_PACKAGES[pivot]
        fix = f"apt-get install apertium {package}"
    else:
        fix = f"find the Debian package of the {source}-{pivot} pair with `apt-cache search apertium {pivot}`"
    return ResourceNotFoundError(f"{what}: {fix}{installed}")


@dataclass(frozen=True)
class Apertium:
    """Rule-based and deterministic: one translation per text whatever ``n`` asks."""

    timeout: float
    stochastic = False

    def translate(self, texts: Sequence[str], source: str, target: str, n: int = 1, seed: int = 0) -> list[list[str]]:
        return [[t] for t in self._run(f"{source}-{target}", list(texts))]

    def check(self, source: str, pivots: Sequence[str]) -> None:
        modes = apertium_modes()
        if not modes:
            raise apertium_missing("apertium is not installed", pivots[0])
        for pivot in pivots:
            for mode in (f"{source}-{pivot}", f"{pivot}-{source}"):
                if mode not in modes:
                    raise apertium_missing(f"the apertium mode {mode} is not installed", pivot, source)

    def _run(self, mode: str, lines: list[str]) -> list[str]:
        try:
            done = subprocess.run(["apertium", "-u", mode], input="\n".join(lines) + "\n", capture_output=True,
                                  text=True, timeout=self.timeout, check=False)
        except FileNotFoundError:
            raise apertium_missing("apertium is not installed", mode.split("-")[-1]) from None
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
                return [_first_letter_as_in(lines[0], " ".join(out).strip())]
            return [self._run(mode, [line])[0] for line in lines]
        return [_first_letter_as_in(line, t.strip()) for line, t in zip(lines, out)]


def _first_letter_as_in(source: str, translated: str) -> str:
    """``translated`` with its first letter in the case of ``source``'s first letter. Apertium
    capitalises the start of its whole input, so without this a row's output would depend on
    whether it came first in its batch."""
    i = next((k for k, c in enumerate(translated) if c.isalpha()), None)
    first = next((c for c in source if c.isalpha()), None)
    if i is None or first is None:
        return translated
    letter = translated[i].upper() if first.isupper() else translated[i].lower()
    return translated[:i] + letter + translated[i + 1:]


# -- seq2seq (transformers) ---------------------------------------------------------------------
@dataclass(frozen=True)
class Decoding:
    """How translations are drawn: sampling (``temperature``, ``top_k``, ``top_p``; UDA samples with
    temperature 0.9) or beam search (``num_beams``, deterministic)."""

    sampling: bool = True
    temperature: float = 0.9
    top_k: int = 0
    top_p: float = 1.0
    num_beams: int = 4
    max_new_tokens: int | None = None
    #: at least this many tokens (a benchmark fixes the output length with both bounds)
    min_new_tokens: int | None = None


def _budget_batches(lengths: Sequence[int], max_tokens: int, copies: int) -> list[list[int]]:
    """Indices sorted by length, cut so that (longest x rows x copies) stays under ``max_tokens``."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    batches: list[list[int]] = []
    current: list[int] = []
    for i in order:
        width = max(lengths[i], max((lengths[j] for j in current), default=0))
        if current and width * (len(current) + 1) * copies > max_tokens:
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches


@dataclass(frozen=True)
class Seq2Seq:
    """A pair of translation directions, each an ``AutoModelForSeq2SeqLM`` checkpoint."""

    models: dict[tuple[str, str], str]  # (source, target) -> hub id or folder
    device: str
    decoding: Decoding
    max_tokens: int
    rank: int | None = None

    @property
    def stochastic(self) -> bool:
        return self.decoding.sampling

    def _load(self, name: str):
        def load():
            from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

            try:
                tokenizer = AutoTokenizer.from_pretrained(name)
                model = AutoModelForSeq2SeqLM.from_pretrained(name)
            except OSError as err:
                raise ValueError(f"cannot load translation model {name!r}: {str(err).splitlines()[0]}") from err
            return tokenizer, model.to(resolve_device(self.device, self.rank)).eval()

        return process_resource(("seq2seq", name, self.device, self.rank), load)

    def _model_name(self, source: str, target: str) -> str:
        if (source, target) not in self.models:
            raise ValueError(f"no translation model for {source} -> {target}; models cover {sorted(self.models)}")
        return self.models[(source, target)]

    def translate(self, texts: Sequence[str], source: str, target: str, n: int = 1, seed: int = 0) -> list[list[str]]:
        import torch

        tokenizer, model = self._load(self._model_name(source, target))
        lang_id = _target_language(tokenizer, source, target)
        limit = _input_limit(tokenizer, model)
        pieces, owner = _pieces(texts, tokenizer, limit)
        ids = tokenizer(pieces, truncation=True, max_length=limit)["input_ids"]
        out: list[list[str]] = [[] for _ in pieces]
        d = self.decoding
        kw: dict[str, Any] = {"num_return_sequences": n,
                              "max_new_tokens": d.max_new_tokens or max(16, int(1.5 * max(map(len, ids), default=1)) + 8)}
        if d.min_new_tokens:
            kw["min_new_tokens"] = d.min_new_tokens
        if lang_id is not None:
            kw["forced_bos_token_id"] = lang_id
        if d.sampling:
            kw.update(do_sample=True, temperature=d.temperature, top_k=d.top_k, top_p=d.top_p, num_beams=1)
        else:
            kw.update(do_sample=False, num_beams=max(d.num_beams, n))
        device = next(model.parameters()).device
        with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []), torch.inference_mode():
            torch.manual_seed(seed)  # sampled outputs are a function of (seed, batch); global RNG restored
            for chosen in _budget_batches([len(r) for r in ids], self.max_tokens, n):
                batch = tokenizer.pad({"input_ids": [ids[i] for i in chosen]}, return_tensors="pt").to(device)
                generated = model.generate(**batch, **kw)
                decoded = tokenizer.batch_decode(generated, skip_special_tokens=True)
                for k, i in enumerate(chosen):
                    out[i] = [t.strip() for t in decoded[k * n:(k + 1) * n]]
        return _join(out, owner, len(texts), n)


def _target_language(tokenizer, source: str, target: str) -> int | None:
    """For a multilingual checkpoint (M2M100, NLLB, mBART-50: its tokenizer has ``src_lang``), set
    the source language and return the target language's token id, which must start the output;
    None for a one-direction model (Marian)."""
    if not hasattr(tokenizer, "src_lang"):
        return None
    try:
        tokenizer.src_lang = source  # re-computes the source prefix tokens of every later call
        lang_id = tokenizer.get_lang_id(target) if hasattr(tokenizer, "get_lang_id") else tokenizer.convert_tokens_to_ids(target)
    except (KeyError, ValueError):
        lang_id = None
    if lang_id is None or lang_id == tokenizer.unk_token_id:
        raise ValueError(f"{source!r} -> {target!r}: not language codes of this multilingual model")
    return int(lang_id)


def _input_limit(tokenizer, model) -> int:
    limits = [getattr(model.config, "max_position_embeddings", None), getattr(tokenizer, "model_max_length", None)]
    return int(min(v for v in limits if isinstance(v, int) and 0 < v < 100_000) if any(
        isinstance(v, int) and 0 < v < 100_000 for v in limits) else 512)


def _pieces(texts: Sequence[str], tokenizer, limit: int) -> tuple[list[str], list[int]]:
    """Texts over the model's input limit are split into sentences (never silently truncated);
    ``owner[k]`` is the text piece ``k`` belongs to."""
    pieces: list[str] = []
    owner: list[int] = []
    lengths = [len(r) for r in tokenizer(list(texts))["input_ids"]]
    for i, (text, length) in enumerate(zip(texts, lengths)):
        parts = split_sentences(text) if length > limit else [text]
        pieces += parts
        owner += [i] * len(parts)
    return pieces, owner


def _join(out: list[list[str]], owner: list[int], count: int, n: int) -> list[list[str]]:
    """Put a split text's sentences back together, hypothesis by hypothesis."""
    joined: list[list[list[str]]] = [[[] for _ in range(n)] for _ in range(count)]
    for piece, text in zip(out, owner):
        for k in range(n):
            joined[text][k].append(piece[k] if k < len(piece) else piece[-1])
    return [[" ".join(parts) for parts in row] for row in joined]


# -- CTranslate2 ------------------------------------------------------------------------------------
def ct2_cache_dir() -> Path:
    """Converted models live beside the datasets cache (``HF_DATASETS_CACHE/../textaug-ct2``)."""
    from datasets import config

    return Path(config.HF_DATASETS_CACHE).parent / "textaug-ct2"


def _convert(name: str, quantization: str) -> Path:
    """The CTranslate2 conversion of ``name`` (a folder or hub id), made once and cached; the key
    is the source model (a folder: its path and the weights' modification times)."""
    import ctranslate2.converters

    local = Path(name).expanduser()
    stamp = name
    if local.is_dir():
        weights = sorted(local.glob("*.safetensors")) + sorted(local.glob("*.bin"))
        stamp = str(local.resolve()) + "".join(f"|{w.name}:{w.stat().st_mtime_ns}" for w in weights)
    key = hashlib.sha256(f"{stamp}|{quantization}".encode()).hexdigest()[:16]
    target = ct2_cache_dir() / f"{local.name or name.replace('/', '--')}-{quantization}-{key}"
    if not (target / "model.bin").is_file():
        tmp = target.with_name(target.name + f".tmp{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        ctranslate2.converters.TransformersConverter(str(local) if local.is_dir() else name).convert(
            str(tmp), quantization=quantization, force=True)
        try:
            tmp.rename(target)
        except OSError:  # another worker converted it first
            shutil.rmtree(tmp, ignore_errors=True)
    return target


@dataclass(frozen=True)
class CTranslate2(Seq2Seq):
    """:class:`Seq2Seq`'s models through CTranslate2: int8 on CPU, float16 on GPU by default."""

    compute_type: str | None = None

    def _load(self, name: str):
        def load():
            import ctranslate2
            from transformers import AutoTokenizer

            device = resolve_device(self.device, self.rank)
            kind, _, index = device.partition(":")
            if kind not in ("cpu", "cuda"):
                raise ValueError(f"the ctranslate2 backend runs on cpu or cuda, not {device!r}")
            compute = self.compute_type or ("int8" if kind == "cpu" else "float16")
            translator = ctranslate2.Translator(str(_convert(name, compute)), device=kind,
                                                device_index=int(index or 0), compute_type=compute,
                                                inter_threads=1, intra_threads=0)
            return AutoTokenizer.from_pretrained(name), translator

        return process_resource(("ct2", name, self.device, self.rank, self.compute_type), load)

    def translate(self, texts: Sequence[str], source: str, target: str, n: int = 1, seed: int = 0) -> list[list[str]]:
        import ctranslate2

        tokenizer, translator = self._load(self._model_name(source, target))
        lang_id = _target_language(tokenizer, source, target)
        prefix = [tokenizer.convert_ids_to_tokens(lang_id)] if lang_id is not None else None
        limit = tokenizer.model_max_length if 0 < tokenizer.model_max_length < 100_000 else 512
        pieces, owner = _pieces(texts, tokenizer, limit)
        tokens = [tokenizer.convert_ids_to_tokens(ids) for ids in tokenizer(pieces, truncation=True)["input_ids"]]
        d = self.decoding
        # n samples per text: the text repeated n times (CTranslate2 returns n hypotheses per input
        # only from a beam of at least n)
        source_tokens = [t for t in tokens for _ in range(n)] if d.sampling else tokens
        if prefix:  # a multilingual model: the target language token starts every output
            kw_prefix = {"target_prefix": [prefix] * len(source_tokens)}
        else:
            kw_prefix = {}
        kw: dict[str, Any] = {"max_batch_size": self.max_tokens, "batch_type": "tokens",
                              "max_decoding_length": d.max_new_tokens or max(16, int(1.5 * max(map(len, tokens), default=1)) + 8),
                              "min_decoding_length": d.min_new_tokens or 1}
        if d.sampling:
            ctranslate2.set_random_seed(seed)
            kw.update(beam_size=1, sampling_topk=d.top_k or 0, sampling_topp=d.top_p, sampling_temperature=d.temperature)
            results = translator.translate_batch(source_tokens, **kw, **kw_prefix)
            hyps = [r.hypotheses[0] for r in results]
            grouped = [hyps[k * n:(k + 1) * n] for k in range(len(tokens))]
        else:
            results = translator.translate_batch(source_tokens, beam_size=max(d.num_beams, n), num_hypotheses=n,
                                                 **kw, **kw_prefix)
            grouped = [r.hypotheses[:n] for r in results]
        if prefix:
            grouped = [[h[len(prefix):] if h[: len(prefix)] == prefix else h for h in hs] for hs in grouped]
        out = [[tokenizer.decode(tokenizer.convert_tokens_to_ids(h), skip_special_tokens=True).strip() for h in hs]
               for hs in grouped]
        return _join(out, owner, len(texts), n)
