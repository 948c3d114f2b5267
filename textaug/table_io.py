"""Rows to files and back (csv, tsv, jsonl/json, parquet) such that what textaug writes it reads
back identically, and a malformed file is an error naming its line, never shifted columns.

The delimited formats follow RFC 4180 with one addition taken from PostgreSQL's CSV format: an
empty unquoted cell is a missing value (None) and ``""`` is an empty string. A quoted cell is
always text; a column whose cells are all unquoted integers (floats, true/false) is read as
integers (floats, booleans). The writer quotes every text that needs it (a delimiter, a quote,
a line break, an empty string, or a text that would read as a number), so texts with tabs,
newlines and quotes, numbers, empty strings and None all survive the round trip.
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
import re
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .atomic import atomic_path

if TYPE_CHECKING:
    from datasets import Dataset, Features

__all__ = ["DataConversionWarning", "read_columns", "write_dataset", "check_writable"]

DELIMITERS = {".csv": ",", ".tsv": "\t"}
_DELIMITER_NAMES = {",": "comma", "\t": "tab"}

_INT = re.compile(r"-?\d+")
_FLOAT = re.compile(r"-?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?|-?inf|nan")
_BOOL = re.compile(r"true|false")
_INT64 = (-(2**63), 2**63 - 1)


class DataConversionWarning(UserWarning):
    """A column's values were converted to one type (said once, with the column and first row)."""


def _open_text(path: Path, mode: str):
    name = path.name.lower()
    if name.endswith(".gz"):
        return gzip.open(path, mode + "t", encoding="utf-8", newline="")
    if name.endswith(".bz2"):
        return bz2.open(path, mode + "t", encoding="utf-8", newline="")
    return open(path, mode, encoding="utf-8", newline="")


def _read_text(path: Path) -> str:
    try:
        with _open_text(path, "r") as handle:
            text = handle.read()
    except UnicodeDecodeError as err:
        raise ValueError(f"{path}: not UTF-8 text (byte {err.start} cannot be decoded)") from None
    except (OSError, EOFError) as err:
        raise ValueError(f"{path}: cannot be read ({err})") from None
    return text[1:] if text.startswith("\ufeff") else text  # a byte-order mark (Excel) is not data


# ---------------------------------------------------------------------------------------------
# delimited text


def _field_pattern(delimiter: str) -> re.Pattern[str]:
    d = re.escape(delimiter)
    # a quoted field (quotes doubled inside), or an unquoted one that does not start with a quote
    return re.compile(rf'"((?:[^"]|"")*)"|([^"{d}\r\n][^{d}\r\n]*)?')


def _parse_delimited(text: str, delimiter: str, source: Path) -> Iterator[tuple[int, list[tuple[str | None, bool]]]]:
    """(line number, [(value, quoted), ...]) per record; a blank line is a record of one missing
    value."""
    pattern = _field_pattern(delimiter)
    pos, end = 0, len(text)
    line = 1
    while pos < end:
        start_line = line
        row: list[tuple[str | None, bool]] = []
        while True:
            match = pattern.match(text, pos)
            quoted, plain = match.group(1), match.group(2)
            if quoted is not None:
                row.append((quoted.replace('""', '"'), True))
                line += quoted.count("\n")
            else:
                row.append((plain, False))
            pos = match.end()
            if pos < end and text[pos] == delimiter:
                pos += 1
                continue
            if pos >= end:
                break
            if text.startswith("\r\n", pos):
                pos += 2
            elif text[pos] in "\r\n":
                pos += 1
            elif text[pos] == '"' and quoted is None:
                raise ValueError(f"{source}, line {line}: a quote opens a field that is never closed "
                                 f"(a cell that starts with a quote must be quoted in full, its quotes doubled)")
            else:
                raise ValueError(f"{source}, line {line}: text after the closing quote of a field "
                                 f"(a cell that starts with a quote must be quoted in full, its quotes doubled)")
            line += 1
            break
        yield start_line, row


def _typed_column(cells: list[tuple[str | None, bool]]) -> list[Any]:
    """Values of one column: integers, floats or booleans when every present cell is an unquoted
    literal of that kind, else the texts."""
    present = [value for value, quoted in cells if value is not None]
    plain = present and all(not quoted for value, quoted in cells if value is not None)
    if plain:
        if all(_INT.fullmatch(v) for v in present):
            numbers = [int(v) for v in present]
            if all(_INT64[0] <= n <= _INT64[1] for n in numbers):
                return [None if v is None else int(v) for v, _ in cells]
        elif all(_FLOAT.fullmatch(v) for v in present):
            return [None if v is None else float(v) for v, _ in cells]
        elif all(_BOOL.fullmatch(v) for v in present):
            return [None if v is None else v == "true" for v, _ in cells]
    return [value for value, _ in cells]


def _read_delimited(path: Path, delimiter: str, header: bool, names: tuple[str, ...]) -> dict[str, list[Any]]:
    records = _parse_delimited(_read_text(path), delimiter, path)
    if header:
        first = next(records, None)
        if first is None:
            raise ValueError(f"{path}: the file is empty (no header line)")
        columns = [value for value, _ in first[1]]
        if any(not name for name in columns):
            raise ValueError(f"{path}, line 1: column {columns.index(next(n for n in columns if not n)) + 1} of the "
                             f"header has no name")
        duplicates = sorted({c for c in columns if columns.count(c) > 1})
        if duplicates:
            raise ValueError(f"{path}, line 1: the header names {duplicates} more than once")
    else:
        columns = list(names)
    width = len(columns)
    cells: list[list[tuple[str | None, bool]]] = [[] for _ in columns]
    for line, row in records:
        if len(row) != width:
            if width > 1 and len(row) == 1 and row[0] == (None, False):
                continue  # a blank line between records, as every csv reader skips
            what = "the header has" if header else "expected"
            hint = ""
            if len(row) > width and delimiter == "\t":
                hint = " (a tab inside a text must be quoted: put the cell in double quotes)"
            elif len(row) > width:
                hint = " (a comma inside a text must be quoted: put the cell in double quotes)"
            raise ValueError(f"{path}, line {line}: {len(row)} {_DELIMITER_NAMES[delimiter]}-separated fields "
                             f"where {what} {width}{hint}")
        for column, cell in zip(cells, row):
            column.append(cell)
    return {name: _typed_column(column) for name, column in zip(columns, cells)}


def _format_cell(value: Any, delimiter: str, column: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)  # the shortest text that reads back as the same float
    if isinstance(value, (list, dict, tuple)):
        raise ValueError(f"column {column!r} holds nested values; write .jsonl or .parquet")
    text = str(value)
    if (text == "" or delimiter in text or '"' in text or "\n" in text or "\r" in text
            or _FLOAT.fullmatch(text) or _BOOL.fullmatch(text)):
        return '"' + text.replace('"', '""') + '"'
    return text


def _write_delimited(rows: Iterable[dict[str, Any]], columns: list[str], handle, delimiter: str) -> None:
    handle.write(delimiter.join(_format_cell(c, delimiter, c) for c in columns) + "\n")
    for row in rows:
        handle.write(delimiter.join(_format_cell(row[c], delimiter, c) for c in columns) + "\n")


# ---------------------------------------------------------------------------------------------
# JSON


def _read_json_records(path: Path, lines: bool) -> list[dict[str, Any]]:
    text = _read_text(path)
    if not lines:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            if err.msg != "Extra data":
                raise ValueError(f"{path}, line {err.lineno} column {err.colno}: not JSON ({err.msg})") from None
            lines = True  # JSON Lines in a .json file (datasets' to_json writes that by default)
        else:
            if isinstance(data, dict) and data and all(isinstance(v, list) for v in data.values()):
                lengths = {len(v) for v in data.values()}
                if len(lengths) != 1:
                    raise ValueError(f"{path}: a mapping of columns needs columns of one length, got {sorted(lengths)}")
                keys = list(data)
                return [dict(zip(keys, values)) for values in zip(*data.values())]
            if not isinstance(data, list):
                raise ValueError(f"{path}: a .json table is a list of objects (or an object of columns)")
            records = data
            for i, record in enumerate(records):
                if not isinstance(record, dict):
                    raise ValueError(f"{path}: item {i} of the list is not an object")
            return records
    records = []
    # JSON Lines are separated by "\n" alone: str.splitlines() would also cut at U+2028, U+2029
    # and U+0085, which JSON leaves unescaped inside strings (a text holding one became two
    # broken lines). A "\r" before the "\n" is JSON whitespace and parses away.
    for number, raw in enumerate(text.split("\n"), start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except json.JSONDecodeError as err:
            raise ValueError(f"{path}, line {number}: not JSON ({err.msg}, column {err.colno})") from None
        if not isinstance(record, dict):
            raise ValueError(f"{path}, line {number}: a JSON Lines row is an object, got {type(record).__name__}")
        records.append(record)
    return records


def _kind(value: Any) -> str:
    if value is None:
        return "missing"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "text"
    return "nested"


def _unify(name: str, values: list[Any], source: Path) -> list[Any]:
    """One type per column: numbers, texts and booleans mixed become texts (said once, naming the
    first row of the rarer kind); nested values mixed with anything else are an error."""
    kinds = [_kind(v) for v in values]
    present = {k for k in kinds if k != "missing"}
    if len(present) <= 1:
        return values
    counts = {k: kinds.count(k) for k in present}
    rare = min(present, key=lambda k: (counts[k], k))
    first = kinds.index(rare)
    if "nested" in present:
        other = kinds.index(next(k for k in present if k != "nested")) if rare == "nested" else first
        row = first if rare == "nested" else other
        raise ValueError(f"{source}: column {name!r} mixes nested values (lists/objects) with single values "
                         f"(first at row {row}: {values[row]!r})")
    common = max(present, key=lambda k: (counts[k], k))
    warnings.warn(f"{source}: column {name!r} mixes {common} and {rare} values (first {rare} at row {first}: "
                  f"{values[first]!r}); all read as text", DataConversionWarning, stacklevel=4)
    return [None if v is None else (("true" if v else "false") if isinstance(v, bool) else str(v)) for v in values]


def _columns_from_records(records: list[dict[str, Any]], source: Path) -> dict[str, list[Any]]:
    names: dict[str, None] = {}
    for record in records:
        names.update(dict.fromkeys(record))
    return {name: _unify(name, [record.get(name) for record in records], source) for name in names}


def _json_default(value: Any) -> Any:
    return str(value)  # dates and the like: as text, as pandas would


# ---------------------------------------------------------------------------------------------
# public


def read_columns(path: Path, ext: str, *, header: bool = True,
                 names: tuple[str, ...] = ("label", "text")) -> "dict[str, list[Any]] | Dataset":
    """The columns of a local file in format ``ext`` (a Dataset for parquet, which carries its
    own schema)."""
    if ext in DELIMITERS:
        return _read_delimited(path, DELIMITERS[ext], header, names)
    if ext in (".jsonl", ".json"):
        return _columns_from_records(_read_json_records(path, lines=ext == ".jsonl"), path)
    import pyarrow.parquet as pq
    from datasets import Dataset

    try:
        table = pq.read_table(path)
    except Exception as err:  # pyarrow's errors name no file
        raise ValueError(f"{path}: not a readable parquet file ({str(err).splitlines()[0]})") from None
    index = [c for c in (table.schema.pandas_metadata or {}).get("index_columns", []) if isinstance(c, str)]
    return Dataset(_in_memory(table.drop_columns(index) if index else table))


def _in_memory(table):
    from datasets.table import InMemoryTable

    return InMemoryTable(table.replace_schema_metadata(None))


def check_writable(features: "Features", ext: str) -> None:
    """Refuse, before any work, columns the format cannot hold (nested values in csv/tsv)."""
    if ext not in DELIMITERS:
        return
    from datasets import ClassLabel, Value

    nested = [name for name, feature in features.items() if not isinstance(feature, (Value, ClassLabel))]
    if nested:
        raise ValueError(f"column(s) {nested} hold nested values, which {ext} cannot hold one per cell; "
                         f"write .jsonl or .parquet instead")


def write_dataset(ds: "Dataset", path: Path, ext: str) -> None:
    """``ds`` in format ``ext``, written beside ``path`` and renamed onto it at the end."""
    check_writable(ds.features, ext)
    name = path.name.lower()
    if ext == ".parquet" and (name.endswith(".gz") or name.endswith(".bz2")):
        raise ValueError(f"{path}: parquet compresses itself; name the file .parquet")
    with atomic_path(path) as tmp:
        if ext == ".parquet":
            ds.to_parquet(str(tmp))
            return
        with _open_text(tmp, "w") as handle:
            rows = _iter_rows(ds)
            if ext in DELIMITERS:
                _write_delimited(rows, list(ds.column_names), handle, DELIMITERS[ext])
            elif ext == ".jsonl":
                for row in rows:
                    handle.write(json.dumps(row, ensure_ascii=False, default=_json_default) + "\n")
            else:
                _write_json_list(rows, handle)


def _write_json_list(rows: Iterable[dict[str, Any]], handle: io.TextIOBase) -> None:
    handle.write("[")
    for i, row in enumerate(rows):
        handle.write(("," if i else "") + "\n" + json.dumps(row, ensure_ascii=False, default=_json_default))
    handle.write("\n]\n")


def _iter_rows(ds: "Dataset", batch_size: int = 1000) -> Iterator[dict[str, Any]]:
    for batch in ds.iter(batch_size=batch_size):
        columns = list(batch)
        for values in zip(*(batch[c] for c in columns)):
            yield dict(zip(columns, values))
