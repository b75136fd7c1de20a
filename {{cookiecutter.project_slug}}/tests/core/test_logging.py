from __future__ import annotations

import io
import json
import logging
import sys

import pytest

from {{ cookiecutter.package_name }}.core.logging import configure_logging, get_logger
from {{ cookiecutter.package_name }}.core.settings import load_settings


@pytest.fixture(autouse=True)
def restore_root_logger() -> object:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield None
    root.handlers[:] = handlers
    root.setLevel(level)


def test_prod_logs_are_json_lines(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(load_settings(environment="prod"))
    get_logger("test").info("scored", rows=3)
    logging.getLogger("stdlib").warning("plain %s", "record")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert lines[0]["event"] == "scored"
    assert lines[0]["rows"] == 3
    assert lines[0]["level"] == "info"
    assert lines[1]["event"] == "plain record"


def test_dev_logs_are_human_readable(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(load_settings(environment="dev"))
    get_logger("test").info("hello", who="dev")
    err = capsys.readouterr().err
    assert "hello" in err
    assert "who" in err
    with pytest.raises(json.JSONDecodeError):
        json.loads(err.splitlines()[0])


def test_level_filters_records(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(load_settings(environment="prod", log_level="WARNING"))
    get_logger("test").info("hidden")
    get_logger("test").warning("shown")
    err = capsys.readouterr().err
    assert "shown" in err
    assert "hidden" not in err


def test_logs_follow_sys_stderr_when_it_is_swapped(monkeypatch: pytest.MonkeyPatch) -> None:
    """CLI and test runners replace sys.stderr (and close their stand-in): logs follow it."""
    configure_logging(load_settings(environment="prod"))
    first, second = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stderr", first)
    get_logger("test").info("one")
    first.close()
    monkeypatch.setattr(sys, "stderr", second)
    get_logger("test").info("two")
    assert json.loads(second.getvalue())["event"] == "two"
