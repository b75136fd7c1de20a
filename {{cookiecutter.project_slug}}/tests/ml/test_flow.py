"""Full runs of the Prefect flows (and the CLI on top of them) on a temporary Prefect server."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from {{ cookiecutter.package_name }}.cli import build_app
from {{ cookiecutter.package_name }}.core.settings import ENV_PREFIX
from {{ cookiecutter.package_name }}.ml import _registry as registry
from {{ cookiecutter.package_name }}.ml import cli
from {{ cookiecutter.package_name }}.ml._flows import predict_flow
from {{ cookiecutter.package_name }}.ml._schema import REASON_COLUMN
from tests.ml.conftest import TrainedRun

pytestmark = pytest.mark.usefixtures("prefect_harness")

runner = CliRunner()


def test_flow_trains_registers_and_promotes(trained_run: TrainedRun) -> None:
    result = trained_run.result
    assert (result.rows_total, result.rows_duplicates) == (1020, 20)
    assert 10 <= result.rows_quarantined <= 30
    assert result.rows_train + result.rows_test == 1000 - result.rows_quarantined
    assert result.metrics.roc_auc > 0.75
    assert result.tuning_trials == 3
    assert not result.schema_written, "the shipped, reviewed schema is enforced"
    assert result.promoted
    assert result.decision == "no production model yet"
    assert registry.alias("tabular-classifier", trained_run.home) == result.model_tag
    record = registry.get(result.model_tag, trained_run.home)
    assert record.labels["data_hash"] == result.data_hash
    assert record.labels["schema_version"] == "1"
    assert {"git_commit", "roc_auc"} <= set(record.labels)
    assert record.metadata["classes"] == ["No", "Yes"]
    for name in (
        "pipeline.joblib",
        "schema.json",
        "reference.parquet",
        "report.md",
        "evaluation.png",
    ):
        assert (record.path / name).is_file(), name


def test_flow_writes_reports_and_tracks_the_run(trained_run: TrainedRun) -> None:
    result = trained_run.result
    report = json.loads((result.run_dir / "metrics.json").read_text(encoding="utf-8"))
    assert report["metrics"]["roc_auc"] == pytest.approx(result.metrics.roc_auc)
    assert set(report["evaluation"]) == {"metrics", "confusion", "calibration", "importance"}
    assert "| roc_auc |" in result.report_path.read_text(encoding="utf-8")
    quarantine = pd.read_csv(result.quarantine_path)
    assert len(quarantine) == result.rows_quarantined
    assert quarantine[REASON_COLUMN].str.contains("churned: not one of").any()
    assert result.mlflow_run_id
    assert (trained_run.artifacts / "ml" / "mlflow.db").is_file()


def test_batch_predictions_carry_the_model_version(use_trained: TrainedRun, tmp_path: Path) -> None:
    rows = tmp_path / "rows.csv"
    # Every input column is present (the contract); blank cells are allowed where it says so.
    rows.write_text(
        "customer_id,age,tenure_months,monthly_charges,total_charges,support_calls,contract,"
        "payment_method,region\nA,,2,,,5,Month-to-month,,\nB,,60,,,0,Two year,,\n",
        encoding="utf-8",
    )
    out = predict_flow(rows)
    scored = pd.read_csv(out)
    assert out == tmp_path / "rows.predictions.csv"
    assert scored["customer_id"].tolist() == ["A", "B"]
    assert (scored["model_version"] == use_trained.result.version).all()
    assert scored["probability"].iloc[0] > scored["probability"].iloc[1]
    assert set(scored["label"]) <= {"Yes", "No"}


def test_cli_predict_and_evaluate(
    use_trained: TrainedRun, sample_path: Path, tmp_path: Path
) -> None:
    out = tmp_path / "p.csv"
    result = runner.invoke(build_app(), ["ml", "predict", str(sample_path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert len(pd.read_csv(out)) == 1020
    result = runner.invoke(build_app(), ["ml", "evaluate"])
    assert result.exit_code == 0, result.output
    assert '"roc_auc"' in result.output
    assert use_trained.result.model_tag in result.output
    result = runner.invoke(build_app(), ["ml", "models"])
    assert result.exit_code == 0, result.output
    assert "*" in result.output


def test_demo_trains_a_challenger_below_the_margin(
    use_trained: TrainedRun, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}ML__PROMOTION_MARGIN", "0.5")
    monkeypatch.setattr(cli, "DEMO_TRIALS", 1)
    cli.demo()
    out = capsys.readouterr().out
    assert "baseline" in out
    assert "predicted" in out
    assert "kept as challenger" in out
    assert "does not beat" in out
    production = registry.alias("tabular-classifier", use_trained.home)
    assert production == use_trained.result.model_tag
    assert len(registry.list_versions("tabular-classifier", use_trained.home)) == 2
