from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from prometheus_client import REGISTRY
from typer.testing import CliRunner

from {{ cookiecutter.package_name }}.cli import build_app
from {{ cookiecutter.package_name }}.core.settings import ENV_PREFIX, get_settings
from {{ cookiecutter.package_name }}.ml import _drift as drift
from {{ cookiecutter.package_name }}.ml._data import to_number
from {{ cookiecutter.package_name }}.monitoring.prediction_log import log_predictions, read_recent
from {{ cookiecutter.package_name }}.monitoring.settings import MonitoringSettings
from tests.conftest import PROJECT_ROOT
from tests.ml.conftest import TrainedRun

NUMERIC = ["age", "tenure_months", "monthly_charges", "total_charges", "support_calls"]
HALF = 500


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    """The embedded sample without id and target, numbers parsed like the training reference."""
    raw = pd.read_csv(PROJECT_ROOT / "data" / "ml" / "customers.csv", dtype=str)
    frame = raw.drop(columns=["customer_id", "churned"])
    for column in NUMERIC:
        frame[column] = to_number(frame[column])
    return frame


def _scores(a: float, b: float, n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).beta(a, b, size=n)


def _recent(frame: pd.DataFrame, scores: np.ndarray) -> list[dict[str, object]]:
    records = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
    return [
        {"inputs": record, "score": float(score), "model_version": "m:1"}
        for record, score in zip(records, scores, strict=True)
    ]


def test_psi_is_zero_for_equal_shares_and_grows_with_shift() -> None:
    shares = np.array([0.25, 0.25, 0.5])
    assert drift.psi(shares, shares) == 0.0
    values = np.random.default_rng(0).normal(size=2000)
    small = drift.numeric_psi(values, values + 0.1)
    large = drift.numeric_psi(values, values + 1.0)
    assert 0 < small < 0.1
    assert large > 0.5


def test_ks_test_matches_the_reference_implementation() -> None:
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(1)
    for shift in (0.0, 0.15, 0.4):
        a, b = rng.normal(size=300), rng.normal(loc=shift, size=200)
        ks = drift.ks_test(a, b)
        assert ks is not None
        expected = stats.ks_2samp(a, b, method="asymp")
        assert ks[0] == pytest.approx(expected.statistic)
        assert ks[1] == pytest.approx(expected.pvalue, rel=0.1, abs=1e-3)
    assert drift.ks_test(np.array([1.0]), np.array([1.0, 2.0])) is None


def test_unseen_categories_and_spellings() -> None:
    reference = pd.Series(["Month-To-Month", "one year", None] * 50)
    same = pd.Series([" MONTH TO MONTH", "One-Year", None] * 30)
    assert drift.categorical_psi(reference, same) == pytest.approx(0.0)
    assert drift.categorical_psi(reference, pd.Series(["weekly"] * 90)) > 1.0


def test_same_population_is_not_drift(table: pd.DataFrame) -> None:
    recent = _recent(table.iloc[HALF:], _scores(2, 5, len(table) - HALF, seed=2))
    report = drift.compute_drift(
        table.iloc[:HALF], _scores(2, 5, HALF, seed=3), recent, MonitoringSettings()
    )
    assert report.status == "ok", report.drifted
    # five numeric columns and the score share the configured false-alarm chance
    assert report.ks_pvalue_threshold == pytest.approx(0.01 / 6)
    assert {column.name for column in report.columns} == {*table.columns, drift.SCORE}
    assert report.model_versions == ["m:1"]


def test_shifted_inputs_and_scores_are_drift(table: pd.DataFrame) -> None:
    current = table.iloc[HALF:].copy()
    current["monthly_charges"] = current["monthly_charges"] * 1.8
    current["contract"] = "weekly"
    recent = _recent(current, _scores(5, 2, len(current), seed=4))
    report = drift.compute_drift(
        table.iloc[:HALF], _scores(2, 5, HALF, seed=3), recent, MonitoringSettings()
    )
    assert report.status == "drift"
    assert {"monthly_charges", "contract", drift.SCORE} <= set(report.drifted)
    assert "age" not in report.drifted
    by_name = {column.name: column for column in report.columns}
    assert by_name["contract"].ks_pvalue is None
    assert by_name["monthly_charges"].psi > 0.2


def test_too_few_records_is_not_judged(table: pd.DataFrame) -> None:
    recent = _recent(table.iloc[:10], _scores(2, 5, 10, seed=5))
    report = drift.compute_drift(table, None, recent, MonitoringSettings())
    assert report.status == "insufficient_data"
    assert report.columns == []


class _Webhook(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []  # noqa: RUF012 - shared by the handler instances

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        self.received.append(json.loads(self.rfile.read(length)))
        self.send_response(204)
        self.end_headers()

    def do_PUT(self) -> None:
        length = int(self.headers["Content-Length"])
        self.received.append({"put": self.path, "body": self.rfile.read(length).decode()})
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A real HTTP server on loopback that records the JSON bodies POSTed to it."""
    received: list[dict[str, Any]] = []
    handler = type("Handler", (_Webhook,), {"received": received})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook", received
    server.shutdown()
    server.server_close()


def test_send_alert_posts_json(webhook: tuple[str, list[dict[str, Any]]]) -> None:
    url, received = webhook
    assert drift.send_alert(url, {"text": "hello"}) == 204
    assert received == [{"text": "hello"}]
    with pytest.raises(ValueError, match="http"):
        drift.send_alert("file:///etc/passwd", {})


@pytest.mark.usefixtures("prefect_harness")
def test_flow_reports_exports_and_alerts(
    table: pd.DataFrame,
    webhook: tuple[str, list[dict[str, Any]]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, received = webhook
    monkeypatch.setenv(f"{ENV_PREFIX}MONITORING__ALERT_WEBHOOK_URL", url)
    monkeypatch.setenv(f"{ENV_PREFIX}MONITORING__PUSHGATEWAY_URL", url.removesuffix("/hook"))
    get_settings.cache_clear()
    reference, reference_score = table.iloc[:HALF], _scores(2, 5, HALF, seed=3)
    monkeypatch.setattr(drift, "load_reference", lambda tag: reference)
    monkeypatch.setattr(drift, "reference_scores", lambda tag: reference_score)
    current = table.iloc[HALF:].copy()
    current["tenure_months"] = current["tenure_months"] + 40
    records = current.astype(object).where(current.notna(), None).to_dict(orient="records")
    log_predictions(records, list(_scores(2, 5, len(records), seed=6)), model_version="m:1")
    assert len(read_recent()) == len(records)

    report = drift.drift_flow()

    assert report.status == "drift"
    assert "tenure_months" in report.drifted
    folder = get_settings().artifacts_dir / "drift"
    latest = json.loads((folder / "latest.json").read_text(encoding="utf-8"))
    assert latest["drifted"] == report.drifted
    assert 'ml_drift_psi{column="tenure_months"}' in (folder / "drift.prom").read_text()
    assert REGISTRY.get_sample_value("ml_drift_detected", {"column": "tenure_months"}) == 1.0
    pushed, alert = received
    assert pushed["put"] == "/metrics/job/ml-drift"
    assert "ml_drift_columns_drifted" in pushed["body"]
    assert alert["drifted"] == report.drifted
    assert "tenure_months" in alert["text"]


def fake_drift_flow(monkeypatch: pytest.MonkeyPatch, drifted: list[str]) -> list[str | None]:
    """Replace the drift flow by one answering a fixed report; returns the tags it was asked for."""
    seen: list[str | None] = []

    def fake_flow(tag: str | None = None) -> drift.DriftReport:
        seen.append(tag)
        return drift.DriftReport(
            created_at=datetime.now(UTC),
            status="drift" if drifted else "ok",
            reference_rows=1,
            current_rows=1,
            psi_threshold=0.2,
            ks_pvalue_threshold=0.01,
            drifted=drifted,
        )

    monkeypatch.setattr(drift, "drift_flow", fake_flow)
    return seen


def test_main_runs_once(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen = fake_drift_flow(monkeypatch, drifted=[])
    drift.main(["--tag", "churn:abc"])
    assert seen == ["churn:abc"]
    assert "drift: ok" in capsys.readouterr().out


def test_the_cli_runs_the_check_once(
    monkeypatch: pytest.MonkeyPatch, use_trained: TrainedRun
) -> None:
    seen = fake_drift_flow(monkeypatch, drifted=["age"])
    tag = use_trained.result.model_tag
    result = CliRunner().invoke(build_app(), ["ml", "drift", "--tag", tag])
    assert result.exit_code == 0, result.output
    assert seen == [tag]
    assert "drift: drift; drifted: age" in result.output


def test_the_cli_refuses_a_model_that_is_not_there_before_the_flow(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen = fake_drift_flow(monkeypatch, drifted=[])
    result = CliRunner().invoke(build_app(), ["ml", "drift", "--tag", "churn:abc"])
    assert result.exit_code == 2, result.output
    assert "error: model 'churn:abc' is not in the store" in result.output
    assert seen == []


def test_report_folder_resolves_under_artifacts(tmp_path: Path) -> None:
    settings = MonitoringSettings()
    assert settings.resolve(settings.drift_report_dir, tmp_path) == tmp_path / "drift"
