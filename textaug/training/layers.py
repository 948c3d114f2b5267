"""Where a training objective reaches inside a classifier: the word-embedding layer and the pooled
representation, for every model kind.

Mixup and feature-space augmentation change an intermediate tensor of one forward pass. They do
it with a PyTorch forward hook held for that one call (:func:`rewrite_output`,
:func:`rewrite_input`), so the models stay plain ``nn.Module``s that know nothing of augmentation,
and a wrapped model (DDP, accelerate) works unchanged: the hook sits on the inner module.

- the **input** layer is the word-embedding module (``get_input_embeddings()``: a transformer's
  word embeddings, a static-vector model's ``embedding``);
- the **pooled** representation is the input of the module named by the model's
  ``pooled_module_name`` (BiLSTM: ``classifier``, the pooled BiLSTM states; CNN: ``dense``, the
  max-pooled filters), else of ``classifier`` (BERT-family: the pooler output after dropout;
  RoBERTa/ELECTRA: the classification head's input), else of ``score`` (decoder models).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import torch
from torch import nn

__all__ = ["unwrap", "input_embedding_module", "pooled_module", "rewrite_output", "rewrite_input"]


#: Attributes through which a wrapper holds the model: DDP and accelerate's ``module``, and the
#: cached-features head's ``inner_model`` (:class:`textaug.training.features.HeadOnFeatures`).
_WRAPPED = ("module", "inner_model")


def unwrap(model: nn.Module) -> nn.Module:
    """The classifier inside wrappers (DDP, accelerate, the cached-features head)."""
    while True:
        inner = next((getattr(model, a) for a in _WRAPPED if isinstance(getattr(model, a, None), nn.Module)), None)
        if inner is None:
            return model
        model = inner


def input_embedding_module(model: nn.Module) -> nn.Module:
    model = unwrap(model)
    getter = getattr(model, "get_input_embeddings", None)
    module = getter() if getter is not None else getattr(model, "embedding", None)
    if not isinstance(module, nn.Module):
        raise ValueError(f"{type(model).__name__} has no word-embedding layer to mix at (get_input_embeddings)")
    return module


def pooled_module(model: nn.Module) -> nn.Module:
    """The module whose input is the model's pooled representation (see the module docstring)."""
    model = unwrap(model)
    names = [getattr(model, "pooled_module_name", None), "classifier", "score"]
    for name in filter(None, names):
        module = getattr(model, name, None)
        if isinstance(module, nn.Module):
            return module
    raise ValueError(f"cannot find the classification head of {type(model).__name__} (no `classifier` or `score`): "
                     "use --mixup-layer input, or no feature-space augmentation, with this architecture")


@contextmanager
def rewrite_output(module: nn.Module, fn: Callable[[torch.Tensor], torch.Tensor]) -> Iterator[None]:
    """While open, ``module``'s output tensor is replaced by ``fn(output)``."""
    handle = module.register_forward_hook(lambda _m, _args, out: fn(out))
    try:
        yield
    finally:
        handle.remove()


@contextmanager
def rewrite_input(module: nn.Module, fn: Callable[[torch.Tensor], torch.Tensor]) -> Iterator[None]:
    """While open, ``module``'s first positional input is replaced by ``fn(input)``."""
    def hook(_m, args):
        return (fn(args[0]), *args[1:])

    handle = module.register_forward_pre_hook(hook)
    try:
        yield
    finally:
        handle.remove()
