"""Keep client mistakes out of the error log, and query strings out of every log.

BentoML logs every request it rejects (invalid JSON, a field out of range) at ERROR with the
traceback. A 4xx is the client's mistake: :class:`ClientErrorFilter` logs it at INFO without the
traceback, which also keeps a flood of bad requests from costing a traceback rendering each.

uvicorn's access log writes each request's path *with* its query string, where a client may
have put a credential (``?api_key=...``; the gateway refuses those requests, but they are logged
first): :class:`QueryStringFilter` writes ``?<redacted>`` instead.
"""

from __future__ import annotations

import logging

from bentoml.exceptions import BentoMLException
from pydantic import ValidationError

BENTOML_HTTP_LOGGER = "bentoml._internal.server.http_app"
UVICORN_ACCESS_LOGGER = "uvicorn.access"
_PATH_ARG = 2  # uvicorn: '%s - "%s %s HTTP/%s" %d' % (client, method, path?query, version, status)
HTTP_500 = 500


def is_client_error(error: BaseException | None) -> bool:
    """A validation error, or a BentoML exception with a 4xx status."""
    if isinstance(error, ValidationError):
        return True
    if isinstance(error, BentoMLException):
        return int(error.error_code) < HTTP_500
    return False


class ClientErrorFilter(logging.Filter):
    """Downgrade records of rejected requests to INFO and drop their traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Always keep the record; rewrite it when it is about a client error."""
        if record.exc_info and is_client_error(record.exc_info[1]):
            record.exc_info = None
            record.exc_text = None
            record.levelno = logging.INFO
            record.levelname = "INFO"
        return True


class QueryStringFilter(logging.Filter):
    """Replace the query string of uvicorn's access-log lines by ``?<redacted>``."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Always keep the record; drop the query string from its path argument."""
        args = record.args
        if isinstance(args, tuple) and len(args) > _PATH_ARG:
            path, mark, _ = str(args[_PATH_ARG]).partition("?")
            if mark:
                record.args = (*args[:_PATH_ARG], f"{path}?<redacted>", *args[_PATH_ARG + 1 :])
        return True


def install() -> None:
    """Attach the filters to BentoML's HTTP logger and uvicorn's access logger (once)."""
    for name, kind in (
        (BENTOML_HTTP_LOGGER, ClientErrorFilter),
        (UVICORN_ACCESS_LOGGER, QueryStringFilter),
    ):
        logger = logging.getLogger(name)
        if not any(isinstance(f, kind) for f in logger.filters):
            logger.addFilter(kind())
