"""Recipes as data: spec strings that name augmenters, derived from the classes' own declarations.

Each augmenter class declares once its ``recipe`` name, the ``rate_fields`` a spec's ``alpha``
sets, and its model-card ``tags`` (:class:`~textaug.augment.base.Augmenter`). From that:

- a spec ``NAME[:field=value,...]``, e.g. ``eda:alpha=0.05,n_aug=16`` or
  ``backtranslate:backend=apertium,pivots=spa/cat`` (a list's items separated by ``/``);
- compositions: ``A+B`` applies A then B (:class:`Sequential`), ``A|B`` draws one per output
  (:class:`OneOf`); ``+`` binds tighter than ``|``;
- label-preservation filters after the whole: ``SPEC @ FILTER[:field=value,...] @ ...``, e.g.
  ``eda:n_aug=4 @ similarity:min=0.6,max=0.98 @ confidence:model=models/sst2,tau=0.7``
  (:class:`~textaug.augment.filters.Filtered`; any filter segment may also set the wrapper's
  ``oversample`` and ``fill``; rows kept per source are the augmenter's ``n_aug``);
- the recipe names the CLI and :class:`~textaug.config.TrainConfig` offer, the card's tags, and
  :func:`build_augmenter`.

A bad spec names the recipe or field at fault and the ones that exist.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from .backtranslate import BackTranslate  # noqa: F401  (imported so its recipe is registered)
from .base import Augmenter
from .compose import OneOf, Sequential
from .contextual import ContextualSubstitute  # noqa: F401
from .eda import AEDA, EDA, RandomDelete, RandomInsert, RandomSwap, SynonymReplace  # noqa: F401
from .embedding import EmbeddingSubstitute  # noqa: F401
from .filters import Filtered, filter_class, filter_names
from .llm import LLMGenerate, LLMParaphrase  # noqa: F401

__all__ = ["recipes", "recipe_names", "parse_spec", "parse_filter", "build_augmenter", "augmenter_tags", "eda_paper_setting"]

#: Fields the context sets (the column to augment, whether originals are kept), never a spec.
_CONTEXT = ("column", "keep_original")


def _subclasses(cls: type) -> list[type]:
    out = []
    for sub in cls.__subclasses__():
        out += [sub, *_subclasses(sub)]
    return out


def recipes() -> dict[str, type[Augmenter]]:
    """Recipe name -> augmenter class, for every class that declares one."""
    found: dict[str, type[Augmenter]] = {}
    for cls in _subclasses(Augmenter):
        if getattr(cls, "recipe", None) and cls.recipe not in found:
            found[cls.recipe] = cls
    return found


def recipe_names() -> list[str]:
    return sorted(recipes())


def _fields(cls: type[Augmenter]) -> dict[str, dataclasses.Field]:
    """The fields a spec can set: scalars and lists of them (not a lexicon or child augmenters)."""
    scalar = ("int", "float", "bool", "str", "tuple")
    return {f.name: f for f in dataclasses.fields(cls)
            if f.init and f.name not in _CONTEXT and not f.metadata.get("bound") and str(f.type).startswith(scalar)}


def _convert(cls: type, name: str, field: dataclasses.Field, raw: str) -> Any:
    kind = str(field.type)
    if raw.lower() == "none" and "None" in kind:
        return None
    try:
        if kind.startswith("tuple[tuple"):
            return tuple(tuple(pair.split(">")) for pair in raw.split("/"))
        if kind.startswith("tuple"):
            return tuple(raw.split("/"))
        if kind.startswith("bool"):
            if raw.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError
            return raw.lower() in ("true", "1", "yes")
        if kind.startswith("int"):
            return int(raw)
        if kind.startswith("float"):
            return float(raw)
    except ValueError:
        raise ValueError(f"{getattr(cls, 'recipe', None) or cls.name}: {name}={raw!r} is not a {kind}") from None
    return raw


#: Filtered's own options, which any filter segment of a spec may set.
_WRAPPER_OPTIONS = ("oversample", "fill")


def parse_filter(segment: str, spec: str | None = None) -> tuple[Any, dict[str, Any]]:
    """``NAME[:field=value,...]`` as (the filter, the Filtered options it sets). A field goes by
    its name or its short key (``min`` for ``min_sim``); a bad segment names the filter, the
    field at fault and the fields that exist."""
    spec = spec or segment
    name, _, rest = segment.strip().partition(":")
    try:
        cls = filter_class(name.strip())
    except ValueError:
        raise ValueError(f"unknown filter {name.strip()!r} in {spec!r}; filters: {filter_names()}") from None
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    aliases = getattr(cls, "spec_aliases", {})
    wrapper = {f.name: f for f in dataclasses.fields(Filtered) if f.name in _WRAPPER_OPTIONS}
    allowed = sorted({*fields, *aliases, *wrapper})
    values: dict[str, Any] = {}
    options: dict[str, Any] = {}
    for item in filter(None, (x.strip() for x in rest.split(","))):
        key, eq, raw = item.partition("=")
        key = key.strip()
        target = aliases.get(key, key)
        if not eq or (target not in fields and key not in wrapper):
            raise ValueError(f"filter {cls.name}: unknown field {key!r} in {spec!r}; its fields: {allowed}")
        if key in wrapper:
            options[key] = _convert(Filtered, key, wrapper[key], raw.strip())
        else:
            values[target] = _convert(cls, key, fields[target], raw.strip())
    missing = [n for n, f in fields.items() if n not in values and f.default is dataclasses.MISSING
               and f.default_factory is dataclasses.MISSING]
    if missing:
        keys = [next((k for k, v in aliases.items() if v == n), n) for n in missing]
        raise ValueError(f"filter {cls.name} needs {', '.join(f'{k}=...' for k in keys)} in {spec!r}")
    return cls(**values), options


def _split_filters(spec: str) -> tuple[str, list[str]]:
    augment, *filters = spec.split("@")
    if not augment.strip() or not all(f.strip() for f in filters):
        raise ValueError(f"{spec!r}: an augmentation spec, then '@ FILTER' for each filter "
                         "(e.g. 'eda @ similarity:min=0.6,max=0.98')")
    return augment, filters


def parse_spec(spec: str) -> list[list[tuple[type[Augmenter], dict[str, Any]]]]:
    """``A+B|C`` as alternatives of sequences of (class, typed field values); the ``@ FILTER``
    segments, if any, are :func:`parse_filter`'s."""
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError(f"an augmentation spec must be a non-empty string, got {spec!r}")
    spec = _split_filters(spec)[0]
    known = recipes()
    alternatives = []
    for alternative in spec.split("|"):
        sequence = []
        for part in alternative.split("+"):
            name, _, rest = part.strip().partition(":")
            if name not in known:
                raise ValueError(f"unknown augmentation recipe {name!r} in {spec!r}; recipes: {sorted(known)}")
            cls = known[name]
            fields = _fields(cls)
            allowed = sorted([*fields, *(["alpha"] if cls.rate_fields and "alpha" not in fields else [])])
            values: dict[str, Any] = {}
            for item in filter(None, (x.strip() for x in rest.split(","))):
                key, eq, raw = item.partition("=")
                key = key.strip()
                if not eq or key not in allowed:
                    raise ValueError(f"{name}: unknown field {key!r} in {spec!r}; its fields: {allowed}")
                if key == "alpha" and key not in fields:
                    rate = _convert(cls, key, fields[cls.rate_fields[0]], raw.strip())
                    values.update(dict.fromkeys(cls.rate_fields, rate))
                else:
                    values[key] = _convert(cls, key, fields[key], raw.strip())
            sequence.append((cls, values))
        alternatives.append(sequence)
    return alternatives


def build_augmenter(
    spec: str,
    *,
    alpha: float | None = None,
    n_aug: int = 4,
    seed: int = 0,
    column: str = "text",
    keep_original: bool = True,
    pivots: tuple[str, ...] | None = None,
    options: dict[str, Any] | None = None,
    check: bool = True,
    label_column: str = "label",
) -> Augmenter:
    """The augmenter a spec names. ``alpha`` sets each part's rate fields (a spec's own values win;
    a recipe without a rate, such as backtranslate, refuses it); ``pivots`` applies to
    back-translation; ``options`` (command-line flags such as ``backend``, ``models``, ``device``)
    go to every part that has such a field, and one no part has is refused. ``check`` looks for
    external tools (the Apertium packages) before any work. ``@ FILTER`` segments wrap the whole
    in :class:`Filtered`, whose filters read labels from ``label_column``."""
    alternatives = parse_spec(spec)
    filters, wrapper = [], {}
    for segment in _split_filters(spec)[1]:
        made, options_here = parse_filter(segment, spec)
        for key, value in options_here.items():
            if wrapper.setdefault(key, value) != value:
                raise ValueError(f"{spec!r}: {key} is given twice, as {wrapper[key]!r} and {value!r}")
        filters.append(made)
    composite = len(alternatives) > 1 or len(alternatives[0]) > 1
    common = {"column": column, "keep_original": keep_original}
    options = {k: v for k, v in (options or {}).items() if v is not None}
    for key in options:
        if not any(key in _fields(cls) for sequence in alternatives for cls, _ in sequence):
            names = sorted({cls.recipe for sequence in alternatives for cls, _ in sequence})
            raise ValueError(f"{key} does not apply to {', '.join(names)}")

    def make(cls: type[Augmenter], values: dict[str, Any]) -> Augmenter:
        kw: dict[str, Any] = {}
        if alpha is not None:
            if not cls.rate_fields:
                raise ValueError(f"the {cls.recipe} recipe has no rate (alpha); its fields: {sorted(_fields(cls))}")
            kw.update({f: alpha for f in cls.rate_fields})
        if pivots:
            if cls.recipe != "backtranslate":
                raise ValueError(f"pivots apply to the backtranslate recipe, not {cls.recipe!r}")
            kw["pivots"] = tuple(pivots)
        if composite and ({"n_aug", "seed"} & set(values)):
            raise ValueError(f"{cls.recipe}: n_aug and seed of a composition are set for the whole "
                             "(--n-aug, --seed), not per part")
        kw.update({k: v for k, v in options.items() if k in _fields(cls)})
        aug = cls(**{"n_aug": n_aug, "seed": seed, **common, **kw, **values})
        if check and hasattr(aug, "check"):
            aug.check()  # a missing translator, named before any work
        return aug

    sequences = []
    for sequence in alternatives:
        parts = [make(cls, values) for cls, values in sequence]
        sequences.append(parts[0] if len(parts) == 1 else
                         Sequential(augmenters=parts, n_aug=n_aug, seed=seed, **common))
    whole = sequences[0] if len(sequences) == 1 else OneOf(augmenters=sequences, n_aug=n_aug, seed=seed, **common)
    if not filters:
        return whole
    return Filtered(whole, filters=tuple(filters), seed=seed, label_column=label_column, **common, **wrapper)


def augmenter_tags(aug: Augmenter) -> list[str]:
    """The model-card tags of an augmenter and of every augmenter inside it (compositions, filters)."""
    tags = list(type(aug).tags)
    for f in dataclasses.fields(aug):
        value = getattr(aug, f.name)
        children = value if isinstance(value, tuple) else (value,)
        for child in children:
            if isinstance(child, Augmenter):
                tags += augmenter_tags(child)
    return list(dict.fromkeys(tags))


def eda_paper_setting(n: int) -> tuple[float, int]:
    """(alpha, n_aug) the EDA paper (Wei & Zou 2019) recommends for ``n`` training examples."""
    if n <= 500:
        return 0.05, 16
    if n <= 2000:
        return 0.05, 8
    return 0.1, 4
