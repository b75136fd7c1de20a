"""Full runs of the Prefect flow (and the CLI on top of it) against a temporary Prefect server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from {{ cookiecutter.package_name }}.core.cli import build_app
from {{ cookiecutter.package_name }}.core.settings import ENV_PREFIX
from {{ cookiecutter.package_name }}.ml import cli
from {{ cookiecutter.package_name }}.ml.data import REASON_COLUMN, DataError
from {{ cookiecutter.package_name }}.ml.flows import train_flow

pytestmark = pytest.mark.usefixtures("prefect_harness")

runner = CliRunner()


def test_flow_trains_and_writes_artifacts(tmp_path: Path) -> None:
    result = train_flow()

    assert result.model_path.parent == tmp_path / "artifacts" / "ml"
    assert result.model_path.is_file()
    assert (result.rows_total, result.rows_quarantined) == (800, 8)
    assert result.rows_train + result.rows_test == 792
    assert result.metrics.roc_auc > 0.75
    report = json.loads(result.metrics_path.read_text(encoding="utf-8"))
    assert report["version"] == result.version
    assert report["metrics"]["roc_auc"] == pytest.approx(result.metrics.roc_auc)
    assert report["columns"]["ids"] == ["customer_id"]
    assert REASON_COLUMN in result.quarantine_path.read_text(encoding="utf-8")


def test_flow_refuses_data_with_too_many_bad_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}ML__MAX_QUARANTINE_FRACTION", "0.001")
    with pytest.raises(DataError, match="8 of 800 rows quarantined"):
        train_flow()


def test_cli_train_prints_metrics(sample_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(
        build_app(), ["ml", "train", "--data-path", str(sample_path), "--artifacts-dir", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "roc_auc" in result.output
    assert len(list((out / "ml").glob("model-*.joblib"))) == 1


def test_demo_trains_on_the_sample(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    cli.demo()
    assert "baseline" in capsys.readouterr().out
    assert list((tmp_path / "artifacts" / "ml").glob("model-*.joblib"))
