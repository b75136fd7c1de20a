"""Training steps as plain functions: version, split, fit, evaluate, save.

:mod:`.flows` wires them into a Prefect flow; tests call them directly.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import joblib
import pandas as pd
from pydantic import BaseModel, Field
from sklearn.metrics import average_precision_score, f1_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

from .data import ColumnRoles
from .features import build_pipeline

ARTIFACT_SUBDIR = "ml"
DECISION_THRESHOLD = 0.5


class Metrics(BaseModel):
    """Holdout metrics of one classifier."""

    roc_auc: float = Field(description="Area under the ROC curve.")
    pr_auc: float = Field(description="Average precision (area under the precision-recall curve).")
    f1: float = Field(description="F1 score at a 0.5 probability threshold.")


class TrainResult(BaseModel):
    """What a training run produced: metrics, artifact paths and row counts."""

    version: str
    metrics: Metrics
    baseline_metrics: Metrics
    model_path: Path
    metrics_path: Path
    quarantine_path: Path
    rows_total: int
    rows_quarantined: int
    rows_train: int
    rows_test: int

    @property
    def beats_baseline(self) -> bool:
        """Whether the main model's ROC AUC is at least the baseline's."""
        return self.metrics.roc_auc >= self.baseline_metrics.roc_auc


@dataclass(frozen=True)
class Split:
    """Features and labels of the training and holdout parts."""

    x_train: pd.DataFrame
    x_test: pd.DataFrame
    y_train: pd.Series
    y_test: pd.Series


@dataclass(frozen=True)
class ArtifactPaths:
    """Where one version's files are written."""

    model: Path
    metrics: Path
    quarantine: Path

    @classmethod
    def for_version(cls, artifacts_dir: Path, version: str) -> ArtifactPaths:
        """``<artifacts_dir>/ml/{model,metrics,quarantine}-<version>.*``."""
        folder = artifacts_dir / ARTIFACT_SUBDIR
        return cls(
            model=folder / f"model-{version}.joblib",
            metrics=folder / f"metrics-{version}.json",
            quarantine=folder / f"quarantine-{version}.csv",
        )


def data_hash(path: Path, length: int = 8) -> str:
    """Short SHA-256 of the file's bytes: the same data always gives the same hash."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:length]


def model_version(digest: str, now: datetime | None = None) -> str:
    """``20250131T120000Z-<hash>``: sortable by time, traceable to the data."""
    stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{digest}"


def split_data(
    frame: pd.DataFrame, roles: ColumnRoles, target: str, test_size: float, seed: int
) -> Split:
    """Stratified train/holdout split of the feature columns and the target."""
    x_train, x_test, y_train, y_test = train_test_split(
        frame[roles.features],
        frame[target],
        test_size=test_size,
        random_state=seed,
        stratify=frame[target],
    )
    return Split(x_train=x_train, x_test=x_test, y_train=y_train, y_test=y_test)


def fit_pipeline(split: Split, roles: ColumnRoles, estimator: Any) -> Pipeline:
    """Fit preprocessing + ``estimator`` on the training part only."""
    pipeline = build_pipeline(roles, estimator)
    pipeline.fit(split.x_train, split.y_train)
    return pipeline


def evaluate(pipeline: Pipeline, x: pd.DataFrame, y: pd.Series) -> Metrics:
    """ROC AUC, PR AUC and F1 of ``pipeline`` on ``x``/``y``."""
    scores = pipeline.predict_proba(x)[:, 1]
    return Metrics(
        roc_auc=float(roc_auc_score(y, scores)),
        pr_auc=float(average_precision_score(y, scores)),
        f1=float(f1_score(y, (scores >= DECISION_THRESHOLD).astype(int))),
    )


def save_artifacts(
    paths: ArtifactPaths,
    pipeline: Pipeline,
    quarantined: pd.DataFrame,
    report: dict[str, Any],
) -> ArtifactPaths:
    """Write the fitted pipeline (joblib), the run report (JSON) and the quarantined rows (CSV)."""
    paths.model.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(pipeline, paths.model)
    quarantined.to_csv(paths.quarantine, index=False)
    paths.metrics.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    return paths


def run_report(result: TrainResult, data_path: Path, roles: ColumnRoles) -> dict[str, Any]:
    """The JSON written next to the model: the result plus the data source and input columns."""
    return {
        **result.model_dump(mode="json"),
        "data_path": str(data_path),
        "columns": {"numeric": roles.numeric, "categorical": roles.categorical, "ids": roles.ids},
    }


def load_model(path: Path) -> Pipeline:
    """Load a pipeline written by :func:`save_artifacts` (only open files you trust)."""
    model: Pipeline = joblib.load(path)
    return model


def latest_model_path(artifacts_dir: Path) -> Path:
    """The newest ``model-<version>.joblib`` under ``<artifacts_dir>/ml``.

    Raises:
        FileNotFoundError: no model has been trained yet.
    """
    models = sorted((artifacts_dir / ARTIFACT_SUBDIR).glob("model-*.joblib"))
    if not models:
        raise FileNotFoundError(f"no trained model under {artifacts_dir / ARTIFACT_SUBDIR}")
    return models[-1]
