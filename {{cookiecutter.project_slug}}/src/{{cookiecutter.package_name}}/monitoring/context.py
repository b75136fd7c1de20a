"""Structured logging context: request and run ids carried by every log line (structlog).

``core.logging`` merges structlog's context variables into each record, so binding an id here
tags everything logged in this request / task (threads and asyncio tasks keep their own copy).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import structlog

REQUEST_ID = "request_id"
RUN_ID = "run_id"


def new_id() -> str:
    """A fresh random id (32 hex characters)."""
    return uuid.uuid4().hex


def bind_request_id(request_id: str | None = None) -> str:
    """Tag the current context's log lines with ``request_id`` (a new one when ``None``)."""
    value = request_id or new_id()
    structlog.contextvars.bind_contextvars(**{REQUEST_ID: value})
    return value


def bind_run_id(run_id: str | None = None) -> str:
    """Tag the current context's log lines with ``run_id`` (a new one when ``None``)."""
    value = run_id or new_id()
    structlog.contextvars.bind_contextvars(**{RUN_ID: value})
    return value


def current_context() -> dict[str, Any]:
    """The values bound in the current context (request id, run id, anything else bound)."""
    return structlog.contextvars.get_contextvars()


@contextmanager
def log_context(**values: Any) -> Iterator[dict[str, Any]]:
    """Bind ``values`` for the duration of a ``with`` block, then restore the previous ones."""
    with structlog.contextvars.bound_contextvars(**values):
        yield current_context()


def clear_context() -> None:
    """Drop every bound value (at the start of a request or a worker task)."""
    structlog.contextvars.clear_contextvars()
