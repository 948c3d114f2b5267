"""Writes docs/reference.md, the field reference of every recipe, filter and TrainConfig option,
from the classes themselves (their dataclass fields, defaults and help texts), so the page cannot
drift from the code: tests/test_docs.py fails when the committed page differs from this output.

    .venv/bin/python docs/generate_reference.py        # rewrite docs/reference.md
"""

from __future__ import annotations

import dataclasses
import enum
from pathlib import Path

PAGE = Path(__file__).with_name("reference.md")


def _default(f: dataclasses.Field) -> str:
    if f.default is not dataclasses.MISSING:
        value = f.default
    elif f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
        return "(built)"
    else:
        return "required"
    if isinstance(value, enum.Enum):
        value = value.value
    return f"`{value!r}`"


def _table(cls: type, skip: tuple[str, ...] = ()) -> list[str]:
    rows = ["| field | default | meaning |", "|---|---|---|"]
    for f in dataclasses.fields(cls):
        if f.init and f.name not in skip and not f.metadata.get("bound"):
            meaning = " ".join(str(f.metadata.get("help", "")).split()).replace("|", "\\|")
            rows.append(f"| `{f.name}` | {_default(f)} | {meaning} |")
    return rows


def render() -> str:
    import textaug  # noqa: F401  (registers the confidence filter)
    from textaug.augment import Augmenter, Filtered
    from textaug.augment.filters import filter_class, filter_names
    from textaug.augment.recipes import recipes
    from textaug.config import TrainConfig

    common = tuple(f.name for f in dataclasses.fields(Augmenter))
    out = ["# Reference", "",
           "Every field of every recipe, filter and training option, with its default, generated from",
           "the code (`docs/generate_reference.py`). In a [spec](specs.md) a recipe's fields are its",
           "keys; on the command line a training option `name_with_underscores` is `--name-with-dashes`.",
           "", "## Fields every augmenter has", "", *_table(Augmenter), ""]
    out += ["## Recipes", ""]
    for name, cls in sorted(recipes().items()):
        alpha = ", ".join(f"`{f}`" for f in cls.rate_fields) or "none"
        reproducible = cls.reproducible if isinstance(cls.reproducible, str) else \
            "depends on the settings (an instance's `reproducible` says)"
        out += [f"### `{name}`: `{cls.__name__}`", "",
                f"A spec's `alpha` sets: {alpha}. Reproducible: {reproducible}.", "",
                *_table(cls, skip=common), ""]
    out += ["## Filters", "", "Composed after an augmenter by `Filtered` (or `@` in a spec); its `n_aug` is the",
            "wrapped augmenter's unless given:", "",
            *_table(Filtered, skip=common), ""]
    for name in filter_names():
        cls = filter_class(name)
        keys = ", ".join(f"`{k}` = `{v}`" for k, v in getattr(cls, "spec_aliases", {}).items())
        out += [f"### `{name}`: `{cls.__name__}`", "", f"Short keys in a spec: {keys or 'none'}.", "",
                *_table(cls), ""]
    out += ["## Training options (`TrainConfig`, `textaug train`)", "", *_table(TrainConfig), ""]
    return "\n".join(out)


if __name__ == "__main__":
    PAGE.write_text(render(), encoding="utf-8")
    print(f"wrote {PAGE}")
