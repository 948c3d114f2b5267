"""Augmentation beyond one machine: any augmenter run on Ray Data, with the rows ``datasets.map``
gives.

Every row's randomness comes from (augmenter, seed, row index), so the engine gives every input
row its global index (its position in the input, files in sorted order) before anything is
distributed, and hands each batch's indices to the augmenter exactly as ``augment_dataset`` does:
sorted by ``aug_source`` (rows of one source stay together, in order), the output equals the
single-machine run row for row for every augmenter whose ``reproducible`` says "any batch size"
(the others: the same counts and labels).

- Rule-based augmenters run as Ray tasks (``map_batches`` with a function); model-backed ones
  (anything with a ``device``: back-translation, embedding and contextual substitution, the
  filters, the LLM augmenters) as a pool of actors, ``workers`` of them, each loading its model
  once (the augmenter's own per-process loading) with ``gpus_per_worker`` GPUs.
- Input: a ``datasets.Dataset``, or parquet, jsonl or csv files (paths, globs, folders) on the
  local disk or in any file system pyarrow opens from a URI (``s3://``, ``gs://``, ``abfs://``,
  ``hdfs://``; see ``textaug.storage``), read with Ray Data's readers. Output: a folder, local or
  such a URI, of parquet shards and ``manifest.json`` (rows in and out, rows per operation, the
  side outputs such as filter counts summed over workers, the shards, seconds), published all at
  once, so nothing half-written is ever presented as complete: a local folder is written beside
  the target and renamed onto it; in object storage the manifest is written last and names the
  shards that belong to it. Before publishing, the rows in the shards are counted from their
  footers against the rows computed (on a cluster, a local path is each node's own disk).
  ``datasets.load_dataset("parquet", data_files=f"{out}/data/*.parquet")`` reads a local folder
  back; in object storage read the manifest's ``shards``.
- Without ``address`` a local Ray instance is started for the run and shut down after; with one
  (``host:port``, or ``auto``), the run joins that cluster. Ray retries tasks, and restarts actors
  whose process dies; the output is materialised once, so every row appears exactly once.
"""

from __future__ import annotations

import os
import re
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from .augment.base import AUG_OP, AUG_SOURCE, ORIGINAL, Augmenter
from .augment.dataset import check_text_column, uses_a_device
from .storage import Location, check_output, list_inputs, locate, parquet_rows, publish

__all__ = ["augment_ray", "RAY_FORMATS", "MANIFEST"]

#: Input formats the engine reads (Ray Data's readers), by file extension.
RAY_FORMATS = {".parquet": "parquet", ".jsonl": "json", ".json": "json", ".csv": "csv"}
MANIFEST = "manifest.json"
#: The global row index column, present only while the job runs.
_ROW = "__textaug_row"


@dataclass(frozen=True)
class _Step:
    """One batch through the augmenter: pyarrow in, pyarrow out, in the schema fixed up front. A
    task's function calls it; for a model-backed augmenter it is the actor class itself, one per
    actor process, its model loaded once (on the first batch, by the augmenter's own per-process
    loading)."""

    aug: Augmenter
    schema: Any  # pyarrow.Schema

    def __call__(self, table):
        import pyarrow as pa

        batch = table.to_pydict()
        indices = batch.pop(_ROW)
        out = self.aug(batch, indices)
        return pa.Table.from_pydict({name: out[name] for name in self.schema.names}, schema=self.schema)


def _run_batch(table, step: _Step):
    return step(table)


def _output_schema(schema, aug: Augmenter):
    """The input's columns, the provenance columns, the augmenter's own columns and its side output."""
    import pyarrow as pa
    from datasets import Features

    fields = [f for f in schema if f.name != _ROW]
    names = {f.name for f in fields}
    extra = [pa.field(AUG_OP, pa.string())] if AUG_OP not in names else []
    extra += [pa.field(AUG_SOURCE, pa.int64())] if AUG_SOURCE not in names else []
    features = aug.extra_features()
    if features:
        arrow = Features(features).arrow_schema
        extra += [arrow.field(name) for name in features if name not in names]
    if aug.side_output is not None:
        extra.append(pa.field(aug.side_output.column, pa.string()))
    return pa.schema(fields + extra)


def _read(ray, where: Location, files: list[str], kind: str):
    """Ray Data's reader for ``kind`` (a value of :data:`RAY_FORMATS`; ``json`` is pyarrow's JSON
    Lines reader, into arrow blocks)."""
    return getattr(ray.data, f"read_{kind}")(files, filesystem=where.filesystem)


def _blocks(ray, rows: int, batch_size: int, workers: int | None) -> int:
    """Blocks to cut the input into: four per worker, never smaller than a batch."""
    parallel = workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
    return max(1, min(-(-rows // batch_size), 4 * parallel))


def _cut(block, start: int, stop: int, first: int):
    """Rows ``start:stop`` of one input block with their global row index from ``first`` on."""
    import pyarrow as pa
    from ray.data.block import BlockAccessor

    table = BlockAccessor.for_block(block).to_arrow().slice(start, stop - start)
    return table.append_column(_ROW, pa.array(range(first, first + stop - start), pa.int64()))


def _with_row_index(ray, ds, batch_size: int, workers: int | None):
    """The materialised input ``ds`` as blocks that carry each row's global index; its row count
    and the number of blocks.

    The index is counted along the input's blocks in order, each block's rows from its metadata,
    and each block is cut by a task of its own into pieces of a few batches (a big file reads as
    one block, which one worker would do alone). Unlike ``Dataset.zip`` with a range (deprecated,
    to be removed in Ray 2.64, because it leans on the order of two pipelines), nothing here
    depends on how Ray schedules anything but the readers' file order."""
    blocks = [(ref, meta.num_rows) for bundle in ds.iter_internal_ref_bundles()
              for ref, meta in zip(bundle.block_refs, bundle.metadata)]
    rows = sum(n for _, n in blocks)
    if rows == 0:
        raise ValueError("the input has no rows")
    per = -(-rows // _blocks(ray, rows, batch_size, workers))
    cut = ray.remote(_cut)
    pieces, first = [], 0
    for ref, n in blocks:
        pieces += [cut.remote(ref, a, min(n, a + per), first + a) for a in range(0, n, per)]
        first += n
    return ray.data.from_arrow_refs(pieces), rows, len(pieces)


def _check_answers(address: str, seconds: float = 5.0) -> None:
    """A ``host:port`` where nothing listens fails here, in seconds: Ray itself retries for minutes."""
    import socket

    if address == "auto" or address.startswith("ray://"):
        return
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"--ray-address must be HOST:PORT (or auto), got {address!r}")
    try:
        with socket.create_connection((host, int(port)), timeout=seconds):
            pass
    except OSError as err:
        raise ValueError(f"the Ray cluster at {address} does not answer ({err.strerror or err})") from None


def _connect(ray, address: str | None, workers: int | None) -> bool:
    """Join ``address`` or start a local instance; True when this run started Ray (and stops it)."""
    if ray.is_initialized():
        return False
    if address:
        _check_answers(address)
        try:
            ray.init(address=address, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
        except (ConnectionError, RuntimeError, ValueError, TimeoutError) as err:
            raise ValueError(f"the Ray cluster at {address} does not answer ({str(err).splitlines()[0]})") from None
        return True
    # address="local": a new instance for this run, never a cluster that happens to run here
    ray.init(address="local", num_cpus=workers or os.cpu_count(), include_dashboard=False, log_to_driver=False,
             logging_level="ERROR")
    return True


def augment_ray(
    source: Any,
    aug: Augmenter,
    output: str | os.PathLike,
    *,
    address: str | None = None,
    workers: int | None = None,
    gpus_per_worker: float = 0,
    batch_size: int = 1000,
    overwrite: bool = False,
    label_column: str = "label",
) -> dict[str, Any]:
    """Augment ``source`` (a ``datasets.Dataset`` or files) with ``aug`` on Ray Data into the
    folder ``output``; returns the manifest. See the module docstring."""
    if not isinstance(aug, Augmenter):
        raise ValueError(f"aug must be a textaug Augmenter, got {type(aug).__name__}")
    for name, value, low in (("batch_size", batch_size, 1), ("workers", workers or 1, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if not isinstance(gpus_per_worker, (int, float)) or gpus_per_worker < 0:
        raise ValueError(f"gpus_per_worker must be a number >= 0, got {gpus_per_worker!r}")
    target = locate(output)
    check_output(target, overwrite, MANIFEST)
    from datasets import Dataset

    where, files, kind = (None, None, None) if isinstance(source, Dataset) else list_inputs(source, RAY_FORMATS)
    try:
        import ray
    except ImportError:
        raise ValueError("the ray engine needs Ray Data: pip install 'ray[data]'") from None
    started = time.perf_counter()
    ours = _connect(ray, address, workers)
    connected = time.perf_counter() - started
    try:
        context = ray.data.DataContext.get_current()
        # the input's blocks come out of the readers in file order (each file's rows in order):
        # the global row index below is counted along them
        context.execution_options.preserve_order = True
        context.enable_progress_bars = False
        if files is None:
            check_text_column(source, aug.column)
            aug = aug.bind(source)
            ds = ray.data.from_arrow(source.flatten_indices().data.table)
        else:
            # read once, into the object store: the schema, the row count, an LLM's example pool
            # and the job all read these blocks (a count alone would read JSON Lines and CSV again)
            try:
                ds = _read(ray, where, files, kind).materialize()
            except Exception as err:
                raise ValueError(f"cannot read {len(files)} input file(s): {_cause(err)}") from None
            read_schema = ds.schema()
            if read_schema is None:
                raise ValueError(f"the input has no rows ({len(files)} file(s))")
            columns = read_schema.names
            if aug.column not in columns:
                raise ValueError(f"text column {aug.column!r} not found; the input has columns {columns}")
            kind = read_schema.base_schema.field(aug.column).type
            if str(kind) not in ("string", "large_string"):
                raise ValueError(f"text column {aug.column!r} must hold strings, but its type is {kind}")
            probe = aug.bind(Dataset.from_dict({c: [] for c in columns}))
            if probe != aug:  # binding reads the data (an LLM's examples): give it the columns it reads
                wanted = [c for c in (aug.column, label_column) if c in columns]
                aug = aug.bind(Dataset.from_dict(ds.select_columns(wanted).to_pandas().to_dict("list")))
        ds, rows_in, blocks = _with_row_index(ray, ds, batch_size, workers)
        schema = _output_schema(ds.schema().base_schema, aug)
        common = {"batch_size": batch_size, "batch_format": "pyarrow", "udf_modifying_row_count": True}
        if uses_a_device(aug):
            out = ds.map_batches(_Step, fn_constructor_kwargs={"aug": aug, "schema": schema},
                                 compute=ray.data.ActorPoolStrategy(size=workers or 1),
                                 num_gpus=gpus_per_worker or None, **common)
        else:
            tasks = ray.data.TaskPoolStrategy(size=workers) if workers else None  # None: as many as there are CPUs
            out = ds.map_batches(_run_batch, fn_kwargs={"step": _Step(aug, schema)}, compute=tasks, **common)
        try:
            out = out.materialize()  # computed once: the counts and the shards below read the same rows
        except Exception as err:  # a worker's error or an unreadable shard: one line, nothing written
            raise ValueError(f"the ray job failed: {_cause(err)}") from None
        import pyarrow.compute as pc

        ops: Counter = Counter()
        carried: list[str] = []
        side = aug.side_output
        wanted = [AUG_OP] + ([side.column] if side is not None else [])
        for batch in out.select_columns(wanted).iter_batches(batch_format="pyarrow", batch_size=100_000):
            # counted in arrow: a million output rows as Python strings would cost the driver seconds
            ops.update({c["values"]: c["counts"] for c in pc.value_counts(batch.column(AUG_OP)).to_pylist()})
            if side is not None:
                carried += [v for v in pc.drop_null(batch.column(side.column)).to_pylist() if v]
        rows_out = sum(ops.values())
        written = out.drop_columns([side.column]) if side is not None else out

        def write(data: Location) -> None:
            written.write_parquet(data.path, filesystem=data.filesystem)

        def finish(folder: Location, shards: list[str]) -> dict:
            found = parquet_rows(folder, [folder.child(s).path for s in shards])
            if found != rows_out:  # workers on other machines wrote to disks this one cannot see
                raise ValueError(f"the shards visible at {target.uri()} hold {found:,} of the {rows_out:,} rows "
                                 "written: on a cluster of several machines, write to storage that every node "
                                 "shares (s3://..., or a folder mounted on every node)")
            manifest = {
                "engine": "ray", "ray": ray.__version__, "augmenter": aug.config(), "reproducible": aug.reproducible,
                "input": [where.uri(p) for p in files] if files is not None else "datasets.Dataset",
                "rows_in": rows_in, "rows_out": rows_out,
                "rows_by_operation": {op: n for op, n in sorted(ops.items()) if op != ORIGINAL},
                "originals": ops.get(ORIGINAL, 0), "shards": shards, "workers": workers, "blocks": blocks,
                "seconds": round(time.perf_counter() - started, 3), "seconds_connecting": round(connected, 3),
            }
            if side is not None:
                manifest[side.key] = side.merge(carried)
            return manifest

        try:
            return publish(target, MANIFEST, write, finish)
        except ValueError:
            raise
        except Exception as err:  # the disk or the store refused a write: one line, the run's shards removed
            raise ValueError(f"cannot write {target.uri()}: {_cause(err)}") from None
    finally:
        if ours:
            ray.shutdown()


_RAISED = re.compile(r"^((?:\w+\.)*(\w*(?:Error|Exception|Invalid|Interrupt)\w*)): (.+)$")


def _cause(err: BaseException) -> str:
    """One line for what failed: the innermost exception that is not Ray's own wrapper (a
    worker's ValueError, an unreadable file's ArrowInvalid). Ray passes a worker's exception back
    as text, its traceback included: the last ``Name: message`` line of it that is not Ray's."""
    chain, seen = [], set()
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        chain.append(err)
        err = getattr(err, "cause", None) or err.__cause__ or err.__context__
    found = None
    for e in chain:
        if not type(e).__module__.startswith("ray"):
            found = f"{type(e).__name__}: {str(e).strip().splitlines()[0] if str(e).strip() else ''}"
        for line in str(e).splitlines():
            match = _RAISED.match(line.strip())
            if match and not match.group(1).startswith("ray.") and match.group(2) not in _RAY_WRAPPERS:
                found = f"{match.group(2)}: {match.group(3)}"
    if found is None:
        lines = [line for line in str(chain[-1]).splitlines() if line.strip()]
        found = f"{type(chain[-1]).__name__}: {lines[0] if lines else ''}"
    return found


_RAY_WRAPPERS = ("UserCodeException", "RayTaskError", "RayActorError")
