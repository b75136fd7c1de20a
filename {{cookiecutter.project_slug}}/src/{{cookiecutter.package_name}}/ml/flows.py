"""The Prefect training flow: a short typed function over small tasks.

Only the loading and saving tasks retry (they do I/O); the logic lives in :mod:`.data`,
:mod:`.features` and :mod:`.train`. With no Prefect API configured, running the flow starts a
temporary local Prefect server (about 15 s); point ``PREFECT_API_URL`` at a server to keep history.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NONE
from sklearn.pipeline import Pipeline

from ..core.settings import get_settings
from . import data, train
from .features import baseline_model, xgboost_model
from .settings import MLSettings


@task(retries=2, retry_delay_seconds=1, cache_policy=NONE)
def load_data(path: Path) -> pd.DataFrame:
    """Read the training CSV."""
    return data.load_table(path)


@task(cache_policy=NONE)
def validate_data(
    frame: pd.DataFrame, settings: MLSettings
) -> tuple[pd.DataFrame, pd.DataFrame, data.ColumnRoles]:
    """Quarantine unusable rows, enforce the quarantine limit, infer column roles."""
    roles = data.infer_roles(frame, settings.target, settings.id_columns)
    clean, quarantined = data.quarantine(frame, settings.target, roles.features)
    data.check_quarantine_fraction(len(frame), len(quarantined), settings.max_quarantine_fraction)
    return clean, quarantined, roles


@task(cache_policy=NONE)
def split_data(clean: pd.DataFrame, roles: data.ColumnRoles, settings: MLSettings) -> train.Split:
    """Stratified train/holdout split."""
    return train.split_data(clean, roles, settings.target, settings.test_size, settings.random_seed)


@task(cache_policy=NONE)
def fit_model(split: train.Split, roles: data.ColumnRoles, estimator: Any) -> Pipeline:
    """Fit preprocessing + ``estimator`` on the training split."""
    return train.fit_pipeline(split, roles, estimator)


@task(cache_policy=NONE)
def evaluate_model(pipeline: Pipeline, split: train.Split) -> train.Metrics:
    """Holdout metrics."""
    return train.evaluate(pipeline, split.x_test, split.y_test)


@task(retries=2, retry_delay_seconds=1, cache_policy=NONE)
def save_model(
    paths: train.ArtifactPaths,
    pipeline: Pipeline,
    quarantined: pd.DataFrame,
    report: dict[str, Any],
) -> train.ArtifactPaths:
    """Write the model, the report and the quarantined rows."""
    return train.save_artifacts(paths, pipeline, quarantined, report)


@flow(name="ml-train", log_prints=False)
def train_flow(
    data_path: Path | None = None, artifacts_dir: Path | None = None
) -> train.TrainResult:
    """Train the XGBoost pipeline and a logistic-regression baseline; save the XGBoost one.

    Args:
        data_path: training CSV; default: the ``ml.data_path`` setting (relative to ``data_dir``).
        artifacts_dir: output root; default: the core ``artifacts_dir`` setting.
    """
    core = get_settings()
    settings = core.section("ml", MLSettings)
    source = data_path or settings.resolve_data_path(core.data_dir)
    version = train.model_version(train.data_hash(source))
    frame: pd.DataFrame = load_data(source)
    clean, quarantined, roles = validate_data(frame, settings)
    split = split_data(clean, roles, settings)
    model = fit_model(split, roles, xgboost_model(settings))
    baseline = fit_model(split, roles, baseline_model(settings))
    metrics = evaluate_model(model, split)
    baseline_metrics = evaluate_model(baseline, split)
    paths = train.ArtifactPaths.for_version(artifacts_dir or core.artifacts_dir, version)
    result = train.TrainResult(
        version=version,
        metrics=metrics,
        baseline_metrics=baseline_metrics,
        model_path=paths.model,
        metrics_path=paths.metrics,
        quarantine_path=paths.quarantine,
        rows_total=len(frame),
        rows_quarantined=len(quarantined),
        rows_train=len(split.x_train),
        rows_test=len(split.x_test),
    )
    save_model(paths, model, quarantined, train.run_report(result, source, roles))
    get_run_logger().info(
        "model %s: roc_auc=%.3f (baseline %.3f)",
        version,
        metrics.roc_auc,
        baseline_metrics.roc_auc,
    )
    return result
