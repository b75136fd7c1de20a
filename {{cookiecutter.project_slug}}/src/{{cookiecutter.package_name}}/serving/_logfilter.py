"""Keep client mistakes out of the error log.

BentoML logs every request it rejects (invalid JSON, a field out of range) at ERROR with the
traceback. A 4xx is the client's mistake: this filter logs it at INFO without the traceback,
which also keeps a flood of bad requests from costing a traceback rendering each.
"""

from __future__ import annotations

import logging

from bentoml.exceptions import BentoMLException
from pydantic import ValidationError

BENTOML_HTTP_LOGGER = "bentoml._internal.server.http_app"
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


def install() -> None:
    """Attach the filter to BentoML's HTTP logger (once)."""
    logger = logging.getLogger(BENTOML_HTTP_LOGGER)
    if not any(isinstance(f, ClientErrorFilter) for f in logger.filters):
        logger.addFilter(ClientErrorFilter())
