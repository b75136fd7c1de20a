"""`rag db up | status | down`: a local PostgreSQL with pgvector for the pgvector store."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from {{ cookiecutter.package_name }}.cli import build_app
from {{ cookiecutter.package_name }}.core.settings import ENV_PREFIX
from {{ cookiecutter.package_name }}.rag._db import db_down, db_status, db_up

runner = CliRunner()


@pytest.fixture
def artifacts(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An artifacts folder in the system temp folder (PostgreSQL runs as another user as root)."""
    folder = Path(tempfile.mkdtemp(prefix="rag-db-"))
    folder.chmod(0o755)
    monkeypatch.setenv(f"{ENV_PREFIX}ARTIFACTS_DIR", str(folder))
    yield folder
    db_down(folder / "rag" / "postgres")
    shutil.rmtree(folder, ignore_errors=True)


def test_up_starts_a_server_with_pgvector_status_reports_it_down_stops_it(artifacts: Path) -> None:
    app = build_app()

    before = runner.invoke(app, ["rag", "db", "status"])
    up = runner.invoke(app, ["rag", "db", "up"])
    status = db_status()
    assert status.running
    assert status.dsn is not None
    with psycopg.connect(status.dsn) as connection:
        extensions = connection.execute("SELECT extname FROM pg_extension").fetchall()
    down = runner.invoke(app, ["rag", "db", "down"])

    assert before.exit_code == 0
    assert "local PostgreSQL: stopped" in before.output
    assert up.exit_code == 0, up.output
    assert f"{ENV_PREFIX}RAG__POSTGRES_DSN='{status.dsn}'" in up.output
    assert status.data_dir == artifacts / "rag" / "postgres"
    assert ("vector",) in extensions
    assert down.exit_code == 0, down.output
    assert "stopped" in down.output
    assert not db_status().running
    assert db_up().running  # the data survives a restart


def test_importing_the_server_package_does_not_warn_without_xdg_runtime_dir() -> None:
    environment = {k: v for k, v in os.environ.items() if k != "XDG_RUNTIME_DIR"}
    script = "from {{ cookiecutter.package_name }}.rag._db import _pgserver; _pgserver()"
    done = subprocess.run(  # noqa: S603 - this interpreter, code of this module
        [sys.executable, "-c", script], env=environment, capture_output=True, text=True, check=True
    )
    assert "XDG_RUNTIME_DIR" not in done.stderr
