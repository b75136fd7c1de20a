from __future__ import annotations

import logging
import sys

from bentoml.exceptions import InvalidArgument, ServiceUnavailable
from pydantic import BaseModel, ValidationError

from {{ cookiecutter.package_name }}.serving._logfilter import ClientErrorFilter, QueryStringFilter, is_client_error


class Model(BaseModel):
    x: int


def record_for(error: BaseException) -> logging.LogRecord:
    try:
        raise error
    except BaseException:
        info = sys.exc_info()
    return logging.LogRecord("bentoml", logging.ERROR, __file__, 1, "Exception on /x", (), info)


def test_client_errors_lose_their_traceback_and_level() -> None:
    try:
        Model.model_validate({"x": "nope"})
    except ValidationError as invalid:
        record = record_for(invalid)
    assert ClientErrorFilter().filter(record)
    assert record.exc_info is None
    assert record.levelno == logging.INFO


def test_server_errors_keep_their_traceback() -> None:
    for error in (RuntimeError("boom"), ServiceUnavailable("down")):
        record = record_for(error)
        assert ClientErrorFilter().filter(record)
        assert record.exc_info is not None
        assert record.levelno == logging.ERROR


def test_bentoml_4xx_is_a_client_error() -> None:
    assert is_client_error(InvalidArgument("bad"))
    assert not is_client_error(None)


def test_query_strings_leave_uvicorn_access_lines() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5", "POST", "/info?api_key=secret-key-0123456789", "1.1", 400),
        None,
    )
    assert QueryStringFilter().filter(record)
    line = record.getMessage()
    assert "secret-key" not in line
    assert '"POST /info?<redacted> HTTP/1.1" 400' in line


def test_paths_without_a_query_are_logged_as_they_are() -> None:
    args = ("127.0.0.1:5", "GET", "/livez", "1.1", 200)
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, "%s %s %s %s %d", args, None
    )
    QueryStringFilter().filter(record)
    assert record.args == args
