"""The ``transformer`` kind: any ``AutoModelForSequenceClassification`` checkpoint (``minilm`` is the
packaged all-MiniLM-L6-v2), its layers split into groups for the transfer strategies
(embeddings, each encoder layer, the head)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from torch import nn

from ..config import Strategy
from ..resources import resolve_model
from ..sources import WEIGHT_FILES, check_model_source
from . import Built
from .encoding import TokenizerEncoder
from .pooling import build_mean_pooling, is_mean_pooling, load_mean_pooling

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ..config import TrainConfig

__all__ = ["load_transformer", "transformer_layer_groups", "first_token_head", "KIND"]


#: Files of which a saved tokenizer has at least one.
_TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "vocab.json", "spiece.model",
                    "sentencepiece.bpe.model", "tokenizer.model")


@contextmanager
def _transformers_quiet() -> Iterator[None]:
    """transformers' logging at errors only and its progress bars off, restored after."""
    from transformers.utils import logging as hf_logging

    verbosity, bars = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()


def _check_weight_shapes(folder: Path) -> None:
    """Every weight of the folder's safetensors file has the shape its config.json implies (found on
    a skeleton built on the meta device, which allocates nothing); a ValueError naming the first
    that does not. transformers itself only says to look at a report."""
    import torch
    from safetensors import safe_open
    from transformers import AutoConfig, AutoModelForSequenceClassification

    weights = folder / WEIGHT_FILES[0]
    if not weights.is_file():
        return
    try:
        with _transformers_quiet(), torch.device("meta"):
            skeleton = AutoModelForSequenceClassification.from_config(AutoConfig.from_pretrained(folder))
    except (OSError, ValueError, KeyError) as err:
        raise ValueError(f"{folder}/config.json: not a configuration transformers can build "
                         f"({str(err).strip().splitlines()[0]})") from None
    expected = {name: tuple(tensor.shape) for name, tensor in skeleton.state_dict().items()}
    with safe_open(str(weights), framework="pt") as handle:
        for name in handle.keys():
            shape = tuple(handle.get_slice(name).get_shape())
            if name in expected and shape != expected[name]:
                raise ValueError(f"{weights}: {name} has shape {list(shape)} where config.json implies "
                                 f"{list(expected[name])}")


def load_transformer(source: str, labels: "Sequence[str]"):
    """(model, tokenizer) with a fresh classification head for ``labels``; names land in the config."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    id2label = dict(enumerate(labels))
    label2id = {name: i for i, name in id2label.items()}
    # "newly initialized weights: classifier" is the point here
    try:
        with _transformers_quiet():
            model = AutoModelForSequenceClassification.from_pretrained(
                source, num_labels=len(labels), id2label=id2label, label2id=label2id,
                ignore_mismatched_sizes=True,  # a checkpoint that already has a head of another size
            )
            tokenizer = AutoTokenizer.from_pretrained(source)
    except OSError as err:  # offline without the files, a typo in a hub id, a broken folder
        raise ValueError(f"cannot load model {source!r}: {str(err).splitlines()[0]}") from err
    model.config.problem_type = "single_label_classification"
    return model, tokenizer


def load_mean_pooling_transformer(source: str, labels: "Sequence[str]"):
    """(a :class:`~textaug.models.pooling.MeanPoolingClassifier` on ``source``'s encoder, tokenizer)."""
    from transformers import AutoTokenizer

    try:
        with _transformers_quiet():
            model = build_mean_pooling(source, list(labels))
            tokenizer = AutoTokenizer.from_pretrained(source)
    except OSError as err:
        raise ValueError(f"cannot load model {source!r}: {str(err).splitlines()[0]}") from err
    return model, tokenizer


def _require_tokenizer(folder: Path, tokenizer) -> None:
    # transformers builds an empty-vocabulary tokenizer when the folder has none of its files:
    # every word would be [UNK], silently
    if not any((folder / name).is_file() for name in _TOKENIZER_FILES) or len(tokenizer) < 10:
        raise ValueError(f"{folder}: no tokenizer files ({', '.join(_TOKENIZER_FILES[:2])}, ...); "
                         "the model folder is incomplete")


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


def first_token_head(model: nn.Module):
    """(encode, head) with ``head(encode(input_ids, attention_mask))`` equal to the model's logits:
    ``encode`` is the base model's last hidden state of the first token, ``head`` the model's own
    modules after it. Known heads: BERT-style (the base model's pooler, dropout, a linear
    classifier: BERT, ALBERT, MiniLM), DistilBERT (pre_classifier, ReLU, dropout, classifier), and
    a head module over the sequence that reads its first token (RoBERTa, ELECTRA, XLM-R)."""
    import torch

    base = model.base_model
    classifier = getattr(model, "classifier", None)
    pooler = getattr(base, "pooler", None)
    pre = getattr(model, "pre_classifier", None)

    def encode(**inputs):
        return base(**inputs).last_hidden_state[:, 0]

    if isinstance(classifier, nn.Linear) and isinstance(pooler, nn.Module):
        dropout = getattr(model, "dropout", nn.Identity())
        return encode, lambda f: classifier(dropout(pooler(f[:, None, :])))
    if isinstance(classifier, nn.Linear) and isinstance(pre, nn.Linear):
        return encode, lambda f: classifier(model.dropout(torch.relu(pre(f))))
    if isinstance(classifier, nn.Module) and not isinstance(classifier, nn.Linear):
        return encode, lambda f: classifier(f[:, None, :])
    raise ValueError(f"cache_features does not know the head of {type(model).__name__}; train without it")


@dataclass(frozen=True)
class TransformerKind:
    name: str = "transformer"
    model_type: str | None = None  # whatever the checkpoint's architecture writes
    tag: str = "transformer"
    default_lr: float = 5e-5
    default_epochs: int = 3
    library_name: str = "transformers"

    def check(self, config: "TrainConfig") -> None:
        check_model_source(resolve_model(config.model))

    def build(self, config: "TrainConfig", labels: "Sequence[str]", train_texts: "Sequence[str]") -> Built:
        source = resolve_model(config.model)
        if config.contrastive:  # the sentence embedding SetFit trains: the mean of the token states
            model, tokenizer = load_mean_pooling_transformer(source, labels)
        else:
            model, tokenizer = load_transformer(source, labels)
        try:
            groups, head = transformer_layer_groups(model)
        except ValueError:
            if config.strategy is not Strategy.FINETUNE or config.layer_lr_decay != 1.0:
                raise
            groups, head = [], list(model.parameters())
        return Built(model, TokenizerEncoder(tokenizer, config.max_length), groups, head, {"source": source})

    def feature_head(self, model: nn.Module):
        """The cached-features split of ``model``: see :func:`first_token_head`."""
        return first_token_head(model)

    def load(self, folder: Path, max_length: int):
        import json

        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        if is_mean_pooling(json.loads((folder / "config.json").read_text(encoding="utf-8"))):
            model = load_mean_pooling(folder)
            with _transformers_quiet():
                tokenizer = AutoTokenizer.from_pretrained(folder)
            _require_tokenizer(folder, tokenizer)
            return model, TokenizerEncoder(tokenizer, max_length)
        _check_weight_shapes(folder)
        try:
            with _transformers_quiet():  # its load report would be a second, longer account of the error below
                model, info = AutoModelForSequenceClassification.from_pretrained(folder, output_loading_info=True)
                tokenizer = AutoTokenizer.from_pretrained(folder)
        except (OSError, ValueError, RuntimeError) as err:
            raise ValueError(f"{folder}: the model cannot be loaded ({str(err).strip().splitlines()[0]})") from err
        _require_tokenizer(folder, tokenizer)
        # transformers fills weights the file lacks (or has in another shape) with random values
        # and only logs it: for a trained classifier that is a damaged folder, not a model
        for problem in ("missing_keys", "mismatched_keys"):
            if info.get(problem):
                first = sorted(map(str, info[problem]))[0]
                raise ValueError(f"{folder}: the weights file does not fit config.json ({len(info[problem])} "
                                 f"{problem.replace('_keys', '')} weight(s), first {first})")
        return model, TokenizerEncoder(tokenizer, max_length)

    def describe(self, config: "TrainConfig", provenance: dict[str, Any], base: str) -> str:
        if config.contrastive:
            return (f"`{base}` read by the mean of its token states, with a linear "
                    "head (load it with `textaug.load`: plain transformers would read the first token)")
        return f"`{base}` with a sequence-classification head"


KIND = TransformerKind()
