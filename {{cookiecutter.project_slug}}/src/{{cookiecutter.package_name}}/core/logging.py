"""Structured logging with structlog: JSON lines in production, readable console output in dev.

Call :func:`configure_logging` once at process start (the CLI and the service do); importing this
module configures nothing.
"""

from __future__ import annotations

import logging
import sys
from typing import Any, cast

import structlog
from structlog.typing import EventDict

from .settings import CoreSettings, Environment

NOISY_LOGGERS = ("httpx", "httpcore", "urllib3", "asyncio")
PREFECT_RUN_FIELDS = ("flow_run_name", "task_run_name")


def _use_json(settings: CoreSettings) -> bool:
    if settings.log_format != "auto":
        return settings.log_format == "json"
    return settings.environment not in {Environment.DEV, Environment.TEST}


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Write to whatever ``sys.stderr`` is when a record is emitted.

    Public by name on purpose: Prefect's logging setup (run when a flow module is imported) keeps
    the root handlers only when one looks like a user's, and it takes a class whose name starts
    with ``_`` for its own. Replaced, our structlog records reached Prefect's formatter and printed
    as raw dicts (``{'event': ..., 'level': ...}``).

    Test runners and CLI runners swap ``sys.stderr`` and close their stand-in afterwards; a handler
    holding the stream it was created with would then write to a closed file.
    """

    @property
    def stream(self) -> Any:
        """The current ``sys.stderr``."""
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        """The stream is always the current ``sys.stderr``; assignments are ignored."""


_QUIET: list[type[BaseException]] = []


def quiet_tracebacks(*kinds: type[BaseException]) -> None:
    """Print other libraries' records of ``kinds`` of errors without their traceback.

    For errors whose message already says what went wrong and what to do (a pillar's own): Prefect
    logs the exception of every failed task and flow run with its traceback, twice, which buried
    the one-line ``error:`` a command prints after it. The message stays; only the rendering
    changes (Prefect's own handlers still get the whole record). A ``--debug`` run skips this.
    """
    _QUIET.extend(kind for kind in kinds if kind not in _QUIET)


def _drop_quiet_tracebacks(logger: Any, method: str, event_dict: EventDict) -> EventDict:
    """Drop the traceback of a record about one of the :func:`quiet_tracebacks` errors."""
    del logger, method
    exc_info = event_dict.get("exc_info")
    error = exc_info[1] if isinstance(exc_info, tuple) else exc_info
    if _QUIET and isinstance(error, tuple(_QUIET)):
        del event_dict["exc_info"]
    return event_dict


def configure_logging(settings: CoreSettings) -> None:
    """Route structlog and the standard library through one processor chain."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
    ]
    renderer: Any
    if _use_json(settings):
        shared.append(structlog.processors.format_exc_info)
        renderer = structlog.processors.JSONRenderer()
    else:
        # Plain tracebacks: rich ones cost seconds of CPU each, which a service under bad input
        # (every rejected request logs one) cannot afford.
        renderer = structlog.dev.ConsoleRenderer(
            colors=sys.stderr.isatty(), exception_formatter=structlog.dev.plain_traceback
        )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        # Not cached: a cached logger keeps this configuration for good, so a later
        # reconfiguration (a test's capture_logs, a second configure call) would not reach it.
        # The cost is a few microseconds per log call.
        cache_logger_on_first_use=False,
    )
    handler = StderrHandler()
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            # Prefect names the flow or task run of its records in extra fields, not the message.
            foreign_pre_chain=[
                _drop_quiet_tracebacks,  # before `shared` formats the traceback (JSON lines)
                *shared,
                structlog.stdlib.ExtraAdder(allow=PREFECT_RUN_FIELDS),
            ],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    # Chatty client libraries log every request at INFO; keep their warnings and errors only.
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))


def get_logger(name: str | None = None) -> structlog.stdlib.BoundLogger:
    """Return a structlog logger; bind request or run ids with ``structlog.contextvars``."""
    return cast(structlog.stdlib.BoundLogger, structlog.get_logger(name))
