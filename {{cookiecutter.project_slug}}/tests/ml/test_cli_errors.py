"""The CLI boundary: one or two lines and a non-zero exit; fast commands need no Prefect server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from {{ cookiecutter.package_name }}.cli import build_app
from {{ cookiecutter.package_name }}.core.settings import ENV_PREFIX, get_settings
from {{ cookiecutter.package_name }}.ml import _errors as errors
from {{ cookiecutter.package_name }}.ml import cli
from {{ cookiecutter.package_name }}.monitoring.prediction_log import read_recent
from tests.conftest import PROJECT_ROOT
from tests.ml.conftest import SAMPLE_PATH, TrainedRun

runner = CliRunner()


def _cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The project's CLI in a fresh process, as a user runs it."""
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "{{ cookiecutter.package_name }}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=PROJECT_ROOT,
        env={**os.environ, **env},
        check=False,
    )


def test_a_missing_file_is_one_line_and_exit_2_before_any_server(tmp_path: Path) -> None:
    missing = tmp_path / "nope.csv"
    done = _cli("ml", "train", "--data-path", str(missing))
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines[0] == f"error: data file not found: {missing}"
    assert lines[1].startswith("hint: check the path")
    assert len(lines) == 2
    assert "Traceback" not in done.stderr + done.stdout
    assert "Prefect" not in done.stderr + done.stdout, "failed before the server note"


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    done = _cli("ml", "--debug", "train", "--data-path", str(tmp_path / "nope.csv"))
    assert done.returncode != 0
    assert "Traceback" in done.stderr
    assert "DataSourceError" in done.stderr


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("", "error: data file is empty"),
        ("<html><head><title>x</title></head></html>\n", "is an HTML/XML page, not a CSV"),
        ("a;b;y\n1;2;yes\n3;4;no\n", "error: target column 'churned' not found"),
        ("a,churned\n1,x\n2,y\n3,z\n4,x\n5,y\n6,z\n", "is not binary: 3 classes"),
        ("a,churned\n1,yes\n2,no\n3,yes\n4,no\n", "too few rows to train on"),
    ],
)
def test_bad_sources_fail_in_the_source_check(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    result = runner.invoke(build_app(), ["ml", "train", "--data-path", str(path)])
    assert result.exit_code == 2
    assert expected in result.output
    assert "Traceback" not in result.output


def test_drift_without_a_model_says_so_before_any_server() -> None:
    result = runner.invoke(build_app(), ["ml", "drift"])
    assert result.exit_code == 2, result.output
    assert "error: no production model 'tabular-classifier'" in result.output
    assert "temporary server" not in result.output
    assert "Traceback" not in result.output


def test_an_unreachable_prefect_server_is_named_with_the_fix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    with pytest.raises(errors.PrefectUnavailableError, match=r"127\.0\.0\.1:9") as caught:
        cli.check_prefect_server(timeout_s=1)
    assert cli.PREFECT_UP in caught.value.hint
    monkeypatch.delenv("PREFECT_API_URL")
    assert cli.check_prefect_server() is None


def test_predict_refuses_rows_missing_model_columns(
    use_trained: TrainedRun, tmp_path: Path
) -> None:
    rows = pd.read_csv(SAMPLE_PATH).head(6).drop(columns=["contract", "tenure_months"])
    path = tmp_path / "rows.csv"
    rows.to_csv(path, index=False)
    result = runner.invoke(build_app(), ["ml", "predict", str(path)])
    assert result.exit_code == 2
    assert "lacks 2 column(s)" in result.output
    assert "['tenure_months', 'contract']" in result.output
    assert not path.with_name("rows.predictions.csv").exists()


def test_batch_predict_writes_the_prediction_log(
    use_trained: TrainedRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}ARTIFACTS_DIR", str(tmp_path / "artifacts"))
    get_settings.cache_clear()
    path = tmp_path / "rows.csv"
    pd.read_csv(SAMPLE_PATH).head(6).drop(columns="churned").to_csv(path, index=False)
    result = runner.invoke(build_app(), ["ml", "predict", str(path)])
    assert result.exit_code == 0, result.output
    assert "predictions: 6 rows" in result.output
    logged = read_recent()
    assert len(logged) == 6
    assert {entry["model_version"] for entry in logged} == {use_trained.result.version}
    assert "tenure_months" in logged[0]["inputs"]


def test_evaluate_on_unlabelled_rows_says_so(use_trained: TrainedRun, tmp_path: Path) -> None:
    path = tmp_path / "unlabelled.csv"
    pd.read_csv(SAMPLE_PATH).head(20).drop(columns="churned").to_csv(path, index=False)
    result = runner.invoke(build_app(), ["ml", "evaluate", "--data-path", str(path)])
    assert result.exit_code == 2
    assert "has no target column 'churned'" in result.output
    assert "ml predict" in result.output


def test_prefect_telemetry_is_off_unless_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    """The temporary server's telemetry heartbeat printed an ERROR on every offline run."""
    monkeypatch.delenv("PREFECT_SERVER_ANALYTICS_ENABLED", raising=False)
    cli._prefect_env()
    assert os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false"
    monkeypatch.setenv("PREFECT_SERVER_ANALYTICS_ENABLED", "true")
    cli._prefect_env()
    assert os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] == "true", "an explicit setting wins"
