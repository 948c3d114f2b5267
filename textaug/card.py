"""The model card: huggingface_hub ``ModelCard`` with YAML metadata (library, pipeline tag, base
model, datasets, license, tags, model-index) and a body with the recipe, the hyperparameters,
the results and the framework versions."""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from huggingface_hub import ModelCard

    from .config import TrainConfig

__all__ = ["build_model_card", "framework_versions", "base_model_info"]

_FRAMEWORKS = ("textaug", "torch", "transformers", "datasets", "accelerate", "huggingface_hub", "nlpaug", "nltk")

# Tags for each augmentation operation a recipe can apply.
_OP_TAGS = {
    "eda": ["eda", "synonym-replacement", "random-insertion", "random-swap", "random-deletion"],
    "synonym": ["synonym-replacement"],
    "insert": ["random-insertion"],
    "swap": ["random-swap"],
    "delete": ["random-deletion"],
    "aeda": ["aeda", "punctuation-insertion"],
}


def framework_versions() -> dict[str, str]:
    out = {}
    for name in _FRAMEWORKS:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def base_model_info(config: "TrainConfig", source: str | None) -> tuple[str | None, str | None]:
    """(base model hub id, license) where they can be known without guessing.

    The packaged MiniLM is ``sentence-transformers/all-MiniLM-L6-v2``; a local folder names its
    license in its own card; a hub id is its own base model, and its license comes from the Hub
    when the Hub is reachable (never required).
    """
    from huggingface_hub import ModelCard

    from .resources import MINILM, MINILM_HUB_ID

    if config.is_lstm or source is None:
        return None, None
    base = MINILM_HUB_ID if config.model == MINILM else None
    folder = Path(source)
    if folder.is_dir():
        license_ = None
        readme = folder / "README.md"
        if readme.is_file():
            try:
                license_ = ModelCard.load(readme).data.license
            except Exception:  # a card we cannot parse just means "unknown"
                license_ = None
        return base, license_
    try:
        from huggingface_hub import model_info

        return config.model, getattr(model_info(config.model).card_data, "license", None)
    except Exception:  # offline, private, or rate-limited: the license stays unknown
        return config.model, None


def _pct(value: float) -> str:
    return f"{100 * value:.2f}"


def build_model_card(config: "TrainConfig", training: dict[str, Any], metrics: dict[str, Any]) -> "ModelCard":
    from huggingface_hub import EvalResult, ModelCard, ModelCardData

    base, license_ = base_model_info(config, training["model"].get("source"))
    name = Path(config.output_dir).name
    dataset = config.dataset_name or (config.train if config.train and not Path(config.train).exists() else None)
    tags = ["textaug", "text-classification", "data-augmentation",
            "bilstm" if config.is_lstm else "transformer", *_OP_TAGS.get(config.augment or "", [])]
    results = []
    if metrics.get("accuracy") is not None:
        common = {"task_type": "text-classification", "task_name": "Text Classification",
                  "dataset_type": dataset or "custom", "dataset_name": dataset or metrics.get("eval_data", "evaluation data"),
                  "dataset_split": config.eval_split if config.eval and not Path(config.eval).exists() else None}
        results = [EvalResult(metric_type="accuracy", metric_name="Accuracy", metric_value=round(metrics["accuracy"], 4), **common),
                   EvalResult(metric_type="f1", metric_name="Macro F1", metric_value=round(metrics["macro_f1"], 4),
                              metric_config="macro", **common)]
    data = ModelCardData(
        library_name="textaug" if config.is_lstm else "transformers",
        pipeline_tag="text-classification",
        base_model=base,
        datasets=[dataset] if dataset else None,
        license=license_,
        language="en" if config.is_lstm or config.model == "minilm" else None,
        tags=tags,
        model_name=name,
        eval_results=results or None,
    )
    aug = training.get("augmentation")
    recipe = ("No augmentation." if aug is None else
              f"Recipe `{aug['recipe']}` applied to the training split only, original rows kept "
              f"({metrics.get('train_examples_original', '?'):,} rows became {metrics.get('train_examples', '?'):,}):\n\n"
              f"```json\n{json.dumps(aug, indent=2)}\n```")
    hyper = {k: v for k, v in training["config"].items() if k not in ("train", "eval", "resume", "output_dir")}
    rows = "\n".join(
        f"| {label} | {_pct(row['precision'])} | {_pct(row['recall'])} | {_pct(row['f1'])} | {row['support']} |"
        for label, row in metrics.get("per_class", {}).items())
    versions = "\n".join(f"- {k} {v}" for k, v in training["versions"].items())
    model_desc = (f"a BiLSTM over {training['model'].get('vectors')} ({training['model'].get('vocab_size'):,} words)"
                  if config.is_lstm else f"`{base or config.model}` with a sequence-classification head")
    content = f"""---
{data.to_yaml()}
---

# {name}

A text classifier ({", ".join(training["labels"])}) trained with [textaug](https://github.com/textaug/textaug):
{model_desc}, strategy `{config.strategy.value}`.

## Augmentation

{recipe}

## Training

Hyperparameters:

```json
{json.dumps(hyper, indent=2, default=str)}
```

## Results

Evaluated on {metrics.get("eval_data", "the evaluation data")} (best checkpoint by `{config.metric}`, step {metrics.get("best_step")}):
accuracy {_pct(metrics.get("accuracy", 0))}%, macro-F1 {_pct(metrics.get("macro_f1", 0))}%.

| label | precision | recall | F1 | support |
|---|---|---|---|---|
{rows}

## Usage

```python
import textaug
clf = textaug.load("{name}")  # this folder or its hub repo id
clf.predict(["a text to classify"])
```

## Framework versions

{versions}
"""
    return ModelCard(content)
