"""Settings of monitoring: the ``monitoring`` section (``<PREFIX>_MONITORING__<FIELD>``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, SecretStr


class MonitoringSettings(BaseModel):
    """Tracing export, the prediction log, and drift thresholds and alerting."""

    otlp_endpoint: str = Field(
        default="",
        description="OTLP/HTTP collector base URL (http://host:4318); empty: tracing off.",
    )
    otlp_headers: SecretStr = Field(
        default=SecretStr(""),
        description="Extra OTLP headers as k=v,k2=v2 (e.g. an auth token); empty: none.",
    )
    service_name: str = Field(
        default="", description="service.name of exported spans; empty: the package name."
    )
    trace_sample_ratio: float = Field(
        default=1.0, ge=0.0, le=1.0, description="Fraction of traces kept (parent-based)."
    )
    prediction_log_enabled: bool = Field(
        default=True, description="Append every prediction (inputs, score, model) to JSONL."
    )
    prediction_log_dir: Path = Field(
        default=Path("predictions"),
        description="Prediction log folder; a relative path is read from the core artifacts_dir.",
    )
    drift_report_dir: Path = Field(
        default=Path("drift"),
        description="Drift reports folder; a relative path is read from the core artifacts_dir.",
    )
    drift_window: int = Field(
        default=1000, ge=1, description="Most recent logged predictions compared per drift run."
    )
    drift_min_records: int = Field(
        default=50, ge=1, description="Fewer recent records than this: drift is not computed."
    )
    drift_psi_threshold: float = Field(
        default=0.2, gt=0.0, description="PSI above this marks a feature (or the score) drifted."
    )
    drift_ks_pvalue: float = Field(
        default=0.01,
        gt=0.0,
        lt=1.0,
        description="Chance of a false KS drift alarm per run (split over the columns tested).",
    )
    pushgateway_url: str = Field(
        default="",
        description="Prometheus Pushgateway (http://host:9091) batch jobs push to; empty: none.",
    )
    alert_webhook_url: SecretStr = Field(
        default=SecretStr(""),
        description="URL that receives a JSON POST when drift is found; empty: no alert sent.",
    )

    def resolve(self, path: Path, artifacts_dir: Path) -> Path:
        """Return ``path``, read relative to ``artifacts_dir`` unless it is absolute."""
        return path if path.is_absolute() else artifacts_dir / path


SETTINGS = MonitoringSettings
