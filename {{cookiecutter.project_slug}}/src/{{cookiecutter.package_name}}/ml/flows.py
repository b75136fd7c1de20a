"""The Prefect training flow: a short typed function over small tasks.

Only the loading and saving tasks retry (they do I/O); the logic lives in :mod:`.data`,
:mod:`.features` and :mod:`.train`. With no Prefect API configured, running the flow starts a
temporary local Prefect server (about 15 s); point ``PREFECT_API_URL`` at a server to keep history.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NONE

from ..core.settings import get_settings
from . import data, train
from .features import baseline_model, xgboost_model
from .settings import MLSettings

# The plain functions of .data and .train become tasks as they are; only the I/O ones retry.
load_data = task(name="load_data", retries=2, retry_delay_seconds=1, cache_policy=NONE)(
    data.load_table
)
split_data = task(name="split_data", cache_policy=NONE)(train.split_data)
fit_model = task(name="fit_model", cache_policy=NONE)(train.fit_pipeline)
evaluate_model = task(name="evaluate_model", cache_policy=NONE)(train.evaluate)
save_model = task(name="save_model", retries=2, retry_delay_seconds=1, cache_policy=NONE)(
    train.save_artifacts
)


@task(cache_policy=NONE)
def validate_data(
    frame: pd.DataFrame, settings: MLSettings
) -> tuple[pd.DataFrame, pd.DataFrame, data.ColumnRoles]:
    """Quarantine unusable rows, enforce the quarantine limit, infer column roles."""
    roles = data.infer_roles(frame, settings.target, settings.id_columns)
    clean, quarantined = data.quarantine(frame, settings.target, roles.features)
    data.check_quarantine_fraction(len(frame), len(quarantined), settings.max_quarantine_fraction)
    return clean, quarantined, roles


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
    frame: pd.DataFrame = load_data(source)
    version = train.model_version(train.data_hash(source))
    clean, quarantined, roles = validate_data(frame, settings)
    split = split_data(clean, roles, settings.target, settings.test_size, settings.random_seed)
    model = fit_model(split, roles, xgboost_model(settings))
    baseline = fit_model(split, roles, baseline_model(settings))
    metrics = evaluate_model(model, split.x_test, split.y_test)
    baseline_metrics = evaluate_model(baseline, split.x_test, split.y_test)
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
