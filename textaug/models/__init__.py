"""Model kinds: one small module per kind, and the registry that maps names to them.

A kind declares how it builds a model for a training run, how it loads one from a model folder,
how its layers group for the transfer strategies, its default learning rate and epochs, and what
the model card says of it (:class:`ModelKind`). Adding a kind is one new module here, named
after it, and its name in :data:`textaug.config.MODEL_KINDS` (plus a line in
:data:`textaug.config.ALIASES` when it has a short CLI name): the configuration, one layer
below, owns the names users type; this layer owns what they build.

Nothing heavy is imported here: ``import textaug`` must stay free of torch, so kind modules are
imported on first use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..config import ALIASES, MODEL_KINDS, TrainConfig, kind_name

if TYPE_CHECKING:
    from collections.abc import Sequence

    import torch

    from .encoding import TextEncoder

__all__ = ["KINDS", "ALIASES", "Built", "ModelKind", "kind_name", "get_kind", "kind_for_folder"]

#: kind name (declared in :data:`textaug.config.MODEL_KINDS`) -> the module of this package that
#: defines its ``KIND``, named after it (imported on first use).
KINDS = {name: f".{name}" for name in MODEL_KINDS}

@dataclass
class Built:
    """What a kind hands the trainer: the model, its text encoder, the pretrained parameter groups
    bottom to top (for feature extraction, gradual unfreezing and layer-wise decay), the
    parameters that are new, and provenance for the model card."""

    model: "torch.nn.Module"
    encoder: "TextEncoder"
    groups: list[list[Any]]
    head: list[Any]
    provenance: dict[str, Any] = field(default_factory=dict)


class ModelKind(Protocol):
    name: str
    #: ``model_type`` this kind writes into config.json (None: whatever transformers writes).
    model_type: str | None
    default_lr: float
    default_epochs: int
    #: ``library_name`` of the model card and a tag naming the architecture.
    library_name: str
    tag: str

    def check(self, config: "TrainConfig") -> None:
        """Every check on the model source that can run before any data is touched."""

    def build(self, config: "TrainConfig", labels: "Sequence[str]", train_texts: "Sequence[str]") -> Built: ...

    def load(self, folder: Path, max_length: int) -> tuple["torch.nn.Module", "TextEncoder"]: ...

    def describe(self, config: "TrainConfig", provenance: dict[str, Any], base: str) -> str:
        """One phrase for the model card: what the model is. ``base`` is the pretrained model's
        public name as the card shows it (the card resolves it: kinds never import the card)."""


def get_kind(name: str) -> ModelKind:
    if name not in KINDS:
        raise ValueError(f"unknown model kind {name!r}; known kinds: {sorted(KINDS)}")
    return import_module(KINDS[name], __name__).KIND


def kind_for_folder(config_json: dict[str, Any]) -> ModelKind:
    """The kind that wrote a model folder, from its config.json ``model_type``."""
    model_type = config_json.get("model_type")
    for name in KINDS:
        kind = get_kind(name)
        if kind.model_type is not None and kind.model_type == model_type:
            return kind
    return get_kind("transformer")
