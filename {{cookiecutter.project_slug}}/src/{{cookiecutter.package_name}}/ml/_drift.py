"""Data and prediction drift: recent logged inputs and scores against the training reference.

Per input column, the population stability index (PSI; numeric columns binned on reference deciles,
categorical ones by value) and, for numeric columns and the score, the two-sample
Kolmogorov-Smirnov test. A Prefect flow (:func:`drift_flow`, scheduled with ``--serve``) reads the
prediction log, writes a JSON report, sets Prometheus gauges (and a textfile for batch scraping)
and POSTs an alert to a webhook when a column or the score drifted past the thresholds.

Run once: ``python -m <package>.ml.drift`` (``make drift``).
"""

from __future__ import annotations

import argparse
import json
import math
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from prefect import flow, task
from pydantic import BaseModel, Field

from ..core.settings import get_settings
from ..monitoring.metrics import gauge, push, write_textfile
from ..monitoring.prediction_log import read_recent
from ..monitoring.settings import MonitoringSettings
from ._data import normalise_label, to_number
from ._inference import load_reference, reference_scores

SCORE = "prediction_score"
BINS = 10
EPSILON = 1e-4  # floor of a bin's share, so empty bins do not make PSI infinite


class ColumnDrift(BaseModel):
    """Drift of one input column, or of the score."""

    name: str
    kind: Literal["numeric", "categorical", "score"]
    psi: float
    ks_statistic: float | None = None
    ks_pvalue: float | None = None
    drifted: bool


class DriftReport(BaseModel):
    """What one drift run found."""

    created_at: datetime
    status: Literal["ok", "drift", "insufficient_data"]
    reference_rows: int
    current_rows: int
    model_versions: list[str] = Field(default_factory=list)
    columns: list[ColumnDrift] = Field(default_factory=list)
    drifted: list[str] = Field(default_factory=list)
    psi_threshold: float
    ks_pvalue_threshold: float = Field(description="Per-test KS threshold after Bonferroni.")


def psi(reference: np.ndarray, current: np.ndarray) -> float:
    """Population stability index of two share vectors over the same bins."""
    ref = np.clip(reference, EPSILON, None)
    cur = np.clip(current, EPSILON, None)
    return float(np.sum((cur - ref) * np.log(cur / ref)))


def _shares(counts: np.ndarray) -> np.ndarray:
    total = counts.sum()
    return counts / total if total else np.zeros_like(counts, dtype=float)


def numeric_psi(
    reference: np.ndarray, current: np.ndarray, edges: np.ndarray | None = None
) -> float:
    """PSI of numeric samples on reference-decile bins (or ``edges``); NaN is a bin of its own."""
    ref_values, cur_values = reference[~np.isnan(reference)], current[~np.isnan(current)]
    if edges is None:
        inner = np.unique(np.quantile(ref_values, np.linspace(0, 1, BINS + 1)[1:-1]))
        edges = np.concatenate(([-np.inf], inner, [np.inf]))
    ref_counts = np.append(np.histogram(ref_values, edges)[0], np.isnan(reference).sum())
    cur_counts = np.append(np.histogram(cur_values, edges)[0], np.isnan(current).sum())
    return psi(_shares(ref_counts), _shares(cur_counts))


def categorical_psi(reference: pd.Series, current: pd.Series) -> float:
    """PSI over the reference's values; values never seen in training share one extra bin.

    Spellings are normalised as in training (``" MONTH TO MONTH"`` == ``"month_to_month"``).
    """
    ref = reference.map(normalise_label).fillna("<missing>").astype(str)
    cur = current.map(normalise_label).fillna("<missing>").astype(str)
    categories = sorted(set(ref))
    ref_counts = ref.value_counts().reindex(categories, fill_value=0).to_numpy()
    cur_known = cur.value_counts().reindex(categories, fill_value=0).to_numpy()
    ref_counts = np.append(ref_counts, 0)
    cur_counts = np.append(cur_known, len(cur) - cur_known.sum())
    return psi(_shares(ref_counts.astype(float)), _shares(cur_counts.astype(float)))


def ks_test(reference: np.ndarray, current: np.ndarray) -> tuple[float, float] | None:
    """Two-sample Kolmogorov-Smirnov statistic and asymptotic p-value; ``None`` below 2 values.

    The p-value uses the Kolmogorov distribution with Stephens' small-sample correction
    (accurate to a few percent for samples of 20 and more, which drift checks always exceed).
    """
    a, b = np.sort(reference[~np.isnan(reference)]), np.sort(current[~np.isnan(current)])
    if len(a) < 2 or len(b) < 2:  # noqa: PLR2004 - a distribution needs two points
        return None
    grid = np.concatenate((a, b))
    cdf_a = np.searchsorted(a, grid, side="right") / len(a)
    cdf_b = np.searchsorted(b, grid, side="right") / len(b)
    statistic = float(np.max(np.abs(cdf_a - cdf_b)))
    effective = math.sqrt(len(a) * len(b) / (len(a) + len(b)))
    lam = (effective + 0.12 + 0.11 / effective) * statistic
    terms = (2 * (-1) ** (k - 1) * math.exp(-2 * k * k * lam * lam) for k in range(1, 101))
    pvalue = min(1.0, max(0.0, sum(terms))) if lam > 0 else 1.0
    return statistic, float(pvalue)


def _column(name: str, reference: pd.Series, current: pd.Series) -> ColumnDrift:
    if pd.api.types.is_numeric_dtype(reference) and not pd.api.types.is_bool_dtype(reference):
        ref = to_number(reference).to_numpy(dtype=float)
        cur = to_number(current).to_numpy(dtype=float)
        return _measured(name, "numeric", numeric_psi(ref, cur), ks_test(ref, cur))
    return _measured(name, "categorical", categorical_psi(reference, current), None)


def _measured(
    name: str,
    kind: Literal["numeric", "categorical", "score"],
    psi_value: float,
    ks: tuple[float, float] | None,
) -> ColumnDrift:
    statistic, pvalue = ks if ks is not None else (None, None)
    return ColumnDrift(
        name=name, kind=kind, psi=psi_value, ks_statistic=statistic, ks_pvalue=pvalue, drifted=False
    )


def _score_drift(reference: np.ndarray, recent: list[dict[str, object]]) -> ColumnDrift:
    """Drift of the predicted probability: PSI on ten equal-width bins, and KS."""
    scores = np.array([_as_float(entry.get("score")) for entry in recent])
    edges = np.concatenate(([-np.inf], np.linspace(0.0, 1.0, BINS + 1)[1:-1], [np.inf]))
    return _measured(
        SCORE, "score", numeric_psi(reference, scores, edges), ks_test(reference, scores)
    )


def compute_drift(
    reference: pd.DataFrame,
    reference_score: np.ndarray | None,
    recent: list[dict[str, object]],
    thresholds: MonitoringSettings,
) -> DriftReport:
    """Compare logged predictions (``read_recent`` entries) with the training reference.

    A column drifts when its PSI is above ``drift_psi_threshold`` or its KS p-value is below
    ``drift_ks_pvalue`` divided by the number of KS tests run (Bonferroni): the configured value
    is the chance of a false alarm per run, not per column.
    """
    report = DriftReport(
        created_at=datetime.now(UTC),
        status="insufficient_data",
        reference_rows=len(reference),
        current_rows=len(recent),
        psi_threshold=thresholds.drift_psi_threshold,
        ks_pvalue_threshold=thresholds.drift_ks_pvalue,
    )
    if len(recent) < thresholds.drift_min_records or reference.empty:
        return report
    inputs = pd.DataFrame.from_records([entry.get("inputs") or {} for entry in recent])
    missing = pd.Series([None] * len(inputs))
    columns = [_column(name, reference[name], inputs.get(name, missing)) for name in reference]
    if reference_score is not None and len(reference_score):
        columns.append(_score_drift(reference_score.astype(float), recent))
    alpha = thresholds.drift_ks_pvalue / max(1, sum(c.ks_pvalue is not None for c in columns))
    for column in columns:
        column.drifted = column.psi > thresholds.drift_psi_threshold or (
            column.ks_pvalue is not None and column.ks_pvalue < alpha
        )
    drifted = [column.name for column in columns if column.drifted]
    versions = {str(entry["model_version"]) for entry in recent if entry.get("model_version")}
    return report.model_copy(
        update={
            "status": "drift" if drifted else "ok",
            "columns": columns,
            "drifted": drifted,
            "model_versions": sorted(versions),
            "ks_pvalue_threshold": alpha,
        }
    )


def _as_float(value: object) -> float:
    return float(value) if isinstance(value, int | float) else math.nan


def export_gauges(report: DriftReport) -> None:
    """Set the drift gauges from ``report`` (scraped from the process, or written as a textfile)."""
    psi_gauge = gauge("ml_drift_psi", "Population stability index per column", ["column"])
    pvalue_gauge = gauge("ml_drift_ks_pvalue", "KS test p-value per numeric column", ["column"])
    drifted_gauge = gauge("ml_drift_detected", "1 when the column drifted", ["column"])
    for column in report.columns:
        psi_gauge.labels(column.name).set(column.psi)
        drifted_gauge.labels(column.name).set(int(column.drifted))
        if column.ks_pvalue is not None:
            pvalue_gauge.labels(column.name).set(column.ks_pvalue)
    gauge("ml_drift_columns_drifted", "Columns (and score) drifted in the last drift run").set(
        len(report.drifted)
    )
    gauge("ml_drift_current_rows", "Logged predictions compared in the last drift run").set(
        report.current_rows
    )
    gauge("ml_drift_last_run_timestamp_seconds", "Unix time of the last drift run").set(
        report.created_at.timestamp()
    )


def alert_payload(report: DriftReport, report_path: Path) -> dict[str, object]:
    """JSON body of the alert; ``text`` makes it readable in Slack/Teams incoming webhooks."""
    names = ", ".join(report.drifted)
    return {
        "text": f"Data drift in {len(report.drifted)} column(s): {names} (report: {report_path})",
        "status": report.status,
        "drifted": report.drifted,
        "model_versions": report.model_versions,
        "current_rows": report.current_rows,
        "report": str(report_path),
    }


def send_alert(url: str, payload: dict[str, object], timeout: float = 10.0) -> int:
    """POST ``payload`` as JSON to ``url``; return the HTTP status (errors raise)."""
    if not url.startswith(("http://", "https://")):
        raise ValueError("alert_webhook_url must be an http(s) URL")
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        return int(response.status)


@task(retries=2, retry_delay_seconds=1)
def load_recent_task(limit: int) -> list[dict[str, object]]:
    """Newest ``limit`` entries of the prediction log."""
    return read_recent(limit)


@task
def load_reference_task(tag: str | None) -> tuple[pd.DataFrame, np.ndarray]:
    """Training reference rows and scores of the model ``tag`` (default: production)."""
    return load_reference(tag), reference_scores(tag)


@task(retries=2, retry_delay_seconds=1)
def write_report_task(report: DriftReport, directory: Path) -> Path:
    """Write the report (timestamped + ``latest.json``) and the gauges as ``drift.prom``."""
    directory.mkdir(parents=True, exist_ok=True)
    body = report.model_dump_json(indent=2)
    path = directory / f"drift-{report.created_at:%Y%m%dT%H%M%S}.json"
    path.write_text(body, encoding="utf-8")
    (directory / "latest.json").write_text(body, encoding="utf-8")
    export_gauges(report)
    write_textfile(directory / "drift.prom")
    return path


@task(retries=2, retry_delay_seconds=2)
def push_task(gateway: str) -> None:
    """Push the gauges to the Pushgateway, where Prometheus scrapes them."""
    push(gateway, job="ml-drift")


@task(retries=3, retry_delay_seconds=5)
def alert_task(url: str, payload: dict[str, object]) -> int:
    """Send the alert (retried: webhooks fail transiently)."""
    return send_alert(url, payload)


@flow(name="ml-drift")
def drift_flow(tag: str | None = None) -> DriftReport:
    """Compare recent predictions with the training reference; report, export, alert."""
    core = get_settings()
    settings = core.section("monitoring", MonitoringSettings)
    recent = load_recent_task(settings.drift_window)
    reference, scores = load_reference_task(tag)
    report = compute_drift(reference, scores, recent, settings)
    path = write_report_task(
        report, settings.resolve(settings.drift_report_dir, core.artifacts_dir)
    )
    if settings.pushgateway_url:
        push_task(settings.pushgateway_url)
    url = settings.alert_webhook_url.get_secret_value()
    if report.status == "drift" and url:
        alert_task(url, alert_payload(report, path))
    return report


def main(argv: list[str] | None = None) -> None:
    """Run the drift check once, or ``--serve`` it on a cron schedule (a Prefect deployment)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--tag", default=None, help="model tag (default: production)")
    parser.add_argument("--serve", action="store_true", help="serve on a schedule (blocks)")
    parser.add_argument("--cron", default="0 * * * *", help="schedule of --serve (hourly)")
    args = parser.parse_args(argv)
    if args.serve:
        drift_flow.serve(name="ml-drift", cron=args.cron, parameters={"tag": args.tag})
        return
    report = drift_flow(args.tag)
    print(f"drift: {report.status}; drifted: {', '.join(report.drifted) or 'none'}")


if __name__ == "__main__":
    main()
