"""Where the Ray engine reads and writes: a local path, or a URI of any file system pyarrow knows
(``s3://``, ``gs://``, ``abfs://``, ``hdfs://``), through one ``pyarrow.fs`` code path.

A URI's file system is ``pyarrow.fs.FileSystem.from_uri``'s: credentials and endpoints come from
the usual places (``AWS_*`` variables, ``~/.aws``, instance metadata; ``AWS_ENDPOINT_URL`` for
an S3-compatible store) or from the URI itself (``s3://KEY:SECRET@bucket/path?region=...
&endpoint_override=host:port&scheme=http``).

Publishing an output folder is all-or-nothing either way, but not the same way: a local folder
is written beside the target and renamed onto it; an object store has no rename, so the shards
go to a prefix of their own (``data-<run>/``) and ``manifest.json`` is written last, in one put:
a folder without a manifest is unfinished, and the manifest names exactly the shards that belong
to it. Only then are the previous run's objects under the folder removed (``overwrite``).
"""

from __future__ import annotations

import fnmatch
import glob
import json
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Location", "locate", "shown", "list_inputs", "check_output", "publish", "parquet_rows"]

_GLOB = "*?["


@dataclass(frozen=True)
class Location:
    """A path inside a file system; ``prefix`` is what turns a path back into what the user
    wrote (``s3://``; empty for the local disk)."""

    fs: Any  # pyarrow.fs.FileSystem
    path: str
    prefix: str = ""

    @property
    def local(self) -> bool:
        return not self.prefix

    @property
    def filesystem(self):
        """The file system to hand a reader or writer (Ray's, pyarrow's): None on the local disk,
        where they resolve paths themselves; else the one opened from the URI, its keys and
        endpoint included."""
        return None if self.local else self.fs

    def child(self, name: str) -> Location:
        return Location(self.fs, f"{self.path.rstrip('/')}/{name}", self.prefix)

    def uri(self, path: str | None = None) -> str:
        return self.prefix + (self.path if path is None else path)


def locate(where: str | os.PathLike) -> Location:
    """The file system and path ``where`` names; a URI's file system is opened here, so a wrong
    scheme or a malformed URI is one line before anything runs."""
    from pyarrow import fs

    text = os.fspath(where)
    scheme, sep, _ = text.partition("://")
    if not sep or scheme == "file" or len(scheme) == 1:  # C:\ is not a scheme
        local = text[len("file://"):] if scheme == "file" else text
        return Location(fs.LocalFileSystem(), str(Path(local).expanduser().absolute()))
    try:
        filesystem, path = fs.FileSystem.from_uri(text)
    except Exception as err:  # ArrowInvalid, OSError, ValueError: an unknown scheme or option
        why = _first_line(err).replace(text, shown(text))  # pyarrow repeats the URI, keys and all
        raise ValueError(f"{shown(text)}: cannot open its file system ({why})") from None
    return Location(filesystem, path.rstrip("/"), f"{scheme}://")


def _first_line(err: BaseException) -> str:
    lines = str(err).strip().splitlines()
    return lines[0] if lines else type(err).__name__


def shown(where: str | os.PathLike) -> str:
    """``where`` for a message: a URI without its ``user:secret@`` part and its query; a path as
    it is."""
    text = os.fspath(where)
    scheme, sep, rest = text.partition("://")
    if not sep:
        return text
    rest = rest.split("?", 1)[0]
    return f"{scheme}://{rest.rpartition('@')[2]}"


def _info(loc: Location):
    try:
        return loc.fs.get_file_info(loc.path)
    except OSError as err:  # no access, a bucket that does not exist, a store that does not answer
        raise ValueError(f"{loc.uri()}: {_first_line(err)}") from None


def _files_under(loc: Location, missing_ok: bool = False) -> list[str]:
    from pyarrow import fs

    try:
        infos = loc.fs.get_file_info(fs.FileSelector(loc.path, recursive=True, allow_not_found=missing_ok))
    except OSError as err:
        raise ValueError(f"{loc.uri()}: {_first_line(err)}") from None
    return sorted(i.path for i in infos if i.type == fs.FileType.File)


def _glob(loc: Location) -> list[str]:
    """Files matching a pattern. Local: Python's glob (``**`` recursive). Elsewhere: every file
    under the pattern's fixed leading folders, matched with fnmatch, where ``*`` stays inside one
    folder level unless the pattern has ``**``; hidden names left out, as glob does."""
    if loc.local:
        return sorted(p for p in glob.glob(loc.path, recursive=True) if os.path.isfile(p))
    parts = loc.path.split("/")
    fixed = next(i for i, part in enumerate(parts) if any(c in part for c in _GLOB))
    base = Location(loc.fs, "/".join(parts[:fixed]), loc.prefix)
    deep = "**" in loc.path
    return [p for p in _files_under(base, missing_ok=True)
            if fnmatch.fnmatchcase(p, loc.path) and (deep or p.count("/") == loc.path.count("/"))
            and not _hidden(p, base.path)]


def _hidden(path: str, under: str) -> bool:
    """A name below ``under`` starts with ``.`` or ``_`` (a hidden file, a writer's temporary)."""
    return any(part.startswith((".", "_")) for part in path[len(under):].split("/"))


def list_inputs(sources: str | os.PathLike | Sequence[str | os.PathLike],
                formats: dict[str, str]) -> tuple[Location, list[str], str]:
    """The files that ``sources`` name (paths, globs, folders; a folder: its files of the known
    ``formats``, by extension, hidden ones left out), sorted within each source, checked to exist,
    to be readable and to share one format and one file system.

    Returns the first source's location (the file system of them all), the files' paths in it,
    and the format."""
    from pyarrow import fs

    items = [sources] if isinstance(sources, (str, os.PathLike)) else list(sources)
    if not items:
        raise ValueError("no input given")
    locations = [locate(item) for item in items]
    systems = sorted({loc.prefix or "the local disk" for loc in locations})
    if len(systems) > 1:
        raise ValueError(f"the input mixes file systems ({', '.join(systems)}); give files of one")
    first = locations[0]
    found: list[str] = []
    for loc in locations:
        if any(c in loc.path for c in _GLOB):
            matched = _glob(loc)
            if not matched:
                raise ValueError(f"{loc.uri()}: no file matches")
            found += matched
            continue
        info = _info(loc)
        if info.type == fs.FileType.Directory:
            inside = [p for p in _files_under(loc) if _suffix(p) in formats and not _hidden(p, loc.path)]
            if not inside:
                raise ValueError(f"{loc.uri()}: a folder with no {', '.join(formats)} files")
            found += inside
        elif info.type == fs.FileType.NotFound:
            raise ValueError(f"{loc.uri()}: no such file")
        else:
            found.append(loc.path)
    for path in found:
        if _suffix(path) not in formats:
            raise ValueError(f"{first.uri(path)}: the ray engine reads {', '.join(formats)} files")
        if first.local and not os.access(path, os.R_OK):
            raise ValueError(f"{path}: not readable")
    kinds = {formats[_suffix(p)] for p in found}
    if len(kinds) > 1:
        raise ValueError(f"the input mixes formats ({', '.join(sorted(kinds))}); give files of one format")
    return first, list(dict.fromkeys(found)), kinds.pop()


def _suffix(path: str) -> str:
    name = path.rpartition("/")[2]
    return name[name.rfind("."):].lower() if "." in name else ""


def check_output(loc: Location, overwrite: bool, manifest: str) -> None:
    """Refuse an output folder that exists (unless ``overwrite``), a file in its place, and on the
    local disk a parent that cannot be written: before any work is done."""
    from pyarrow import fs

    if loc.local:
        output = Path(loc.path)
        if output.exists() and not overwrite:
            raise ValueError(f"{output} exists; give --overwrite to replace it")
        if output.exists() and not output.is_dir():
            raise ValueError(f"{output} is a file; the ray engine writes a folder of parquet shards")
        output.parent.mkdir(parents=True, exist_ok=True)
        if not os.access(output.parent, os.W_OK):
            raise ValueError(f"{output.parent} is not writable")
        return
    info = _info(loc)
    if info.type == fs.FileType.File:
        raise ValueError(f"{loc.uri()} is a file; the ray engine writes a folder of parquet shards")
    if info.type == fs.FileType.Directory and not overwrite and _files_under(loc):
        done = _info(loc.child(manifest)).type == fs.FileType.File
        what = "exists" if done else f"holds files but no {manifest} (an unfinished run?)"
        raise ValueError(f"{loc.uri()} {what}; give --overwrite to replace it")


def parquet_rows(loc: Location, paths: Sequence[str]) -> int:
    """Rows in parquet files, from their footers."""
    import pyarrow.parquet as pq

    total = 0
    for path in paths:
        with loc.fs.open_input_file(path) as handle:
            total += pq.ParquetFile(handle).metadata.num_rows
    return total


def publish(loc: Location, manifest_name: str, write: Callable[[Location], None],
            finish: Callable[[Location, list[str]], dict]) -> dict:
    """Publish the folder ``loc`` all at once (see the module docstring). ``write(data)`` writes the
    parquet shards into the folder ``data``; ``finish(data, shards)`` is given the shards written
    (their paths relative to ``loc``) and returns the manifest, or raises to abandon the run."""
    if loc.local:
        return _publish_local(Path(loc.path), manifest_name, write, finish)
    run = f"data-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
    data = loc.child(run)
    try:
        write(data)
        shards = [p[len(loc.path) + 1:] for p in _files_under(data) if p.endswith(".parquet")]
        manifest = finish(loc, shards)
        with loc.fs.open_output_stream(loc.child(manifest_name).path) as out:  # the commit: one put
            out.write(json.dumps(manifest, indent=2).encode("utf-8"))
    except BaseException:
        _remove(loc.fs, [data.path], folder=True)
        raise
    # the previous run's objects (overwrite) and any unfinished run's are no longer named by the
    # manifest: removed now, after the commit; a failure here leaves garbage, never a wrong folder
    keep = {loc.child(manifest_name).path} | {loc.child(s).path for s in shards}
    _remove(loc.fs, [p for p in _files_under(loc) if p not in keep])
    return manifest


def _remove(filesystem, paths: list[str], folder: bool = False) -> None:
    for path in paths:
        try:
            filesystem.delete_dir(path) if folder else filesystem.delete_file(path)
        except OSError:
            pass  # best effort: what is left is not named by any manifest


def _publish_local(output: Path, manifest_name: str, write, finish) -> dict:
    from pyarrow import fs

    tmp = Path(tempfile.mkdtemp(prefix=f".{output.name}.tmp-", dir=output.parent))
    try:
        here = Location(fs.LocalFileSystem(), str(tmp))
        write(here.child("data"))
        shards = sorted(p.relative_to(tmp).as_posix() for p in (tmp / "data").glob("*.parquet"))
        manifest = finish(here, shards)
        (tmp / manifest_name).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        _rename_onto(tmp, output)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return manifest


def _rename_onto(tmp: Path, output: Path) -> None:
    """``tmp`` renamed onto ``output``; an existing ``output`` (``overwrite``) moved aside first and
    removed only after the new one is in place."""
    old = None
    if output.exists():
        old = output.with_name(f".{output.name}.old-{os.getpid()}")
        output.rename(old)
    try:
        tmp.rename(output)
    except BaseException:
        if old is not None:
            old.rename(output)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
