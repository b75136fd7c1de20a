from __future__ import annotations

import importlib.util
import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.core import logging as logging_module
from {{ cookiecutter.package_name }}.core.logging import configure_logging, get_logger, quiet_tracebacks
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


def test_prefect_keeps_our_handler_so_records_render(tmp_path: Path) -> None:
    """Prefect's logging setup replaced the root handler; our records then printed as raw dicts."""
    if importlib.util.find_spec("prefect") is None:
        pytest.skip("prefect comes with the ml and rag pillars")
    script = (
        "from {{ cookiecutter.package_name }}.core.logging import configure_logging, get_logger\n"
        "from {{ cookiecutter.package_name }}.core.settings import load_settings\n"
        "configure_logging(load_settings(environment='prod'))\n"
        "import prefect.main  # runs Prefect's logging setup, as a flow module's import does\n"
        "get_logger('after.prefect').warning('still ours', rows=3)\n"
        "import logging\n"
        "logging.getLogger('prefect.task_runs').info(\n"
        "    'Finished', extra={'task_run_name': 'load_data-1', 'task_run_id': 'x'}\n"
        ")\n"
    )
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={**os.environ, "PREFECT_HOME": str(tmp_path / "prefect")},
        check=True,
    )
    ours = [line for line in done.stderr.splitlines() if "still ours" in line]
    assert len(ours) == 1, done.stderr
    record = json.loads(ours[0])
    assert (record["event"], record["rows"], record["level"]) == ("still ours", 3, "warning")
    # Prefect's own records keep naming their run, which its format put in the line.
    task = json.loads(next(line for line in done.stderr.splitlines() if "Finished" in line))
    assert task["task_run_name"] == "load_data-1"


class _ExplainedError(ValueError):
    """An error whose message says what to do."""


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_quiet_errors_from_other_libraries_render_without_traceback(
    environment: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logging_module, "_QUIET", [])
    configure_logging(load_settings(environment=environment))
    quiet_tracebacks(_ExplainedError)
    flow_log = logging.getLogger("prefect.flow_runs")  # how Prefect reports a failed run
    for error in (_ExplainedError("3 rows quarantined: see quarantine.csv"), KeyError("surprise")):
        try:
            raise error
        except Exception:
            flow_log.exception("Encountered exception during execution: %r", error)

    err = capsys.readouterr().err
    assert "3 rows quarantined: see quarantine.csv" in err  # the message stays
    assert err.count("Traceback") == 1  # only the unexpected KeyError keeps its traceback
    assert "raise error" in err.split("surprise", 1)[1]
