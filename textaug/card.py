"""The model card: huggingface_hub ``ModelCard`` with YAML metadata (library, pipeline tag, base
model, datasets, license, tags, model-index) and a body with the recipe, the hyperparameters,
the results and the framework versions.

The model-index carries the *test* metrics only (evaluated once, never selected on); the
validation metrics are named as such in the body. Data appears as hub ids or file names, never as
a path of the training machine, and only hub ids go into ``datasets``."""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .models import get_kind
from .resources import PACKAGED_ENCODERS
from .sources import looks_like_hub_id, looks_like_path
from .training.defaults import learning_rate, num_epochs

if TYPE_CHECKING:
    from huggingface_hub import ModelCard

    from .config import TrainConfig
    from .training.record import RunRecord

__all__ = ["build_model_card", "framework_versions", "base_model_info"]

_FRAMEWORKS = ("textaug", "torch", "transformers", "datasets", "accelerate", "huggingface_hub", "nlpaug", "nltk")



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

    The packaged encoders are their hub ids (``sentence-transformers/all-MiniLM-L6-v2``, ...); a local folder names its
    license in its own card; a hub id is its own base model, and its license comes from the Hub
    when the Hub is reachable (never required).
    """
    from huggingface_hub import ModelCard

    if config.kind != "transformer" or source is None:
        return None, None
    base = PACKAGED_ENCODERS.get(config.model)
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


def public_name(value: Any) -> Any:
    """A local path as its last component (a card never shows the training machine's folders);
    anything else as it is."""
    if isinstance(value, str) and looks_like_path(value):
        return Path(value).name
    return value


def _pct(value: float) -> str:
    return f"{100 * value:.2f}"


def card_datasets(config: "TrainConfig", hub_ids: dict[str, str]) -> list[str]:
    """Hub dataset ids for the card's ``datasets``: the data's own, and ``dataset_name`` when it
    looks like one."""
    names = list(dict.fromkeys(hub_ids.values()))
    if config.dataset_name and looks_like_hub_id(config.dataset_name) and config.dataset_name not in names:
        names.insert(0, config.dataset_name)
    return names


def _per_class_rows(metrics: dict[str, Any]) -> str:
    return "\n".join(
        f"| {label} | {_pct(row['precision'])} | {_pct(row['recall'])} | {_pct(row['f1'])} | {row['support']} |"
        for label, row in metrics.get("per_class", {}).items())


_OBJECTIVE_PHRASES = {
    "cross-entropy": " (supervised cross-entropy)",
    "mixup": " (mixup, Zhang et al. 2018: pairs of examples and their one-hot labels interpolated)",
    "feature-space": " (feature-space augmentation: noise on and same-class interpolation between pooled features)",
    "consistency": " (consistency training, UDA: supervised loss plus a KL term between predictions on an "
                   "example and on its augmented copy)",
    "contrastive": " (the contrastive stage, as SetFit: the mean-pooled encoder trained on pairs of training rows, "
                   "same label close and different labels apart, a row's own augmented copies among its positives; "
                   "then a logistic-regression head fitted on the frozen embeddings)",
}


def _objective_phrase(objective: dict) -> str:
    return _OBJECTIVE_PHRASES.get(objective.get("objective"), "")


def _tuned_paragraph(tuned: dict[str, Any], config: dict[str, Any]) -> str:
    """What ``textaug tune`` decided, from the report in its configuration file, and whether this
    run kept its choice (a command-line flag may have overridden it)."""
    options = tuned.get("chosen_options") or {}
    kept = all(config.get(k) == v for k, v in options.items())
    if tuned.get("chosen") == "none":
        kept = kept and not config.get("augment")
    how = (f"{tuned.get('folds')}-fold cross-validation repeated {tuned.get('repeats')} times on the training rows, "
           f"the corrected resampled t-test and Holm's correction across {tuned.get('candidates_tested')} candidates "
           f"at a family-wise level of {tuned.get('significance')}")
    text = f"The augmentation was chosen by `textaug tune` ({how}): {tuned.get('decision')}"
    if not kept:
        text += ("\n\n**This run does not use tune's choice**: options given on the command line replaced "
                 f"`{tuned.get('chosen')}`.")
    return text


def build_model_card(config: "TrainConfig", training: dict[str, Any], record: "RunRecord") -> "ModelCard":
    from huggingface_hub import EvalResult, ModelCard, ModelCardData

    kind = get_kind(config.kind)
    base, license_ = base_model_info(config, training["model"].get("source"))
    name = Path(config.output_dir).name
    data_info = training["data"]
    datasets = card_datasets(config, data_info["hub_ids"])
    op_tags = (training.get("augmentation") or {}).get("tags", [])
    tags = list(dict.fromkeys(["textaug", "text-classification", "data-augmentation", kind.tag, *op_tags]))
    test = record.test
    results = []
    if test is not None:
        test_hub = data_info["hub_ids"].get("test")
        common = {"task_type": "text-classification", "task_name": "Text Classification",
                  "dataset_type": test_hub or "custom",
                  "dataset_name": config.dataset_name or data_info["described"]["test"],
                  "dataset_split": config.test_split if test_hub else None}
        results = [EvalResult(metric_type="accuracy", metric_name="Accuracy", metric_value=round(test.accuracy, 4), **common),
                   EvalResult(metric_type="f1", metric_name="Macro F1", metric_value=round(test.macro_f1, 4),
                              metric_config="macro", **common)]
    card_data = ModelCardData(
        library_name=kind.library_name,
        pipeline_tag="text-classification",
        base_model=base,
        datasets=datasets or None,
        license=license_,
        language="en" if config.kind != "transformer" or config.model in PACKAGED_ENCODERS else None,
        tags=tags,
        model_name=name,
        eval_results=results or None,
    )
    facts = record.training
    aug = training.get("augmentation")
    recipe = ("No augmentation." if aug is None else
              f"Recipe `{aug['recipe']}` applied to the training rows only, original rows kept "
              f"({facts.original_examples:,} rows became {facts.examples:,}):\n\n"
              f"```json\n{json.dumps(aug, indent=2)}\n```")
    if training.get("tuned"):
        recipe += "\n\n" + _tuned_paragraph(training["tuned"], training["config"])
    hyper = {k: public_name(v) for k, v in training["config"].items()
             if k not in ("train", "validation", "test", "resume", "output_dir")}
    # the values the run used where the config left a kind's default
    hyper.update(lr=learning_rate(config), epochs=None if config.max_steps else num_epochs(config),
                 patience=config.early_stopping_patience)
    versions = "\n".join(f"- {k} {v}" for k, v in training["versions"].items())
    described = data_info["described"]
    validation = record.validation
    selection = (f"the weights of step {validation.selected_step}, chosen by validation `{config.metric}`"
                 if validation is not None and config.select.value == "best" else
                 f"the final weights (step {facts.steps})")
    lines = [f"Training data: {described['train']}; {facts.steps:,} optimizer steps, "
             f"{facts.examples_seen:,} examples seen. Kept: {selection}."]
    if validation is not None:
        lines.append(f"Validation ({described['validation']}), used for selection and early stopping only: "
                     f"accuracy {_pct(validation.scores.accuracy)}%, macro-F1 {_pct(validation.scores.macro_f1)}%.")
    if test is not None:
        lines.append(f"\n**Test** ({described['test']}), evaluated once on the kept weights and never used in training: "
                     f"accuracy {_pct(test.accuracy)}%, macro-F1 {_pct(test.macro_f1)}%.\n\n"
                     "| label | precision | recall | F1 | support |\n|---|---|---|---|---|\n" + _per_class_rows(test.metrics()))
    else:
        lines.append("\nNo test data was given: the figures above were used to select the weights and are "
                     "optimistic estimates of accuracy on new data.")
    if training.get("curves"):
        lines.append(f"\nTraining loss and validation figures against steps: ![training curves]({training['curves']})")
    results_text = "\n".join(lines)
    content = f"""---
{card_data.to_yaml()}
---

# {name}

A text classifier ({", ".join(str(v) for v in training["labels"])}) trained with textaug:
{kind.describe(config, training["model"], base or public_name(config.model))}, strategy `{config.strategy.value}`, objective `{training["objective"]["objective"]}`.

## Augmentation

{recipe}

## Training

Objective{_objective_phrase(training["objective"])}:

```json
{json.dumps(training["objective"], indent=2)}
```

Hyperparameters:

```json
{json.dumps(hyper, indent=2, default=str)}
```

## Results

{results_text}

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
