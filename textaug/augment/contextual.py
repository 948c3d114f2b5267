"""Contextual substitution: replace words by ones that fit the sentence around them.

Two ways, both a few forward passes per batch, never one per word:

- with ``model`` (a fill-mask checkpoint, e.g. ``bert-base-uncased``): for each output, the chosen
  words are masked together, one mask per whole word; every masked text of the batch goes through
  the model in sub-batches of ``batch_size``; each mask's replacement is drawn from the model's
  ``top_k`` whole-word tokens (no subword pieces, no special tokens, not the word itself), with
  probability proportional to the model's;
- without one: candidates from WordNet synonyms and static-vector neighbours, each tried in its
  sentence, and all candidate sentences of the batch scored in one pass of the sentence encoder
  (the packaged MiniLM) by cosine to the original; the replacement is drawn from the ``top_k``
  closest, weighted by similarity.

The words to replace and the draws come from the row's seeded generator; model scores can move
in the last float digits with the padding of a batch, so the output is the same for a fixed batch
size (almost always for any).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from ..sources import check_model_source
from . import tokens as tk
from .base import Augmenter, check_fraction, check_positive_ints, live_rows, normalize_stopwords
from .eda import _match_case, _n_changes
from .embedding import EmbeddingSubstitute
from .lexicon import STOPWORDS, Lexicon
from .runtime import SentenceEncoder, process_resource, resolve_device

__all__ = ["ContextualSubstitute"]


@dataclass(frozen=True, kw_only=True)
class ContextualSubstitute(Augmenter):
    """Replace ``max(1, alpha * n_words)`` distinct non-stopwords by words that fit in context."""

    alpha: float = field(default=0.15, metadata={"help": "share of words replaced"})
    model: str | None = field(default=None, metadata={
        "help": "a fill-mask checkpoint (hub id or folder); None: WordNet + vectors re-ranked by MiniLM"})
    top_k: int = field(default=10, metadata={"help": "candidates a replacement is drawn from"})
    vectors: str | None = field(default=None, metadata={"help": "without model: vectors for neighbour candidates"})
    encoder: str = field(default="minilm", metadata={"help": "without model: the sentence encoder that re-ranks"})
    device: str = field(default="auto", metadata={"help": "cpu, cuda, cuda:N, mps or auto"})
    batch_size: int = field(default=64, metadata={"help": "texts per forward pass"})
    stopwords: tuple[str, ...] | None = field(default=None, metadata={"help": "words never replaced; None: English list"})
    name: ClassVar[str] = "contextual_substitute"
    recipe: ClassVar[str | None] = "contextual"
    rate_fields: ClassVar[tuple[str, ...]] = ("alpha",)
    tags: ClassVar[tuple[str, ...]] = ("contextual-substitution",)
    reproducible: ClassVar[str] = "the same output for a fixed batch size (model scores depend on the batch's padding)"

    def __post_init__(self) -> None:
        super().__post_init__()
        check_fraction("alpha", self.alpha, allow_zero=False)
        check_positive_ints(self, "top_k", "batch_size")
        normalize_stopwords(self)
        check_model_source(self.model)

    # -- shared ---------------------------------------------------------------------------------
    def _stop(self) -> frozenset[str]:
        return STOPWORDS if self.stopwords is None else frozenset(self.stopwords)

    def _choose(self, parsed: tk.Tokens, rng: random.Random, usable) -> list[int]:
        """Token positions of the distinct words to replace (every occurrence of a chosen word)."""
        tx, stop = parsed.tx, self._stop()
        keys = list(dict.fromkeys(tx[i].lower() for i in parsed.words if tx[i].lower() not in stop and usable(tx[i])))
        if not keys:
            return []
        chosen = set(rng.sample(keys, min(_n_changes(self.alpha, len(parsed.words)), len(keys))))
        return [i for i in parsed.words if tx[i].lower() in chosen]

    @staticmethod
    def _draw(rng: random.Random, options: list[str], weights: np.ndarray) -> str:
        weights = np.clip(weights, 0, None)
        if not options:
            return ""
        if weights.sum() <= 0:
            return options[int(rng.random() * len(options))]
        return rng.choices(options, weights=weights.tolist())[0]

    def augment_batch(self, texts: Sequence[str | None], indices: Sequence[int],
                      rank: int | None = None) -> list[list[tuple[str, str]] | None]:
        out: list[list[tuple[str, str]] | None] = [None] * len(texts)
        live = live_rows(texts)
        if not live:
            return out
        make = self._fill_mask if self.model is not None else self._rerank
        made = make([texts[i] for i in live], [int(indices[i]) for i in live], rank)
        for i, outputs in zip(live, made):
            out[i] = [(t, self.op_name) for t in outputs]
        return out

    # -- with a fill-mask model ---------------------------------------------------------------------
    def _mlm(self, rank: int | None):
        def load():
            from transformers import AutoModelForMaskedLM, AutoTokenizer

            try:
                tokenizer = AutoTokenizer.from_pretrained(self.model)
                model = AutoModelForMaskedLM.from_pretrained(self.model)
            except OSError as err:
                raise ValueError(f"cannot load fill-mask model {self.model!r}: {str(err).splitlines()[0]}") from err
            if tokenizer.mask_token is None:
                raise ValueError(f"{self.model!r} has no mask token: it is not a fill-mask model")
            vocab = tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))
            special = set(tokenizer.all_special_ids)
            # whole words only: no continuation pieces (##x), no specials, letters only
            words = np.array([i not in special and t.isalpha() for i, t in enumerate(vocab)])
            return tokenizer, model.to(resolve_device(self.device, rank)).eval(), words

        return process_resource(("fill-mask", self.model, self.device, rank), load)

    def _fill_mask(self, texts: list[str], indices: list[int], rank: int | None) -> list[list[str]]:
        import torch

        tokenizer, model, whole = self._mlm(rank)
        mask = tokenizer.mask_token
        plans = []  # (row, parsed, positions, masked text) per output
        for row, (text, index) in enumerate(zip(texts, indices)):
            rng = self.rng(index)
            parsed = tk.parse(text)
            for k in range(self.n_aug):
                positions = self._choose(parsed, rng, str.isalpha)
                masked = tk.render(tk.replace(parsed, dict.fromkeys(positions, mask)))
                # the draws of output k have their own generator: the model's batches are sorted by
                # length, so the order outputs are filled in must not matter
                draws = random.Random(f"{self.name}|{self.seed}|{index}|{k}")
                plans.append((row, parsed, positions, masked, draws))
        results: list[list[str]] = [[] for _ in texts]
        filled: list[str] = [""] * len(plans)
        order = sorted(range(len(plans)), key=lambda j: len(plans[j][3]))
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                chosen = [j for j in order[start:start + self.batch_size] if plans[j][2]]
                if not chosen:
                    continue
                batch = tokenizer([plans[j][3] for j in chosen], padding=True, truncation=True, max_length=512,
                                  return_tensors="pt").to(model.device)
                logits = model(**batch).logits.float()
                for b, j in enumerate(chosen):
                    row, parsed, positions, _, rng = plans[j]
                    where = (batch["input_ids"][b] == tokenizer.mask_token_id).nonzero().flatten().tolist()
                    replacement: dict[int, str] = {}
                    for pos, at in zip(positions, where):  # a mask cut off by truncation keeps its word
                        original = parsed.tx[pos].lower()
                        scores = logits[b, at].masked_fill(~torch.from_numpy(whole).to(logits.device), -float("inf"))
                        probs, ids = scores.softmax(-1).topk(self.top_k + 1)
                        options = [(tokenizer.convert_ids_to_tokens(int(i)), float(p)) for p, i in zip(probs, ids)]
                        options = [(w, p) for w, p in options if w.lower() != original][: self.top_k]
                        word = self._draw(rng, [w for w, _ in options], np.array([p for _, p in options]))
                        if word:
                            replacement[pos] = _match_case(parsed.tx[pos], word)
                    filled[j] = tk.render(tk.replace(parsed, replacement))
        for j, (row, parsed, positions, _, _) in enumerate(plans):
            results[row].append(filled[j] if positions else tk.render(parsed))
        return results

    # -- without one: WordNet + vectors, re-ranked by the sentence encoder ----------------------------
    def _candidates(self, words: list[str]) -> dict[str, list[str]]:
        resolve = process_resource(("wordnet-resolver",), lambda: Lexicon.wordnet().resolver())
        neighbours = EmbeddingSubstitute(vectors=self.vectors, min_similarity=0.5).table().lookup(words)
        return {w: list(dict.fromkeys([*resolve(w), *near]))[: 3 * self.top_k] for w, near in zip(words, neighbours)}

    def _rerank(self, texts: list[str], indices: list[int], rank: int | None) -> list[list[str]]:
        parsed = [tk.parse(t) for t in texts]
        stop = self._stop()
        words = sorted({p.tx[i].lower() for p in parsed for i in p.words} - stop)
        candidates = self._candidates(words)
        usable = lambda w: bool(candidates.get(w.lower()))  # noqa: E731
        plans = []
        for p, index in zip(parsed, indices):
            rng = self.rng(index)
            plans.append([(self._choose(p, rng, usable), rng) for _ in range(self.n_aug)])
        # every (row, word, candidate) tried in its sentence, all scored in one encoder pass
        trials: list[tuple[int, str, str]] = []
        for row, (p, outputs) in enumerate(zip(parsed, plans)):
            keys = {p.tx[i].lower() for positions, _ in outputs for i in positions}
            trials += [(row, key, c) for key in sorted(keys) for c in candidates[key]]
        sentences = []
        for row, key, c in trials:
            p = parsed[row]
            sentences.append(tk.render(tk.replace(p, {i: _match_case(p.tx[i], c) for i in p.words
                                                      if p.tx[i].lower() == key})))
        encoder = SentenceEncoder(self.encoder, self.batch_size, resolve_device(self.device, rank))
        vectors = encoder.embed([*texts, *sentences]) if sentences else np.zeros((len(texts), 1))
        sims = np.einsum("ij,ij->i", vectors[[row for row, _, _ in trials]], vectors[len(texts):]) if trials else []
        ranked: dict[tuple[int, str], list[tuple[str, float]]] = {}
        for (row, key, c), s in zip(trials, sims):
            ranked.setdefault((row, key), []).append((c, float(s)))
        results = []
        for row, (p, outputs) in enumerate(zip(parsed, plans)):
            made = []
            for positions, rng in outputs:
                replacement: dict[int, str] = {}
                for key in dict.fromkeys(p.tx[i].lower() for i in positions):
                    best = sorted(ranked[(row, key)], key=lambda cs: -cs[1])[: self.top_k]
                    sims = np.array([s for _, s in best])
                    # a softmax at temperature 0.05: cosines differ by hundredths, so weighting by the
                    # raw cosine would draw almost uniformly from the top k
                    word = self._draw(rng, [c for c, _ in best], np.exp((sims - sims.max()) / 0.05))
                    replacement.update({i: _match_case(p.tx[i], word) for i in positions if p.tx[i].lower() == key})
                made.append(tk.render(tk.replace(p, replacement)))
            results.append(made)
        return results
