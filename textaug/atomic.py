"""Writing files and folders so that an interrupted run never leaves a partial one.

Everything is written under a temporary name beside its target (same folder, so same file
system) and renamed onto it at the end: a reader sees the old content or the new, never a
shorter file that could pass for a whole one. The renames that publish a folder's files run with
SIGINT held back, so Ctrl-C cannot land between two of them.
"""

from __future__ import annotations

import os
import shutil
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["atomic_path", "atomic_folder", "write_text_atomic", "check_file_target"]


def check_file_target(path: str | os.PathLike, kinds: str) -> Path:
    """``path`` checked as the target of a file write before any work: not a folder, and its
    nearest existing folder above a writable folder (the rest is created). ``kinds`` names the
    file names wanted, for the message."""
    path = Path(path).expanduser()
    if path.is_dir():
        raise ValueError(f"{path} is a folder; give a file name ending in {kinds}")
    for folder in path.parents:
        if folder.exists():
            if not folder.is_dir():
                raise ValueError(f"{path}: {folder} is a file, not a folder")
            if not os.access(folder, os.W_OK):
                raise ValueError(f"{path}: {folder} is not writable")
            break
    return path


def _temporary_name(path: Path, what: str) -> Path:
    # Hidden, named after the target (a leftover after SIGKILL is easy to recognise), and ending
    # in the target's own name, so extension-driven writers (gzip, parquet) see the same suffix.
    return path.with_name(f".{what}-{os.getpid()}.{path.name}")


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


@contextmanager
def _sigint_held() -> Iterator[None]:
    """SIGINT is delivered after the block, not inside it (main thread only; elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; renamed onto ``path`` when the block ends
    normally, removed when it raises (KeyboardInterrupt included)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temporary_name(path, "tmp")
    _remove(tmp)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        _remove(tmp)


def write_text_atomic(path: str | os.PathLike, text: str) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


@contextmanager
def atomic_folder(path: str | os.PathLike) -> Iterator[Path]:
    """A staging folder beside ``path`` to write a folder's files into. When the block ends
    normally its entries replace those of the same name in ``path`` (created if missing; entries
    of ``path`` not written here, such as checkpoints, are kept); when it raises, ``path`` is as
    it was."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = _temporary_name(path, "staging")
    _remove(staging)
    staging.mkdir()
    try:
        yield staging
        with _sigint_held():
            if not path.exists():
                os.replace(staging, path)
            else:
                for entry in sorted(staging.iterdir()):
                    target = path / entry.name
                    if target.is_dir() and not target.is_symlink():
                        shutil.rmtree(target)
                    os.replace(entry, target)
    finally:
        _remove(staging)
