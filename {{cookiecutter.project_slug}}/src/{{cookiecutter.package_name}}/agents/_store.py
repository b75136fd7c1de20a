"""SQLite storage of runs, their steps and the episodic memory.

A step record and the run state it produced are written in one transaction, so after a crash the
stored state is exactly "after the last completed step": resuming never repeats a completed step
(the ``(run_id, seq)`` primary key refuses a duplicate) and never skips one.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from ._schemas import Approval, RunRecord, RunState, StepRecord

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, task TEXT NOT NULL, status TEXT NOT NULL, state TEXT NOT NULL,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS steps (
    run_id TEXT NOT NULL REFERENCES runs(run_id), seq INTEGER NOT NULL, record TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
);
CREATE TABLE IF NOT EXISTS approvals (
    approval_id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, role TEXT NOT NULL,
    tool TEXT NOT NULL, args TEXT NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL,
    decided_at TEXT
);
CREATE TABLE IF NOT EXISTS episodes (
    id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, text TEXT NOT NULL,
    outcome TEXT NOT NULL, embedder TEXT NOT NULL, embedding BLOB NOT NULL, created_at TEXT NOT NULL
);
"""


class RunNotFoundError(LookupError):
    """No run with this id in the store."""


def now() -> str:
    """The current UTC time, ISO 8601."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class RunStore:
    """Runs, steps and episodes in one SQLite file (WAL mode; safe across threads)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        # Another process (the CLI beside the service) may hold the write lock: wait, not fail.
        self._db = sqlite3.connect(
            str(path), timeout=30, check_same_thread=False, isolation_level=None
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def create_run(self, state: RunState) -> None:
        """Store a new run in its initial state."""
        stamp = now()
        with self._transaction() as db:
            db.execute(
                "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?)",
                (state.run_id, state.task, state.status, state.model_dump_json(), stamp, stamp),
            )

    def save_state(self, state: RunState) -> None:
        """Overwrite the run's state (status changes without a step)."""
        with self._transaction() as db:
            self._update(db, state)

    def save_step(self, state: RunState, record: StepRecord) -> None:
        """Store a completed step and the state after it, atomically."""
        with self._transaction() as db:
            db.execute(
                "INSERT INTO steps VALUES (?, ?, ?)",
                (record.run_id, record.seq, record.model_dump_json()),
            )
            self._update(db, state)

    def _update(self, db: sqlite3.Connection, state: RunState) -> None:
        cursor = db.execute(
            "UPDATE runs SET status = ?, state = ?, updated_at = ? WHERE run_id = ?",
            (state.status, state.model_dump_json(), now(), state.run_id),
        )
        if cursor.rowcount != 1:
            raise RunNotFoundError(f"no run {state.run_id!r} in {self.path}")

    def load_state(self, run_id: str) -> RunState:
        """The stored state of ``run_id``."""
        with self._lock:
            row = self._db.execute("SELECT state FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        if row is None:
            raise RunNotFoundError(f"no run {run_id!r} in {self.path}")
        return RunState.model_validate_json(row[0])

    def steps(self, run_id: str, after: int = 0) -> list[StepRecord]:
        """Completed steps of ``run_id`` with ``seq > after``, in order."""
        with self._lock:
            rows = self._db.execute(
                "SELECT record FROM steps WHERE run_id = ? AND seq > ? ORDER BY seq",
                (run_id, after),
            ).fetchall()
        return [StepRecord.model_validate_json(row[0]) for row in rows]

    def get_run(self, run_id: str) -> RunRecord:
        """The stored summary of ``run_id``."""
        with self._lock:
            row = self._db.execute(
                "SELECT state, created_at, updated_at FROM runs WHERE run_id = ?", (run_id,)
            ).fetchone()
        if row is None:
            raise RunNotFoundError(f"no run {run_id!r} in {self.path}")
        state = RunState.model_validate_json(row[0])
        return RunRecord(
            run_id=state.run_id,
            task=state.task,
            status=state.status,
            phase=state.phase,
            answer=state.answer,
            failure=state.failure,
            usage=state.usage,
            steps=state.seq,
            plan=state.plan,
            created_at=row[1],
            updated_at=row[2],
        )

    def list_runs(self, limit: int = 20) -> list[tuple[str, str, str, str]]:
        """The latest runs as ``(run_id, status, updated_at, task)``, newest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT run_id, status, updated_at, task FROM runs "
                "ORDER BY updated_at DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [(str(a), str(b), str(c), str(d)) for a, b, c, d in rows]

    def add_episode(
        self, run_id: str, text: str, outcome: str, embedder: str, vector: bytes
    ) -> None:
        """Store one episode of the long-term memory."""
        with self._transaction() as db:
            db.execute(
                "INSERT INTO episodes (run_id, text, outcome, embedder, embedding, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (run_id, text, outcome, embedder, vector, now()),
            )

    def episodes(self, embedder: str, after_id: int = 0) -> list[tuple[int, str, str, bytes]]:
        """Episodes embedded by ``embedder`` with ``id > after_id``: (id, text, outcome, vector)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, text, outcome, embedding FROM episodes "
                "WHERE embedder = ? AND id > ? ORDER BY id",
                (embedder, after_id),
            ).fetchall()
        return [(int(a), str(b), str(c), bytes(d)) for a, b, c, d in rows]

    def transcript(self, run_id: str) -> dict[str, object]:
        """The full run as JSON-ready data: its record, final state and every step with messages."""
        return {
            "run": self.get_run(run_id).model_dump(mode="json"),
            "state": self.load_state(run_id).model_dump(mode="json"),
            "steps": [record.model_dump(mode="json") for record in self.steps(run_id)],
        }

    def add_approval(self, run_id: str, role: str, tool: str, args: dict[str, object]) -> int:
        """Queue a side-effect call for a human decision; returns its id."""
        with self._transaction() as db:
            cursor = db.execute(
                "INSERT INTO approvals (run_id, role, tool, args, status, created_at) "
                "VALUES (?, ?, ?, ?, 'pending', ?)",
                (run_id, role, tool, json.dumps(args, default=str), now()),
            )
        return int(cursor.lastrowid or 0)

    def decide(self, approval_id: int, status: str) -> Approval:
        """Record a decision (``approved``, ``denied`` or ``expired``) on a pending approval.

        Raises:
            LookupError: no pending approval with this id (unknown, or already decided).
        """
        with self._transaction() as db:
            cursor = db.execute(
                "UPDATE approvals SET status = ?, decided_at = ? "
                "WHERE approval_id = ? AND status = 'pending'",
                (status, now(), approval_id),
            )
        if cursor.rowcount != 1:
            raise LookupError(f"no pending approval {approval_id}")
        return self.approval(approval_id)

    def approval(self, approval_id: int) -> Approval:
        """One approval by id."""
        with self._lock:
            row = self._db.execute(
                "SELECT * FROM approvals WHERE approval_id = ?", (approval_id,)
            ).fetchone()
        if row is None:
            raise LookupError(f"no approval {approval_id}")
        return _approval(row)

    def approvals(self, run_id: str, status: str | None = None) -> list[Approval]:
        """The approvals of ``run_id`` (only those with ``status`` if given), oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM approvals WHERE run_id = ? ORDER BY approval_id", (run_id,)
            ).fetchall()
        found = [_approval(row) for row in rows]
        return [item for item in found if status is None or item.status == status]


def _approval(row: tuple[object, ...]) -> Approval:
    keys = ("approval_id", "run_id", "role", "tool", "args", "status", "created_at", "decided_at")
    values = dict(zip(keys, row, strict=True))
    values["args"] = json.loads(str(values["args"]))
    return Approval.model_validate(values)
