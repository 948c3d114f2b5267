"""Recipes as data: spec strings that name augmenters, derived from the classes' own declarations.

Each augmenter class declares once its ``recipe`` name, the ``rate_fields`` a spec's ``alpha``
sets, and its model-card ``tags`` (:class:`~textaug.augment.base.Augmenter`). From that:

- a spec ``NAME[:field=value,...]``, e.g. ``eda:alpha=0.05,n_aug=16`` or
  ``backtranslate:backend=apertium,pivots=spa/cat`` (a list's items separated by ``/``);
- compositions: ``A+B`` applies A then B (:class:`Sequential`), ``A|B`` draws one per output
  (:class:`OneOf`); ``+`` binds tighter than ``|``;
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

__all__ = ["recipes", "recipe_names", "parse_spec", "build_augmenter", "augmenter_tags", "eda_paper_setting"]

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
            if f.init and f.name not in _CONTEXT and str(f.type).startswith(scalar)}


def _convert(cls: type[Augmenter], name: str, field: dataclasses.Field, raw: str) -> Any:
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
        raise ValueError(f"{cls.recipe}: {name}={raw!r} is not a {kind}") from None
    return raw


def parse_spec(spec: str) -> list[list[tuple[type[Augmenter], dict[str, Any]]]]:
    """``A+B|C`` as alternatives of sequences of (class, typed field values)."""
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError(f"an augmentation spec must be a non-empty string, got {spec!r}")
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
) -> Augmenter:
    """The augmenter a spec names. ``alpha`` sets each part's rate fields (a spec's own values win;
    a recipe without a rate, such as backtranslate, refuses it); ``pivots`` applies to
    back-translation; ``options`` (command-line flags such as ``backend``, ``models``, ``device``)
    go to every part that has such a field, and one no part has is refused. ``check`` looks for
    external tools (the Apertium packages) before any work."""
    alternatives = parse_spec(spec)
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
    if len(sequences) == 1:
        return sequences[0]
    return OneOf(augmenters=sequences, n_aug=n_aug, seed=seed, **common)


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
