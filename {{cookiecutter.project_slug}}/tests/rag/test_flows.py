from __future__ import annotations

import logging
import os
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from {{ cookiecutter.package_name }}.cli import build_app
from {{ cookiecutter.package_name }}.rag import _flows as flows
from {{ cookiecutter.package_name }}.rag._api import search
from {{ cookiecutter.package_name }}.rag._indexer import Plan


@pytest.fixture(autouse=True)
def no_closed_log_streams() -> None:
    """Drop log handlers left writing to streams an earlier CLI test closed (CliRunner's)."""
    loggers = [logging.getLogger(), *map(logging.getLogger, logging.root.manager.loggerDict)]
    for logger in loggers:
        for handler in list(logger.handlers):
            stream = getattr(handler, "stream", None)
            if stream is not None and getattr(stream, "closed", False):
                logger.removeHandler(handler)


def test_chunk_task_logic_runs_without_prefect() -> None:
    from {{ cookiecutter.package_name }}.rag._documents import make_document  # noqa: PLC0415
    from {{ cookiecutter.package_name }}.rag.settings import RAGSettings  # noqa: PLC0415

    plan = Plan([make_document("a.md", "# A\n\nSome words.")], [], 0, 1, rebuild=True)

    chunks = flows.chunk_task.fn(plan, RAGSettings())

    assert [chunk.section for chunk in chunks] == [("A",)]


def test_indexing_flow_builds_then_only_applies_changes(
    prefect_harness: None, corpus: Path
) -> None:
    first = flows.index_flow(corpus_dir=corpus)
    (corpus / "remote-work.md").unlink()
    second = flows.index_flow(corpus_dir=corpus)
    third = flows.index_flow(corpus_dir=corpus)

    assert (first.added, first.meta.documents) == (6, 6)
    assert (second.removed, second.chunks_embedded, second.meta.documents) == (1, 0, 5)
    assert third.noop
    assert all(hit.source != "remote-work.md" for hit in search("home office budget", k=5))


def test_refresh_deployment_runs_on_an_interval() -> None:
    deployment = flows.refresh_deployment(timedelta(hours=6))

    assert deployment.name == "rag-refresh"
    assert deployment.schedules[0].schedule.interval == timedelta(hours=6)


def test_dask_option_fails_with_the_fix_when_the_extra_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import builtins  # noqa: PLC0415

    real_import = builtins.__import__

    def no_dask(name: str, *args: object, **kwargs: object) -> object:
        if name.startswith("prefect_dask"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", no_dask)
    with pytest.raises(RuntimeError, match="uv sync --extra dask"):
        flows.index_flow(use_dask=True)


def test_index_flow_command_reports_a_failure_in_one_line(
    prefect_harness: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PREFECT_SERVER_ANALYTICS_ENABLED", raising=False)
    missing = tmp_path / "no-corpus"

    result = CliRunner().invoke(build_app(), ["rag", "index", "--flow", "--corpus", str(missing)])

    assert result.exit_code == 1
    assert f"error: corpus directory {missing} does not exist" in result.output
    assert "Traceback" not in result.output, result.output  # Prefect logged the failed runs
    assert os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false"  # set before Prefect loads
