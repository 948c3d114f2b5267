"""The chat back-ends of the LLM augmenters, one contract: a list of requests (messages, how many
sampled replies, a seed) in, the replies and their token counts out.

- :class:`TransformersChat`: any causal LM with a chat template (a folder, a hub id, or the
  packaged ``smollm2``), loaded once per process and device; the prompts of a call are padded on
  the left and generated together, ``n`` sampled replies each (``num_return_sequences``), under a
  seed fixed by the requests (the global torch generator is restored after).
- :class:`OpenAIChat`: any OpenAI-compatible chat-completions server (OpenAI, vLLM, a llama.cpp
  server, ``transformers serve``) through the official ``openai`` client: one request per reply
  (so servers without ``n`` work and each reply is cached on its own), at most ``concurrency`` in
  flight, the client's retries with backoff on 429, 5xx, connection errors and timeouts, a disk
  cache (:mod:`textaug.augment.llm_cache`), and the key read from the environment, never stored
  on the augmenter and never printed.
"""

from __future__ import annotations

import os
import re
import zlib
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from ..resources import resolve_model
from .llm_cache import CachedReply, ChatCache, cache_key
from .runtime import process_resource, resolve_device

__all__ = ["Sampling", "ChatRequest", "ChatReply", "TransformersChat", "OpenAIChat", "ChatServerError", "output_seed"]

Messages = tuple[tuple[str, str], ...]  # (role, content) pairs


@dataclass(frozen=True)
class Sampling:
    temperature: float
    top_p: float
    max_new_tokens: int

    def as_dict(self) -> dict[str, Any]:
        return {"temperature": self.temperature, "top_p": self.top_p, "max_new_tokens": self.max_new_tokens}


@dataclass(frozen=True)
class ChatRequest:
    messages: Messages
    n: int
    seed: int
    #: the rows (index, text) the prompt shows: the augmenter's own record, not sent or cached
    shown: tuple[tuple[int, str], ...] = field(default=(), compare=False)


@dataclass
class ChatReply:
    texts: list[str]
    prompt_tokens: int = 0
    completion_tokens: int = 0
    #: replies taken from the cache, and requests sent to a server
    cached: int = 0
    sent: int = 0


class ChatServerError(RuntimeError):
    """A chat server failed after its retries (the message names the server, never the key)."""


def output_seed(seed: int, index: int) -> int:
    """The seed of reply ``index`` of a request (a 31-bit integer every server takes)."""
    return zlib.crc32(f"{seed}|{index}".encode()) & 0x7FFFFFFF


def _as_chat(messages: Messages) -> list[dict[str, str]]:
    return [{"role": role, "content": content} for role, content in messages]


# -- a local causal LM -------------------------------------------------------------------------------
@dataclass(frozen=True)
class TransformersChat:
    model: str
    sampling: Sampling
    device: str = "auto"
    batch_size: int = 16
    rank: int | None = None

    def _load(self):
        def load():
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer

            source = resolve_model(self.model)
            try:
                tokenizer = AutoTokenizer.from_pretrained(source)
                device = resolve_device(self.device, self.rank)
                # float32 on CPU (half precision is slow there and the packaged weights are float16)
                dtype = torch.float32 if device == "cpu" else "auto"
                model = AutoModelForCausalLM.from_pretrained(source, dtype=dtype)
            except OSError as err:
                raise ValueError(f"cannot load the causal LM {self.model!r}: {str(err).splitlines()[0]}") from None
            if not tokenizer.chat_template:
                raise ValueError(f"{self.model!r} has no chat template: the LLM augmenters need an instruction (chat) model")
            tokenizer.padding_side = "left"  # generation continues every prompt from its last token
            if tokenizer.pad_token_id is None:
                tokenizer.pad_token = tokenizer.eos_token
            return tokenizer, model.to(device).eval()

        return process_resource(("causal-lm", resolve_model(self.model), self.device, self.rank), load)

    def complete(self, requests: Sequence[ChatRequest]) -> list[ChatReply]:
        import torch

        tokenizer, model = self._load()
        replies: list[ChatReply | None] = [None] * len(requests)
        by_n: dict[int, list[int]] = {}
        for i, request in enumerate(requests):
            by_n.setdefault(request.n, []).append(i)
        eos = model.generation_config.eos_token_id
        eos = set(eos if isinstance(eos, list) else [eos]) | {tokenizer.pad_token_id}
        for n, members in by_n.items():
            for start in range(0, len(members), self.batch_size):
                chunk = members[start:start + self.batch_size]
                prompts = [tokenizer.apply_chat_template(_as_chat(requests[i].messages), add_generation_prompt=True,
                                                         tokenize=False) for i in chunk]
                encoded = tokenizer(prompts, padding=True, return_tensors="pt", add_special_tokens=False).to(model.device)
                seed = zlib.crc32("|".join(str(requests[i].seed) for i in chunk).encode())
                devices = [model.device] if model.device.type == "cuda" else []
                with torch.random.fork_rng(devices=devices), torch.inference_mode():
                    torch.manual_seed(seed)  # the replies are a function of (requests, batch); global RNG restored
                    out = model.generate(**encoded, do_sample=True, temperature=self.sampling.temperature,
                                         top_p=self.sampling.top_p, max_new_tokens=self.sampling.max_new_tokens,
                                         num_return_sequences=n, pad_token_id=tokenizer.pad_token_id)
                new = out[:, encoded["input_ids"].shape[1]:].tolist()
                prompt_lengths = encoded["attention_mask"].sum(1).tolist()
                for slot, i in enumerate(chunk):
                    rows = new[slot * n:(slot + 1) * n]
                    used = [next((j for j, t in enumerate(row) if t in eos), len(row)) for row in rows]
                    texts = [tokenizer.decode(row[:u], skip_special_tokens=True) for row, u in zip(rows, used)]
                    replies[i] = ChatReply(texts, prompt_tokens=int(prompt_lengths[slot]),
                                           completion_tokens=sum(used), sent=1)
        return [r for r in replies if r is not None]


# -- an OpenAI-compatible server ------------------------------------------------------------------------
@dataclass(frozen=True)
class OpenAIChat:
    model: str
    sampling: Sampling
    base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    concurrency: int = 4
    retries: int = 4
    timeout: float = 60.0
    cache: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def _key(self) -> str:
        key = os.environ.get(self.api_key_env)
        if key:
            return key
        if self.base_url is None:
            raise ValueError(f"the openai back-end needs an API key in ${self.api_key_env} "
                             "(or base_url for a server that needs none)")
        return "none"  # a local server takes any key; the client insists on one

    def _client(self):
        def load():
            try:
                import openai
            except ImportError:
                raise ValueError("the openai back-end needs the 'openai' package: pip install openai") from None
            return openai.OpenAI(base_url=self.base_url, api_key=self._key(), max_retries=self.retries,
                                 timeout=self.timeout)

        # keyed by everything the client holds (not the key's value: it stays out of the key too)
        return process_resource(("openai-client", self.base_url, self.api_key_env, self.retries, self.timeout), load)

    def _cache(self) -> ChatCache | None:
        if self.cache is None:
            return None
        return process_resource(("chat-cache", self.cache), lambda: ChatCache(self.cache))

    def _scrub(self, message: str) -> str:
        key = os.environ.get(self.api_key_env)
        message = message.replace(key, "***") if key else message
        return re.sub(r"\s+", " ", message).strip()

    def _ask(self, messages: Messages, seed: int) -> CachedReply:
        completion = self._client().chat.completions.create(
            model=self.model, messages=_as_chat(messages), temperature=self.sampling.temperature,
            top_p=self.sampling.top_p, max_tokens=self.sampling.max_new_tokens, seed=seed, n=1, **self.extra)
        text = (completion.choices[0].message.content or "") if completion.choices else ""
        usage = completion.usage
        return CachedReply(text, getattr(usage, "prompt_tokens", 0) or 0, getattr(usage, "completion_tokens", 0) or 0)

    def complete(self, requests: Sequence[ChatRequest]) -> list[ChatReply]:
        cache = self._cache()
        sampling = self.sampling.as_dict()
        jobs = [(i, k, cache_key(self.model, requests[i].messages, sampling, requests[i].seed, k))
                for i in range(len(requests)) for k in range(requests[i].n)]
        got: dict[tuple[int, int], CachedReply] = {}
        hits: set[tuple[int, int]] = set()
        todo = []
        for i, k, key in jobs:
            found = cache.get(key) if cache is not None else None
            if found is not None:
                got[(i, k)] = found
                hits.add((i, k))
            else:
                todo.append((i, k, key))
        if todo:
            self._run(requests, todo, got, cache)
        replies = []
        for i, request in enumerate(requests):
            parts = [got[(i, k)] for k in range(request.n)]
            fresh = [p for k, p in enumerate(parts) if (i, k) not in hits]  # tokens spent by this run
            replies.append(ChatReply([p.text for p in parts], prompt_tokens=sum(p.prompt_tokens for p in fresh),
                                     completion_tokens=sum(p.completion_tokens for p in fresh),
                                     cached=len(parts) - len(fresh), sent=len(fresh)))
        return replies

    def _run(self, requests, todo, got, cache) -> None:
        """The missing replies, at most ``concurrency`` in flight (a request is sent only when a
        slot frees, so a failure stops the run at once); each stored the moment it arrives, so a
        failure keeps what finished. The first failure (after the client's retries) is raised as
        one line naming the server."""
        import openai

        queue = iter(todo)
        failure: BaseException | None = None
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            flying: dict[Any, tuple[int, int, str]] = {}

            def send() -> None:
                job = next(queue, None)
                if job is not None:
                    i, k, _ = job
                    flying[pool.submit(self._ask, requests[i].messages, output_seed(requests[i].seed, k))] = job

            for _ in range(self.concurrency):
                send()
            while flying:
                done, _ = wait(list(flying), return_when=FIRST_COMPLETED)
                for future in done:
                    i, k, key = flying.pop(future)
                    err = future.exception()
                    if err is None:
                        got[(i, k)] = future.result()
                        if cache is not None:
                            cache.put(key, got[(i, k)])
                        if failure is None:
                            send()
                    elif failure is None:
                        failure = err
        if failure is None:
            return
        where = self.base_url or "api.openai.com"
        if isinstance(failure, openai.APIStatusError):
            what = f"HTTP {failure.status_code}: {self._scrub(str(failure.message))}"
        elif isinstance(failure, openai.APIError):
            what = f"{type(failure).__name__}: {self._scrub(str(failure))}"
        else:
            raise failure
        kept = f"; {len(cache)} replies are in the cache {cache.path}" if cache is not None else ""
        raise ChatServerError(f"the chat server at {where} failed after {self.retries} retries ({what}){kept}") from None
