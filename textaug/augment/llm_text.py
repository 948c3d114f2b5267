"""From an LLM's reply to candidate rows, strictly: what a reply holds, and why a candidate is
refused.

A reply is either one output (``single``: the whole reply, less a preamble such as "Here is a
paraphrase:" or a leading "Paraphrase:", less surrounding quotes, less trailing commentary after
a blank line) or a list (``list``: a JSON array of strings, or a numbered list ``1. ...``, ``2)
...``; anything else is unparsed). A candidate is refused, with a reason that is counted, when it
is empty, a refusal ("I'm sorry, ...", "As an AI ..."), mostly the prompt's own instruction,
identical to its input (up to case, spacing and final punctuation) or to a candidate already
kept.
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Iterable, Sequence

__all__ = ["OUTPUT_FORMATS", "REASONS", "parse_reply", "refusal", "template_words", "reject_reason", "comparable"]

OUTPUT_FORMATS = ("single", "list")
#: Why a candidate is refused, in the order they are checked ("unparsed": a list reply that held no list).
REASONS = ("unparsed", "empty", "refusal", "prompt", "identical", "duplicate")

_PREAMBLE = re.compile(r"^(sure|certainly|of course|okay|ok|here(?:'s| is| are)|below is)\b[^\n]*:\s*(?:\n|$)", re.I)
_LEAD_LABEL = re.compile(r"^(?:\*\*)?(?:[a-z]+(?:\s+[a-z]+){0,2})(?:\*\*)?\s*:\s+(?=\S)", re.I)
_LABEL_WORDS = {"paraphrase", "paraphrased", "rewritten", "rewrite", "rewording", "reworded", "text", "new", "output",
                "answer", "sentence", "version", "review", "example", "result", "response", "here", "the", "a", "is"}
_QUOTES = ("\"\"", "''", "“”", "‘’", "«»", "``")
_REFUSAL = re.compile(
    r"^\W*(i'?m sorry|i am sorry|sorry, (?:but )?i|i (?:can ?not|can't|won't|am unable|'m unable)|"
    r"i apologi[sz]e|as an ai\b|as a language model|unfortunately,? i)", re.I)
_NUMBERED = re.compile(r"^\s*(?:\d+[.)]|[-*•])\s+(.+?)\s*$")
_WORD = re.compile(r"\w+", re.UNICODE)
_BULLET = re.compile(r"^(?:[-*•]|\d+[.)])\s+")


def _unquote(text: str) -> str:
    text = text.strip()
    for pair in _QUOTES:
        if len(text) >= 2 and text[0] == pair[0] and text[-1] == pair[-1] and pair[0] not in text[1:-1]:
            return text[1:-1].strip()
    return text


def _strip_lead(text: str) -> str:
    """Drop a leading "Paraphrase:" / "Rewritten text:" label (only words that name an output)."""
    match = _LEAD_LABEL.match(text)
    if match and all(w.lower().strip("*") in _LABEL_WORDS for w in match.group(0).rstrip(": ").split()):
        return text[match.end():]
    return text


def _single(reply: str, multiline: bool) -> str:
    text = reply.strip()
    text = _PREAMBLE.sub("", text, count=1).strip()
    if not multiline:  # a one-paragraph input: what follows a blank line is commentary
        text = re.split(r"\n\s*\n", text, maxsplit=1)[0]
        text = " ".join(text.split())
    text = _BULLET.sub("", text, count=1)  # a reply in the style of the bulleted examples it was shown
    return _unquote(_strip_lead(_unquote(text)))


def parse_reply(reply: str, output_format: str, source: str = "") -> list[str] | None:
    """The candidates a reply holds (``single``: one; ``list``: the array's or the numbered list's
    items), or None when a ``list`` reply holds no list."""
    multiline = "\n" in source.strip()
    if output_format == "single":
        return [_single(reply, multiline)]
    text = reply.strip()
    start, end = text.find("["), text.rfind("]")
    if 0 <= start < end:
        try:
            items = json.loads(text[start:end + 1])
        except json.JSONDecodeError:
            items = None
        if isinstance(items, list) and items and all(isinstance(x, str) for x in items):
            return [_single(x, multiline) for x in items]
    items = [m.group(1) for m in map(_NUMBERED.match, text.splitlines()) if m]
    return [_single(x, multiline) for x in items] or None


def refusal(text: str) -> bool:
    return bool(_REFUSAL.match(text))


def template_words(template: str) -> frozenset[str]:
    """The words of a prompt template's own instruction (its placeholders removed)."""
    fixed = "".join(literal for literal, *_ in string.Formatter().parse(template))
    return frozenset(w.lower() for w in _WORD.findall(fixed))


def comparable(text: str) -> str:
    """A text as compared for "identical": lower-cased, spacing collapsed, final punctuation dropped."""
    return " ".join(text.lower().split()).rstrip(".!?;:, ")


def reject_reason(candidate: str, inputs: Sequence[str], kept: Iterable[str], instruction: frozenset[str]) -> str | None:
    """Why ``candidate`` is refused (one of :data:`REASONS`), or None to keep it. ``inputs``: the
    texts the model was shown (one for a paraphrase, the examples for generation)."""
    if not candidate.strip():
        return "empty"
    if refusal(candidate):
        return "refusal"
    words = [w.lower() for w in _WORD.findall(candidate)]
    shown = {w.lower() for text in inputs for w in _WORD.findall(text)}
    echoed = [w for w in words if w in instruction and w not in shown]
    if len(words) >= 3 and len(echoed) > len(words) / 2:
        return "prompt"
    key = comparable(candidate)
    if any(key == comparable(text) for text in inputs):
        return "identical"
    if any(key == comparable(text) for text in kept):
        return "duplicate"
    return None
