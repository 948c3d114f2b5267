"""textaug: text augmentation as ``datasets.map`` steps, for classification with scarce labels.

Importing textaug is cheap and has no side effects: WordNet, nltk and datasets load on first use.
"""

from .augment import (
    AEDA,
    AUG_OP,
    AUG_SOURCE,
    EDA,
    ORIGINAL,
    Augmenter,
    Lexicon,
    NlpaugAugmenter,
    OneOf,
    RandomDelete,
    RandomInsert,
    RandomSwap,
    Sequential,
    SynonymReplace,
    augment_dataset,
)
from .resources import ResourceNotFoundError

__version__ = "0.1.0"

__all__ = [
    "AEDA", "AUG_OP", "AUG_SOURCE", "Augmenter", "EDA", "Lexicon", "NlpaugAugmenter", "ORIGINAL",
    "OneOf", "RandomDelete", "RandomInsert", "RandomSwap", "ResourceNotFoundError", "Sequential",
    "SynonymReplace", "augment_dataset", "__version__",
]
