"""A disk cache of chat replies, so that re-running an LLM augmentation costs nothing and gives
the same rows.

One SQLite file; a reply is stored (and committed) the moment it arrives, so a run stopped half
way (a server gone, Ctrl-C, a kill) keeps every reply it got and the next run asks only for the
rest. The key is a hash of everything that fixes a reply: the model, the messages, the sampling
parameters, the seed and the output's index. The server's address and key are not part of it:
the same model behind another address answers the same request.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["ChatCache", "CachedReply", "cache_key"]


@dataclass(frozen=True)
class CachedReply:
    text: str
    prompt_tokens: int
    completion_tokens: int


def cache_key(model: str, messages: Any, sampling: Any, seed: int, index: int) -> str:
    """The hash a reply is stored under (JSON of the parts, sorted keys: stable across runs)."""
    payload = json.dumps([model, messages, sampling, seed, index], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


class ChatCache:
    """``get``/``put`` of replies in the SQLite file ``path`` (created with its folder)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # one connection, used under a lock: the augmenter's request threads share it
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
            with self._db:
                self._db.execute("CREATE TABLE IF NOT EXISTS replies (key TEXT PRIMARY KEY, text TEXT NOT NULL, "
                                 "prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL)")
        except sqlite3.DatabaseError as err:
            raise ValueError(f"the reply cache {self.path} cannot be opened ({err}); delete it or give another") from None

    def get(self, key: str) -> CachedReply | None:
        with self._lock:
            row = self._db.execute("SELECT text, prompt_tokens, completion_tokens FROM replies WHERE key = ?",
                                   (key,)).fetchone()
        return None if row is None else CachedReply(*row)

    def put(self, key: str, reply: CachedReply) -> None:
        with self._lock, self._db:  # committed at once: a later crash keeps it
            self._db.execute("INSERT OR REPLACE INTO replies VALUES (?, ?, ?, ?)",
                             (key, reply.text, reply.prompt_tokens, reply.completion_tokens))

    def __len__(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM replies").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._db.close()
