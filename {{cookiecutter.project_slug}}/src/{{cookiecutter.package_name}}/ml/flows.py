"""The Prefect flows: training (``ml-train``) and batch scoring (``ml-batch-predict``).

A flow is a short typed function over small tasks; the logic lives in plain functions of
:mod:`.ingest`, :mod:`.train`, :mod:`.tuning`, :mod:`.evaluation` and :mod:`.publish`. Only the
I/O tasks retry. With no Prefect API configured, a run starts a temporary local Prefect server
(about 15 s); point ``PREFECT_API_URL`` at a server to keep history. :func:`run_training` picks
the task runner from settings (threads, or Dask: see :mod:`.scale`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NONE

from ..core.settings import get_settings
from . import evaluation, ingest, publish, registry, train, tuning
from .features import baseline_model, xgboost_model, xgboost_params
from .inference import Predictor
from .settings import MLSettings

load_data = task(name="load_data", retries=2, retry_delay_seconds=1, cache_policy=NONE)(
    ingest.load_table
)
load_query = task(name="load_query", retries=2, retry_delay_seconds=1, cache_policy=NONE)(
    ingest.load_query
)
validate_data = task(name="validate_data", cache_policy=NONE)(train.prepare)
split_data = task(name="split_data", cache_policy=NONE)(train.split_data)
tune_model = task(name="tune_xgboost", cache_policy=NONE)(tuning.tune_xgboost)
cv_baseline = task(name="cv_baseline", cache_policy=NONE)(tuning.cross_validate_baseline)
fit_model = task(name="fit_model", cache_policy=NONE)(train.fit_pipeline)
evaluate_model = task(name="evaluate_model", cache_policy=NONE)(evaluation.evaluate)
write_model = task(name="write_model", retries=2, retry_delay_seconds=1, cache_policy=NONE)(
    train.write_model_files
)
register_model = task(name="register_model", retries=2, retry_delay_seconds=1, cache_policy=NONE)(
    registry.register
)
track_run = task(name="track_run", retries=2, retry_delay_seconds=1, cache_policy=NONE)(
    publish.track
)


@task(cache_policy=NONE)
def fit_distributed(
    split: train.Split, roles: Any, params: dict[str, Any], seed: int, q: float
) -> Any:
    """Fit the final XGBoost model with ``xgboost.dask`` on the flow's Dask cluster."""
    from prefect_dask.utils import get_dask_client  # noqa: PLC0415

    from .scale import fit_xgboost_dask  # noqa: PLC0415

    with get_dask_client() as client:
        return fit_xgboost_dask(
            client,
            split.x_train,
            split.y_train,
            roles,
            params=params,
            seed=seed,
            winsorize_quantile=q,
        )


def _source(settings: MLSettings, data_dir: Path, data_path: Path | None) -> Path | None:
    """The data file to read, or ``None`` when the SQL query is the source."""
    if data_path is not None:
        return data_path
    return None if settings.sql_query else settings.resolve_data_path(data_dir)


@flow(name="ml-train", log_prints=False)
def train_flow(
    data_path: Path | None = None,
    artifacts_dir: Path | None = None,
    tuning_trials: int | None = None,
    tuning_timeout_s: float | None = None,
) -> train.TrainResult:
    """Validate, tune, train and evaluate; register the model; promote it if it beats production.

    Args:
        data_path: training CSV/Parquet; default: ``ml.sql_query`` if set, else ``ml.data_path``.
        artifacts_dir: output root; default: the core ``artifacts_dir`` setting.
        tuning_trials: Optuna trial budget; default: the ``ml.tuning_trials`` setting.
        tuning_timeout_s: Optuna time budget; default: the ``ml.tuning_timeout_s`` setting.
    """
    core = get_settings()
    budget = {"tuning_trials": tuning_trials, "tuning_timeout_s": tuning_timeout_s}
    settings = core.section("ml", MLSettings).model_copy(
        update={key: value for key, value in budget.items() if value is not None}
    )
    artifacts = artifacts_dir or core.artifacts_dir
    source = _source(settings, core.data_dir, data_path)
    if source is None:
        raw = load_query(settings.sql_query, settings.sql_url.get_secret_value())
        schema_path = settings.resolve_schema_path(core.data_dir, artifacts)
    else:
        raw = load_data(source)
        schema_path = settings.resolve_schema_path(core.data_dir, artifacts)
        if data_path is not None and str(settings.schema_path) in {"", "."}:
            schema_path = data_path.with_suffix(".schema.json")
    digest = ingest.frame_hash(raw)
    version = train.model_version(digest)
    prepared = validate_data(
        raw,
        settings.target,
        schema_path,
        positive_label=settings.positive_label,
        id_columns=settings.id_columns,
        max_quarantine_fraction=settings.max_quarantine_fraction,
    )
    roles, seed, q = prepared.contract.roles, settings.random_seed, settings.winsorize_quantile
    split = split_data(prepared.frame, roles, settings.target, settings.test_size, seed)
    tuned_future = tune_model.submit(
        split.x_train,
        split.y_train,
        roles,
        defaults=xgboost_params(settings),
        trials=settings.tuning_trials,
        timeout_s=settings.tuning_timeout_s,
        folds=settings.cv_folds,
        seed=seed,
        winsorize_quantile=q,
    )
    base_future = cv_baseline.submit(
        split.x_train,
        split.y_train,
        roles,
        folds=settings.cv_folds,
        seed=seed,
        winsorize_quantile=q,
    )
    tuned, base_cv = tuned_future.result(), base_future.result()
    if settings.task_runner == "dask":
        model = fit_distributed.submit(split, roles, tuned.params, seed, q).result()
    else:
        model = fit_model(split, roles, xgboost_model(tuned.params, seed), q)
    baseline = fit_model(split, roles, baseline_model(seed), q)
    threshold = evaluation.best_threshold(split.y_train, tuned.cv.oof)
    base_threshold = evaluation.best_threshold(split.y_train, base_cv.oof)
    model_eval = evaluate_model(model, split.x_test, split.y_test, threshold, seed=seed)
    base_eval = evaluate_model(
        baseline, split.x_test, split.y_test, base_threshold, importance_repeats=0
    )
    root = registry.home(settings.bentoml_home)
    decision = publish.challenge(model_eval.metrics.roc_auc, settings, root, split)
    run_dir = artifacts / train.ARTIFACT_SUBDIR / "runs" / version
    quarantine_path = run_dir / "quarantine.csv"
    result = train.TrainResult(
        version=version,
        model_tag=f"{settings.model_name}:{version}",
        promoted=decision.promote,
        decision=decision.reason,
        metrics=model_eval.metrics,
        baseline_metrics=base_eval.metrics,
        cv_roc_auc=tuned.cv.mean,
        baseline_cv_roc_auc=base_cv.mean,
        params=tuned.params,
        tuning_trials=tuned.trials,
        tuning_pruned=tuned.pruned,
        run_dir=run_dir,
        report_path=run_dir / "report.md",
        quarantine_path=quarantine_path,
        schema_path=schema_path,
        schema_written=prepared.schema_written,
        data_hash=digest,
        rows_total=prepared.rows_total,
        rows_duplicates=prepared.duplicates,
        rows_quarantined=len(prepared.quarantined),
        rows_train=len(split.x_train),
        rows_test=len(split.x_test),
    )
    files = write_model(run_dir, model, prepared.contract, split.x_train, seed)
    prepared.quarantined.to_csv(quarantine_path, index=False)
    report = publish.write_report(
        run_dir, result, model_eval, base_eval, split=split, pipeline=model
    )
    create_markdown_artifact(report.text, key="ml-train-report", description="ml training run")
    commit = train.git_commit()
    metadata = {
        "threshold": threshold,
        "classes": prepared.contract.classes,
        "target": settings.target,
        "features": roles.features,
        "params": tuned.params,
        "metrics": model_eval.metrics.model_dump(),
        "trained_at": version,
    }
    register_model(
        settings.model_name,
        version,
        {
            **files,
            "report.md": report.report,
            "metrics.json": report.metrics,
            "evaluation.png": report.plot,
        },
        labels=publish.labels_for(result, prepared.contract.version, commit),
        metadata=metadata,
        root=root,
    )
    registry.record_decision(settings.model_name, root, result.model_tag, decision)
    if settings.tracking_enabled:
        result.mlflow_run_id = track_run(settings, artifacts, result, report, commit)
    get_run_logger().info(
        "model %s: roc_auc=%.3f (baseline %.3f); %s",
        result.model_tag,
        result.metrics.roc_auc,
        result.baseline_metrics.roc_auc,
        decision.reason,
    )
    return result


def score_frame(predictor: Predictor, frame: pd.DataFrame) -> pd.DataFrame:
    """Append ``probability``, ``label`` and ``model_version`` to ``frame``."""
    return frame.join(predictor.predict_frame(frame))


score = task(name="score", cache_policy=NONE)(score_frame)


@flow(name="ml-batch-predict", log_prints=False)
def predict_flow(input_path: Path, output_path: Path | None = None, tag: str | None = None) -> Path:
    """Score a CSV/Parquet file with the production model (or ``tag``); write a CSV.

    The output holds the input columns plus ``probability``, ``label`` and ``model_version``;
    default path: ``<input stem>.predictions.csv`` next to the input.
    """
    frame = load_data(input_path)
    scored: pd.DataFrame = score(Predictor.load(tag), frame)
    out = output_path or input_path.with_name(f"{input_path.stem}.predictions.csv")
    out.parent.mkdir(parents=True, exist_ok=True)
    scored.to_csv(out, index=False)
    get_run_logger().info("scored %d rows into %s", len(scored), out)
    return out


def run_training(
    data_path: Path | None = None,
    artifacts_dir: Path | None = None,
    tuning_trials: int | None = None,
    tuning_timeout_s: float | None = None,
) -> train.TrainResult:
    """Run :func:`train_flow` with the task runner the settings ask for."""
    settings = get_settings().section("ml", MLSettings)
    flow_fn = train_flow
    if settings.task_runner == "dask":
        from .scale import task_runner  # noqa: PLC0415

        dask_runner: Any = task_runner(settings)
        flow_fn = train_flow.with_options(task_runner=dask_runner)
    return flow_fn(
        data_path=data_path,
        artifacts_dir=artifacts_dir,
        tuning_trials=tuning_trials,
        tuning_timeout_s=tuning_timeout_s,
    )
