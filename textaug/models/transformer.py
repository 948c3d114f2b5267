"""BERT-family classifiers: any ``AutoModelForSequenceClassification`` checkpoint, and its layers
split into groups for the transfer strategies (embeddings, each encoder layer, the head)."""

from __future__ import annotations

import os
from pathlib import Path

from torch import nn

from . import require_model_folder

__all__ = ["check_model_source", "load_transformer", "transformer_layer_groups"]


def check_model_source(source: str) -> None:
    """Fail early, naming the problem, for a local path that is not a model folder.

    A string that is not an existing path is taken for a hub id (the ordinary online path).
    """
    looks_like_path = source.startswith((".", "/", "~")) or source.count("/") > 1 or os.sep in source and os.sep != "/"
    if looks_like_path or Path(source).expanduser().exists():
        require_model_folder(source)


def load_transformer(source: str, labels: list[str]):
    """(model, tokenizer) with a fresh classification head for ``labels``; names land in the config."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    from transformers.utils import logging as hf_logging

    id2label = dict(enumerate(labels))
    label2id = {name: i for i, name in id2label.items()}
    verbosity, bars = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()  # "newly initialized weights: classifier" is the point here
    hf_logging.disable_progress_bar()
    try:
        model = AutoModelForSequenceClassification.from_pretrained(
            source, num_labels=len(labels), id2label=id2label, label2id=label2id,
            ignore_mismatched_sizes=True,  # a checkpoint that already has a head of another size
        )
        tokenizer = AutoTokenizer.from_pretrained(source)
    except OSError as err:  # offline without the files, a typo in a hub id, a broken folder
        raise ValueError(f"cannot load model {source!r}: {str(err).splitlines()[0]}") from err
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()
    model.config.problem_type = "single_label_classification"
    return model, tokenizer


def transformer_layer_groups(model: nn.Module) -> tuple[list[list[nn.Parameter]], list[nn.Parameter]]:
    """(pretrained parameter groups bottom to top: embeddings, layer 0 .. layer n-1), head parameters.

    The encoder layers are the first ``ModuleList`` as long as ``num_hidden_layers`` (``encoder.layer``
    for BERT/RoBERTa/ELECTRA/DeBERTa, ``transformer.layer`` for DistilBERT). Every other parameter
    (pooler, classifier, an encoder's extra norms) counts as head, so none is left untrained.
    """
    base = model.base_model
    n_layers = getattr(model.config, "num_hidden_layers", None)
    layers = next((m for m in base.modules() if isinstance(m, nn.ModuleList) and len(m) == n_layers), None)
    embeddings = getattr(base, "embeddings", None)
    if layers is None or embeddings is None:
        raise ValueError(f"cannot find the embeddings and encoder layers of {type(model).__name__}; "
                         "use --strategy finetune for this architecture")
    groups = [list(embeddings.parameters())] + [list(layer.parameters()) for layer in layers]
    taken = {id(p) for group in groups for p in group}
    return groups, [p for p in model.parameters() if id(p) not in taken]
