"""Model kinds: one small module per kind, and the registry that maps names to them.

A kind declares how it builds a model for a training run, how it loads one from a model folder,
how its layers group for the transfer strategies, its default learning rate and epochs, and what
the model card says of it (:class:`ModelKind`). Adding a kind is one new module here and one
line in :data:`KINDS` (plus a line in :data:`ALIASES` when it has a short CLI name).

Nothing heavy is imported here: ``textaug.config`` reads the registry while ``import textaug``
must stay free of torch, so kind modules are imported on first use.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from collections.abc import Sequence

    import torch

    from ..config import TrainConfig
    from .encoding import TextEncoder

__all__ = ["KINDS", "ALIASES", "Built", "ModelKind", "kind_name", "get_kind", "kind_for_folder",
           "require_model_folder", "check_model_files", "looks_like_path", "HUB_ID_RE"]

#: kind name -> module that defines ``KIND`` (imported on first use).
KINDS = {
    "transformer": ".transformer",
    "bilstm": ".bilstm",
    "cnn": ".cnn",
}

#: Short model names the CLI and TrainConfig accept -> kind. Anything else names a transformer
#: checkpoint (a hub id or a local folder).
ALIASES = {
    "minilm": "transformer",
    "lstm-glove": "bilstm",
    "cnn-glove": "cnn",
}

#: A Hugging Face repo id: NAME or OWNER/NAME.
HUB_ID_RE = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")


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

    def describe(self, config: "TrainConfig", provenance: dict[str, Any]) -> str:
        """One phrase for the model card: what the model is."""


def kind_name(model: str) -> str:
    """The kind a model name selects: an alias's kind, else ``transformer``."""
    return ALIASES.get(str(model), "transformer")


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


def looks_like_path(source: str) -> bool:
    """True for strings that can only be a local path (``./x``, ``/x``, ``~/x``, ``a/b/c``), or that
    name something that exists; hub ids are ``NAME`` or ``OWNER/NAME``."""
    source = str(source)
    if Path(source).expanduser().exists():
        return True
    if source.startswith((".", "/", "~")) or source.count("/") > 1 or (os.sep != "/" and os.sep in source):
        return True
    # "models/sst2-edaa" looks like a hub id, but if "models" is a local folder it is a mistyped path
    head = source.split("/")[0]
    return "/" in source and Path(head).is_dir()


def require_model_folder(source: str | os.PathLike) -> Path:
    """``source`` as a Path if it is a model folder (a folder with config.json); else a ValueError
    that says which of missing, a file, or no config.json it is. Shared by training, loading and
    pushing so the three say the same thing."""
    path = Path(source).expanduser()
    if not path.exists():
        raise ValueError(f"{source}: no such model folder")
    if not path.is_dir():
        raise ValueError(f"{source} is a file, not a model folder (a folder with config.json)")
    if not (path / "config.json").is_file():
        raise ValueError(f"{source} is not a model folder: it has no config.json")
    return path


#: Weight files a model folder may hold, in the order they are looked for: textaug and recent
#: transformers write the first; sharded and older checkpoints the others.
_WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json")


def check_model_files(folder: Path) -> dict[str, Any]:
    """The folder's config.json as a dict, after checking what can be checked without building
    the model: config.json is a JSON object, a weights file exists, and a safetensors file is
    whole (its header parses and covers the file). A ValueError naming the folder and the file
    otherwise, so a damaged folder never fails deep inside torch."""
    import json

    config_path = folder / "config.json"
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ValueError(f"{config_path}: not valid JSON ({err}); the model folder is damaged") from None
    if not isinstance(config, dict):
        raise ValueError(f"{config_path}: not a model configuration (a JSON object)")
    weights = next((folder / name for name in _WEIGHT_FILES if (folder / name).is_file()), None)
    if weights is None:
        raise ValueError(f"{folder}: no weights file ({_WEIGHT_FILES[0]}); the model folder is incomplete")
    if weights.name == "model.safetensors":
        from safetensors import SafetensorError, safe_open

        try:
            with safe_open(str(weights), framework="pt") as handle:
                handle.keys()
        except (SafetensorError, OSError) as err:
            raise ValueError(f"{weights}: truncated or not a safetensors file ({str(err).splitlines()[0]})") from None
    return config
