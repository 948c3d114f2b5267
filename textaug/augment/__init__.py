"""Augmenters: frozen configurations that are batched ``datasets.map`` steps."""

from .backtranslate import BackTranslate
from .base import AUG_OP, AUG_SOURCE, ORIGINAL, Augmenter, SideOutput, TextAugmenter
from .compose import OneOf, Sequential
from .dataset import augment_dataset
from .contextual import ContextualSubstitute
from .embedding import EmbeddingSubstitute
from .filters import Filtered, SimilarityFilter
from .eda import AEDA, EDA, RandomDelete, RandomInsert, RandomSwap, SynonymReplace
from .lexicon import Lexicon
from .llm import LLMGenerate, LLMParaphrase
from .nlpaug_adapter import NlpaugAugmenter

__all__ = [
    "AEDA", "AUG_OP", "AUG_SOURCE", "Augmenter", "BackTranslate", "EDA", "EmbeddingSubstitute", "Lexicon",
    "NlpaugAugmenter", "ORIGINAL", "Filtered", "SimilarityFilter",
    "ContextualSubstitute", "LLMGenerate", "LLMParaphrase",
    "OneOf", "RandomDelete", "RandomInsert", "RandomSwap", "Sequential", "SideOutput", "SynonymReplace",
    "TextAugmenter", "augment_dataset",
]
