"""LLM paraphrase: ``n_aug`` rewrites of each row by an instruction-tuned model, local or behind
any OpenAI-compatible server (see :mod:`textaug.augment.llm_chat`).

Each row's prompt is built from a template (``{text}``, and optionally ``{label}``, the row's
label name, ``{task}``, a task description, ``{n}``, the number of outputs asked for). A reply
becomes candidates (:mod:`textaug.augment.llm_text`); a candidate that is empty, a refusal,
mostly the prompt, identical to the input or to one already kept is refused, its reason counted,
and the row asked again (a fresh seed per attempt) up to ``max_retries`` times; a row still short
keeps fewer outputs (``fill="fewer"``) or is filled with its refused identical or duplicate
candidates (``fill="best"``; never a refusal, an empty or an echoed prompt). Everything is
counted per row and summed by ``augment_dataset`` into ``info.description`` under
``textaug_llm_stats`` (requests, replies, cached, kept, refused by reason, rows short, filled,
tokens, cost), which ``textaug augment`` prints.
"""

from __future__ import annotations

import bisect
import logging
import random
import string
import zlib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

from ..resources import cache_dir
from ..sources import check_model_source
from .base import Augmenter, SideOutput, check_positive_ints, live_rows, sum_counts
from .llm_chat import ChatReply, ChatRequest, OpenAIChat, Sampling, TransformersChat, output_seed
from .llm_text import OUTPUT_FORMATS, parse_reply, reject_reason, template_words

__all__ = ["LLMParaphrase", "LLMGenerate", "SHOWN", "GENERATE_PROMPT", "describe_llm_stats", "LLM_BACKENDS", "LLM_STATS", "LLM_STATS_KEY", "PARAPHRASE_PROMPTS"]

LLM_BACKENDS = ("transformers", "openai")
#: The column that carries each row's counts through ``datasets.map``, and the key they are
#: summed under in ``info.description``.
LLM_STATS = "aug_llm_stats"
LLM_STATS_KEY = "textaug_llm_stats"
#: The default prompt of each output format.
PARAPHRASE_PROMPTS = {
    "single": "Paraphrase this text, keeping its meaning: {text}",
    "list": "Write {n} different paraphrases of this text, keeping its meaning, as a numbered list: {text}",
}
#: The column of an LLMGenerate output row that lists the rows its prompt showed (its aug_source first).
SHOWN = "aug_shown"
GENERATE_PROMPT = ("Here are examples of texts labelled {label}:\n{examples}\n\nWrite one new text labelled {label}, "
                   "of the same kind and different from the examples. Answer with the new text only.")
_FILLS = ("fewer", "best")
_FILLABLE = ("identical", "duplicate")  # refused candidates that are real text, used by fill="best"
_log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class _LLMAugmenter(Augmenter):
    """What the LLM augmenters share: the back-end, sampling, retries and counting."""

    backend: str = field(default="transformers", metadata={"help": f"where the model runs: {', '.join(LLM_BACKENDS)}"})
    model: str = field(default="smollm2", metadata={
        "help": "transformers: a chat model's folder or hub id (smollm2: the packaged SmolLM2-135M-Instruct); "
                "openai: the server's model name"})
    base_url: str | None = field(default=None, metadata={"help": "openai: the server's URL (None: OpenAI's)"})
    api_key_env: str = field(default="OPENAI_API_KEY", metadata={
        "help": "openai: the environment variable holding the key (the key itself is never stored)"})
    prompt: str | None = field(default=None, metadata={
        "help": "the user message, a template with {text} and optionally {label}, {task}, {n} (None: the default)"})
    system: str | None = field(default=None, metadata={"help": "a system message (None: the model's default)"})
    task: str | None = field(default=None, metadata={"help": "a task description: {task} in the prompt, else put before it"})
    temperature: float = field(default=0.8, metadata={"help": "sampling temperature"})
    top_p: float = field(default=0.95, metadata={"help": "nucleus sampling mass"})
    max_new_tokens: int = field(default=96, metadata={"help": "tokens generated at most per reply"})
    max_retries: int = field(default=2, metadata={"help": "re-asks of a row whose outputs were refused"})
    fill: str = field(default="fewer", metadata={
        "help": "a row still short: 'fewer' keeps fewer outputs, 'best' fills with refused identical/duplicate ones"})
    device: str = field(default="auto", metadata={"help": "transformers: cpu, cuda, cuda:N, mps or auto"})
    batch_size: int = field(default=16, metadata={"help": "transformers: prompts generated together"})
    concurrency: int = field(default=4, metadata={"help": "openai: requests in flight at once"})
    request_retries: int = field(default=4, metadata={"help": "openai: retries of a request on 429, 5xx and timeouts"})
    timeout: float = field(default=60.0, metadata={"help": "openai: seconds a request may take"})
    cache: str | None = field(default="auto", metadata={
        "help": "openai: a reply cache file (auto: llm-replies.sqlite in textaug's cache folder; none: off)"})
    price_per_1k_tokens: float | None = field(default=None, metadata={"help": "price of 1,000 tokens, for the cost in the stats"})
    label_column: str = field(default="label", metadata={"help": "the column of the labels {label} names"})
    label_names: tuple[str, ...] | None = field(default=None, metadata={
        "help": "names of integer labels, for {label} (augment_dataset takes them from a ClassLabel)"})

    side_output: ClassVar[SideOutput] = SideOutput(LLM_STATS, LLM_STATS_KEY, sum_counts)
    output_format: str = "single"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.backend not in LLM_BACKENDS:
            raise ValueError(f"unknown LLM backend {self.backend!r}; choose one of {list(LLM_BACKENDS)}")
        if not isinstance(self.model, str) or not self.model:
            raise ValueError(f"model must be a non-empty string, got {self.model!r}")
        if self.backend == "transformers":
            check_model_source(self.model)
        if self.output_format not in OUTPUT_FORMATS:
            raise ValueError(f"output_format must be one of {list(OUTPUT_FORMATS)}, got {self.output_format!r}")
        used = self._placeholders()
        if self.required_placeholder not in used:
            raise ValueError(f"prompt must contain {{{self.required_placeholder}}}, got {self.template!r}")
        if used - self.placeholders:
            raise ValueError(f"prompt has unknown placeholders {sorted(used - self.placeholders)}; it may use "
                             f"{sorted(self.placeholders)}")
        if "task" in used and not self.task:
            raise ValueError("prompt uses {task}, but no task description is given")
        if not 0 < self.temperature <= 5:
            raise ValueError(f"temperature must be in (0, 5], got {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")
        if not self.timeout > 0:
            raise ValueError(f"timeout must be positive, got {self.timeout}")
        check_positive_ints(self, "max_new_tokens", "batch_size", "concurrency")
        for name in ("max_retries", "request_retries"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be an integer >= 0, got {value!r}")
        if self.fill not in _FILLS:
            raise ValueError(f"fill must be one of {list(_FILLS)}, got {self.fill!r}")
        if self.price_per_1k_tokens is not None and not self.price_per_1k_tokens >= 0:
            raise ValueError(f"price_per_1k_tokens must be >= 0, got {self.price_per_1k_tokens}")
        if self.cache is not None and self.cache.lower() == "none":
            object.__setattr__(self, "cache", None)
        if self.label_names is not None:
            object.__setattr__(self, "label_names", tuple(str(n) for n in self.label_names))

    #: The placeholder every prompt must have, and all a prompt may have.
    required_placeholder: ClassVar[str] = "text"
    placeholders: ClassVar[frozenset[str]] = frozenset({"text", "label", "task", "n"})

    def bind(self, ds: Any) -> Augmenter:
        """With the label names of a ``ClassLabel`` label column, for ``{label}``."""
        from datasets import ClassLabel  # lazy: importing textaug stays cheap

        feature = ds.features.get(self.label_column) if hasattr(ds, "features") else None
        if self.label_names is None and isinstance(feature, ClassLabel):
            return replace(self, label_names=tuple(feature.names))
        return self

    # -- the prompt ------------------------------------------------------------------------------------
    @property
    def template(self) -> str:
        return self.prompt if self.prompt is not None else self.default_prompt()

    def default_prompt(self) -> str:
        raise NotImplementedError

    def _placeholders(self) -> set[str]:
        try:
            return {name for _, name, _, _ in string.Formatter().parse(self.template) if name is not None}
        except ValueError as err:
            raise ValueError(f"prompt {self.template!r} is not a valid template ({err}); write a literal brace as {{{{ or }}}}") from None

    def _label_name(self, label: Any) -> str:
        if label is None:
            raise ValueError(f"the prompt uses {{label}}, but the data has no column {self.label_column!r}")
        if self.label_names is not None and isinstance(label, int) and 0 <= label < len(self.label_names):
            return self.label_names[label]
        return str(label)

    def messages(self, fill: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
        """The chat messages of one request (``fill``: the placeholders' values)."""
        values = {**fill, "task": self.task or ""}
        user = self.template.format_map(values)
        if self.task and "task" not in self._placeholders():
            user = f"{self.task}\n\n{user}"
        return ((("system", self.system),) if self.system else ()) + (("user", user),)

    # -- the back-end ---------------------------------------------------------------------------------
    def chat(self, rank: int | None = None):
        sampling = Sampling(self.temperature, self.top_p, self.max_new_tokens)
        if self.backend == "transformers":
            return TransformersChat(self.model, sampling, self.device, self.batch_size, rank)
        cache = str(cache_dir() / "llm-replies.sqlite") if self.cache == "auto" else self.cache
        return OpenAIChat(self.model, sampling, self.base_url, self.api_key_env, self.concurrency,
                          self.request_retries, self.timeout, cache)

    def check(self) -> None:
        """What can be checked before any work: the packaged model is there, or the client and key."""
        if self.backend == "transformers":
            from ..resources import resolve_model

            resolve_model(self.model)  # the packaged SmolLM2: found (and built once) or a clear error
        else:
            try:
                import openai  # noqa: F401
            except ImportError:
                raise ValueError("the openai back-end needs the 'openai' package: pip install openai") from None
            self.chat()._key()

    @property
    def reproducible(self) -> str:  # type: ignore[override]
        if self.backend == "openai":
            return ("the same output for any batch size where the server honours the seed, and always from the "
                    "reply cache")
        return "the same output for a fixed batch size (the prompts of a batch are sampled together)"

    def _seed(self, index: int, attempt: int) -> int:
        return zlib.crc32(f"{self.name}|{self.seed}|{index}|{attempt}".encode()) & 0x7FFFFFFF

    # -- the Augmenter contract -------------------------------------------------------------------------
    def augment_batch(self, texts: Sequence[str | None], indices: Sequence[int],
                      rank: int | None = None) -> list[list[tuple[str, str]] | None]:
        return self._run(texts, indices, None, rank)[0]

    def augment_batch_counted(self, batch, texts, indices, rank):
        return self._run(texts, indices, batch.get(self.label_column), rank)

    def _requests(self, row: int, texts, indices, labels, need: int, attempt: int) -> list[ChatRequest]:
        """The requests that ask for ``need`` more outputs of batch row ``row``."""
        raise NotImplementedError

    def _shown(self, row: int, texts, request: ChatRequest) -> list[str]:
        """The texts the model was shown for a row (what its outputs must not repeat)."""
        return [texts[row]]

    def _extras(self, request: ChatRequest) -> dict[str, Any] | None:
        """The extra columns of the outputs a request brought (see ``extra_columns``)."""
        return None

    def _run(self, texts: Sequence[str | None], indices: Sequence[int], labels: Sequence[Any] | None,
             rank: int | None) -> tuple[list[list[tuple[str, str]] | None], list[dict[str, Any]]]:
        outputs: list[list[tuple[str, str]] | None] = [None] * len(texts)
        stats: list[dict[str, Any]] = [{} for _ in texts]
        live = live_rows(texts)
        if not live:
            return outputs, stats
        if "label" in self._placeholders() and labels is None:
            raise ValueError(f"the prompt uses {{label}}, but the batch has no column {self.label_column!r} "
                             "(run it through textaug.augment_dataset or ds.map on the whole dataset)")
        chat = self.chat(rank)
        instruction = template_words(self.template) | template_words(self.task or "")
        kept: dict[int, list[tuple]] = {i: [] for i in live}
        refused: dict[int, list[tuple[str, tuple]]] = {i: [] for i in live}
        counts = {i: Counter() for i in live}
        todo = list(live)
        for attempt in range(self.max_retries + 1):
            need = {i: self.n_aug - len(kept[i]) for i in todo}
            asked = [(i, request) for i in todo for request in self._requests(i, texts, indices, labels, need[i], attempt)]
            replies: list[ChatReply] = chat.complete([request for _, request in asked])
            for i in todo:
                counts[i]["resampled"] += attempt > 0
            for (i, request), reply in zip(asked, replies):
                c = counts[i]
                c.update(requests=reply.sent, cached=reply.cached, replies=len(reply.texts),
                         prompt_tokens=reply.prompt_tokens, completion_tokens=reply.completion_tokens)
                shown = self._shown(i, texts, request)
                extras = self._extras(request)
                for raw in reply.texts:
                    candidates = parse_reply(raw, self.output_format, texts[i])
                    if candidates is None:
                        c["refused:unparsed"] += 1
                        continue
                    for candidate in candidates:
                        if len(kept[i]) >= self.n_aug:
                            c["surplus"] += 1
                            continue
                        out = (candidate, self.op_name) + ((extras,) if extras is not None else ())
                        reason = reject_reason(candidate, shown, [k[0] for k in kept[i]], instruction)
                        if reason is None:
                            kept[i].append(out)
                        else:
                            c[f"refused:{reason}"] += 1
                            refused[i].append((reason, out))
            todo = [i for i in todo if len(kept[i]) < self.n_aug]
            if not todo:
                break
        for i in live:
            c = counts[i]
            made = kept[i]
            short = len(made) < self.n_aug
            if short and self.fill == "best":
                for reason, candidate in refused[i]:
                    if len(made) == self.n_aug:
                        break
                    if reason in _FILLABLE:
                        made.append(candidate)
                        c["filled"] += 1
            c.update(kept=len(made), rows_short=int(short))
            outputs[i] = made
            stats[i] = self._row_stats(c)
        short_rows = sum(s["rows_short"] for s in stats if s)
        if short_rows:
            _log.info("%s: %d of %d rows got fewer than %d outputs after %d re-asks", self.name, short_rows,
                      len(live), self.n_aug, self.max_retries)
        return outputs, stats

    def _row_stats(self, c: Counter) -> dict[str, Any]:
        out: dict[str, Any] = {k: v for k, v in c.items() if not k.startswith("refused:")}
        out["refused"] = {k.split(":", 1)[1]: v for k, v in c.items() if k.startswith("refused:") and v}
        for key in ("requests", "cached", "replies", "kept", "rows_short", "filled", "resampled", "surplus",
                    "prompt_tokens", "completion_tokens"):
            out.setdefault(key, 0)
        if self.price_per_1k_tokens is not None:
            out["cost"] = (out["prompt_tokens"] + out["completion_tokens"]) / 1000 * self.price_per_1k_tokens
        return out


@dataclass(frozen=True, kw_only=True)
class LLMParaphrase(_LLMAugmenter):
    """``n_aug`` rewrites of each row that keep its meaning (and label); see the module docstring.

    ``output_format="single"`` asks for one rewrite per reply (``n`` sampled replies per prompt);
    ``"list"`` asks one reply for a numbered list of ``n`` (a JSON array is read too).
    """

    output_format: str = field(default="single", metadata={
        "help": "single: one rewrite per reply; list: one reply lists them (numbered or a JSON array)"})
    name: ClassVar[str] = "llm_paraphrase"
    recipe: ClassVar[str | None] = "llm-paraphrase"
    tags: ClassVar[tuple[str, ...]] = ("llm-paraphrase",)

    def default_prompt(self) -> str:
        return PARAPHRASE_PROMPTS[self.output_format]

    def _requests(self, row, texts, indices, labels, need, attempt):
        fill = {"text": texts[row], "n": need}
        if labels is not None:
            fill["label"] = self._label_name(labels[row])
        n = need if self.output_format == "single" else 1
        return [ChatRequest(self.messages(fill), n, self._seed(int(indices[row]), attempt))]



@dataclass(frozen=True, kw_only=True)
class LLMGenerate(_LLMAugmenter):
    """New rows of a row's label, written by the model from ``k_shot`` examples of that label: the
    row itself and ``k_shot - 1`` others drawn per output (seeded by seed, row, output, attempt)
    from the whole dataset's rows of the label, shown in a shuffled order.

    Provenance: ``aug_source`` is the row itself and ``aug_shown`` lists every row shown (the row
    first), so that folds grouped by source can keep the others out too. The dataset's rows come
    from :meth:`bind`, which ``augment_dataset`` calls; class budgets (``balance=True``) apply as
    for any augmenter. An output identical to any example shown is refused.
    """

    k_shot: int = field(default=3, metadata={"help": "examples of the label shown per output (the row and k_shot-1 others)"})
    pool: tuple[tuple[Any, tuple[tuple[int, str], ...]], ...] | None = field(
        default=None, repr=False, metadata={"bound": True, "help": "each label's (index, text) rows, from bind()"})
    name: ClassVar[str] = "llm_generate"
    recipe: ClassVar[str | None] = "llm-generate"
    tags: ClassVar[tuple[str, ...]] = ("llm-generation",)
    required_placeholder: ClassVar[str] = "examples"
    placeholders: ClassVar[frozenset[str]] = frozenset({"examples", "label", "task", "k"})
    extra_columns: ClassVar[tuple[str, ...]] = (SHOWN,)

    def __post_init__(self) -> None:
        super().__post_init__()
        check_positive_ints(self, "k_shot")
        if self.output_format != "single":
            raise ValueError("llm-generate writes one text per reply: output_format must be 'single'")

    def default_prompt(self) -> str:
        return GENERATE_PROMPT

    def extra_features(self) -> dict[str, Any]:
        from datasets import List, Value

        return {SHOWN: List(Value("int64"))}

    def bind(self, ds: Any) -> Augmenter:
        """With every live row of the dataset, by label: the examples the prompts draw from."""
        bound = super().bind(ds)
        if self.label_column not in ds.column_names:
            raise ValueError(f"llm-generate writes rows of a label from examples of it: the data has no label column "
                             f"{self.label_column!r}; its columns are {ds.column_names}")
        by_label: dict[Any, list[tuple[int, str]]] = {}
        for index, (text, label) in enumerate(zip(ds[self.column], ds[self.label_column])):
            if isinstance(text, str) and text.strip():
                by_label.setdefault(label, []).append((index, " ".join(text.split())))
        return replace(bound, pool=tuple((label, tuple(rows)) for label, rows in by_label.items()))

    def _requests(self, row, texts, indices, labels, need, attempt):
        if self.pool is None:
            raise ValueError("LLMGenerate draws examples from the whole dataset: run it through "
                             "textaug.augment_dataset(ds, aug), or ds.map(aug.bind(ds), ...)")
        if labels is None:
            raise ValueError(f"LLMGenerate needs the labels: the batch has no column {self.label_column!r}")
        index, label = int(indices[row]), labels[row]
        others = _Without(next((rows for value, rows in self.pool if value == label), ()), index)
        itself = (index, " ".join(texts[row].split()))
        requests = []
        for k in range(need):
            seed = output_seed(self._seed(index, attempt), k)
            rng = random.Random(seed)
            shown = (itself,) + tuple(rng.sample(others, min(self.k_shot - 1, len(others))))
            order = list(shown)
            rng.shuffle(order)  # the row itself is not always first in the prompt
            fill = {"examples": "\n".join(f"- {text}" for _, text in order), "label": self._label_name(label),
                    "k": len(shown)}
            requests.append(ChatRequest(self.messages(fill), 1, seed, shown=shown))
        return requests

    def _shown(self, row, texts, request):
        return [text for _, text in request.shown]

    def _extras(self, request):
        return {SHOWN: [i for i, _ in request.shown]}


class _Without(Sequence):
    """A label's (index, text) rows, sorted by index, less the row ``index``: a view, so that
    drawing a row's examples costs a few lookups, not a copy of its label's rows."""

    def __init__(self, rows: Sequence[tuple[int, str]], index: int) -> None:
        self.rows = rows
        at = bisect.bisect_left(rows, index, key=lambda r: r[0])
        self.skip = at if at < len(rows) and rows[at][0] == index else None

    def __len__(self) -> int:
        return len(self.rows) - (self.skip is not None)

    def __getitem__(self, i: int) -> tuple[int, str]:
        if not 0 <= i < len(self):
            raise IndexError(i)
        return self.rows[i + (self.skip is not None and i >= self.skip)]


def describe_llm_stats(stats: Mapping[str, Any]) -> str:
    """One line for the command-line summary of an LLM step's summed counts."""
    refused = stats.get("refused") or {}
    why = ", ".join(f"{k} {v:,}" for k, v in sorted(refused.items())) or "none"
    tokens = stats.get("prompt_tokens", 0) + stats.get("completion_tokens", 0)
    cost = f", cost {stats['cost']:.4f}" if "cost" in stats else ""
    return (f"llm: {stats.get('requests', 0):,} requests, {stats.get('cached', 0):,} replies from the cache, "
            f"{stats.get('replies', 0):,} replies, {stats.get('kept', 0):,} kept; refused: {why}; "
            f"{stats.get('rows_short', 0):,} rows short, {stats.get('filled', 0):,} filled; "
            f"tokens {tokens:,} ({stats.get('prompt_tokens', 0):,} prompt, {stats.get('completion_tokens', 0):,} "
            f"completion){cost}")
