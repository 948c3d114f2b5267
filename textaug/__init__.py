"""textaug: text augmentation as ``datasets.map`` steps, and transfer learning on the enlarged corpus.

Importing textaug is cheap and has no side effects: WordNet, nltk, datasets and torch load on
first use (the trainer, ``load`` and ``push_to_hub`` are imported when first touched).
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .augment import (
    AEDA,
    AUG_OP,
    AUG_SOURCE,
    EDA,
    BackTranslate,
    ContextualSubstitute,
    EmbeddingSubstitute,
    Filtered,
    LLMGenerate,
    LLMParaphrase,
    ORIGINAL,
    Augmenter,
    Lexicon,
    NlpaugAugmenter,
    OneOf,
    RandomDelete,
    RandomInsert,
    RandomSwap,
    Sequential,
    SimilarityFilter,
    SynonymReplace,
    TextAugmenter,
    augment_dataset,
)
from .augment.filters import register_filter
from .config import Select, Strategy, TrainConfig
from .ray_engine import augment_ray
from .resources import ResourceNotFoundError
from .training.record import RunRecord
from .tuning import tune

if TYPE_CHECKING:
    from .confidence import ConfidenceFilter
    from .hub import push_to_hub
    from .predict import TextClassifier, load
    from .training.fit import Event
    from .training.objectives import CrossEntropy
    from .training.pipeline import TrainResult, train

# Names whose modules import torch: resolved on first access (PEP 562).
_LAZY = {"train": "training.pipeline", "TrainResult": "training.pipeline", "Event": "training.fit",
         "CrossEntropy": "training.objectives", "load": "predict", "TextClassifier": "predict", "push_to_hub": "hub",
         "ConfidenceFilter": "confidence"}


# The confidence filter lives above the trainer (it loads a model); the spec language, below it,
# learns its name here, and imports it only when a spec names it.
register_filter("confidence", lambda: import_module(".confidence", __name__).ConfidenceFilter)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__version__ = "0.1.0"

__all__ = [
    "AEDA", "AUG_OP", "AUG_SOURCE", "Augmenter", "BackTranslate", "EDA", "EmbeddingSubstitute", "Lexicon",
    "NlpaugAugmenter", "ORIGINAL", "Filtered", "SimilarityFilter", "ConfidenceFilter",
    "ContextualSubstitute", "LLMParaphrase", "LLMGenerate", "augment_ray",
    "OneOf", "RandomDelete", "RandomInsert", "RandomSwap", "ResourceNotFoundError", "Sequential",
    "SynonymReplace", "TextAugmenter", "augment_dataset", "__version__",
    "CrossEntropy", "Event", "RunRecord", "Select", "Strategy", "TextClassifier", "TrainConfig", "TrainResult", "load",
    "push_to_hub", "train", "tune",
]
