"""What every recipe shares: its runs.csv (written after every run, read back typed), the
``--output-dir``/``--resume``/``--report`` options, the results.md and results.png it writes, and
the mean ± sd formatting of its tables.

A recipe keeps one dict per run (its CSV row). ``--resume`` keeps the rows of OUTPUT_DIR/runs.csv
and runs only the missing ones (so a long table can be stopped, split and finished later);
``--report CSV ...`` trains nothing and writes the table and plot of the given files.
"""

from __future__ import annotations

import argparse
import csv
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from textaug.atomic import atomic_path

__all__ = ["add_run_options", "previous_runs", "read_runs", "write_runs", "write_results", "mean_sd", "signed"]


def add_run_options(parser: argparse.ArgumentParser, default_output: str) -> None:
    parser.add_argument("--output-dir", default=default_output)
    parser.add_argument("--resume", action="store_true",
                        help="keep the runs already in OUTPUT_DIR/runs.csv and run only the missing ones")
    parser.add_argument("--report", nargs="+", metavar="CSV", default=None,
                        help="train nothing: write the table and plot of these runs.csv files (e.g. of split-up runs)")


def read_runs(paths: Path | str | Iterable[Path | str], numeric: Mapping[str, Callable[[str], Any]]) -> list[dict]:
    """The rows of runs.csv files a recipe wrote, with the ``numeric`` columns typed again (an
    empty cell stays "")."""
    paths = [paths] if isinstance(paths, (str, Path)) else list(paths)
    runs: list[dict] = []
    for path in paths:
        with Path(path).open(newline="", encoding="utf-8") as handle:
            runs += [{k: (numeric[k](v) if k in numeric and v != "" else v) for k, v in row.items()}
                     for row in csv.DictReader(handle)]
    return runs


def write_runs(path: Path, runs: Sequence[dict]) -> None:
    """Every run as a CSV row (the columns of the first run), written whole or not at all."""
    with atomic_path(path) as tmp, tmp.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(runs[0]))
        writer.writeheader()
        writer.writerows(runs)


def previous_runs(args: argparse.Namespace, numeric: Mapping[str, Callable[[str], Any]]) -> list[dict]:
    """The runs a recipe starts from: the ``--report`` files, OUTPUT_DIR/runs.csv with
    ``--resume``, else none."""
    if args.report:
        return read_runs(args.report, numeric)
    csv_path = Path(args.output_dir) / "runs.csv"
    return read_runs(csv_path, numeric) if args.resume and csv_path.exists() else []


def write_results(out: Path, runs: Sequence[dict], text: str, plot: Callable[[Path], None] | None = None) -> None:
    """runs.csv, results.md (``text``) and, when given, results.png (``plot(path)``) in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    write_runs(out / "runs.csv", runs)
    with atomic_path(out / "results.md") as tmp:
        tmp.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    if plot is not None:
        plot(out / "results.png")


def mean_sd(values: Sequence[float], digits: int = 1) -> str:
    """Accuracies (fractions) as a percentage, ``mean ± sd`` over runs (no sd for one; "" for none)."""
    if not values:
        return ""
    spread = f" ± {statistics.stdev(values) * 100:.{digits}f}" if len(values) > 1 else ""
    return f"{statistics.mean(values) * 100:.{digits}f}{spread}"


def signed(values: Sequence[float], digits: int = 1) -> str:
    """A difference as :func:`mean_sd`, with its sign ("" for none)."""
    if not values:
        return ""
    return ("+" if statistics.mean(values) >= 0 else "") + mean_sd(values, digits)
