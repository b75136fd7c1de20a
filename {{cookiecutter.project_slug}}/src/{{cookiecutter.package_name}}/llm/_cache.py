"""A response cache on disk for deterministic calls (SQLite: one file, safe across processes).

The key (:func:`~..core.caching.cache_key`, shared with the serving cache) is a hash of the model,
the messages (prompt, instructions, output schema) and the request parameters, so any change to
one of them is a miss. Entries older than the TTL are misses; past ``max_entries`` the oldest are
deleted. Only calls at temperature 0 are cached by the client: caching a sampled answer would
hide the sampling.
"""

from __future__ import annotations

import json
import sqlite3
import time
from contextlib import closing
from pathlib import Path
from typing import Any

SCHEMA = "CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, created REAL, value TEXT)"


class ResponseCache:
    """Map keys to JSON values in ``directory/responses.sqlite`` with a TTL and a size bound."""

    def __init__(self, directory: Path, ttl_seconds: float, max_entries: int) -> None:
        self.path = directory / "responses.sqlite"
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path, timeout=10)
        connection.execute(SCHEMA)
        return connection

    def get(self, key: str) -> Any | None:
        """The value stored under ``key``, or ``None`` when absent or expired."""
        if not self.path.exists():
            return None
        with closing(self._connect()) as db:
            row = db.execute(
                "SELECT created, value FROM responses WHERE key = ?", (key,)
            ).fetchone()
        if row is None or time.time() - row[0] > self.ttl_seconds:
            return None
        return json.loads(row[1])

    def set(self, key: str, value: Any) -> None:
        """Store ``value`` (JSON-able) under ``key``; then drop the oldest past the bound."""
        with closing(self._connect()) as db, db:
            db.execute(
                "INSERT OR REPLACE INTO responses VALUES (?, ?, ?)",
                (key, time.time(), json.dumps(value)),
            )
            db.execute(
                "DELETE FROM responses WHERE key NOT IN "
                "(SELECT key FROM responses ORDER BY created DESC LIMIT ?)",
                (self.max_entries,),
            )

    def __len__(self) -> int:
        if not self.path.exists():
            return 0
        with closing(self._connect()) as db:
            count: int = db.execute("SELECT COUNT(*) FROM responses").fetchone()[0]
        return count

    def clear(self) -> None:
        """Delete every entry."""
        with closing(self._connect()) as db, db:
            db.execute("DELETE FROM responses")
