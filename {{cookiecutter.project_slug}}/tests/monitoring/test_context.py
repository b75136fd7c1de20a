from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from {{ cookiecutter.package_name }}.core.logging import configure_logging, get_logger
from {{ cookiecutter.package_name }}.core.settings import load_settings
from {{ cookiecutter.package_name }}.monitoring.context import (
    bind_request_id,
    bind_run_id,
    clear_context,
    current_context,
    log_context,
)


@pytest.fixture(autouse=True)
def isolated_context() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    clear_context()
    yield
    clear_context()
    root.handlers[:] = handlers
    root.setLevel(level)


def test_bound_ids_appear_in_log_lines(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(load_settings(environment="prod"))
    request_id = bind_request_id("req-1")
    run_id = bind_run_id()
    get_logger("test").info("handled")
    line = json.loads(capsys.readouterr().err.splitlines()[-1])
    assert (request_id, line["request_id"]) == ("req-1", "req-1")
    assert line["run_id"] == run_id
    assert len(run_id) == 32


def test_log_context_restores_previous_values() -> None:
    bind_request_id("outer")
    with log_context(request_id="inner", step=2) as values:
        assert values == {"request_id": "inner", "step": 2}
    assert current_context() == {"request_id": "outer"}
