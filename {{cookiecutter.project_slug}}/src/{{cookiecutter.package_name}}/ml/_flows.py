"""The Prefect flows: training (``ml-train``) and batch scoring (``ml-batch-predict``).

A flow is a short typed function over small tasks; the logic lives in plain functions of
:mod:`._ingest`, :mod:`._train`, :mod:`._tuning`, :mod:`._evaluation` and :mod:`._publish`. Only the
I/O tasks retry. With no Prefect API configured, a run starts a temporary local Prefect server
(about 15 s); point ``PREFECT_API_URL`` at a server to keep history. :func:`run_training` picks
the task runner from settings (threads, or Dask: see :mod:`._scale`). :func:`train_flow` reads as
its named steps; what one step hands the next is in :mod:`._run`. The main model is XGBoost tuned
by Optuna, or your own classifier named by ``ML__ESTIMATOR`` (:mod:`._estimator`).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pandas as pd
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NONE

from ..core.settings import get_settings
from . import _batch as batch
from . import _estimator
from . import _evaluation as evaluation
from . import _ingest as ingest
from . import _publish as publish
from . import _registry as registry
from . import _schema as schema
from . import _train as train
from . import _tuning as tuning
from ._data import ColumnRoles, check_class_sizes
from ._errors import MLError
from ._features import baseline_model, xgboost_model, xgboost_params
from ._run import (
    Candidates,
    Scores,
    TrainingData,
    build_result,
    model_metadata,
    select_candidate,
    shipped_pipeline,
)
from .settings import MLSettings


def retry_unless_ours(_task: Any, _task_run: Any, state: Any) -> bool:
    """Retry I/O failures, never the pillar's own errors: a missing file stays missing."""
    return not isinstance(state.result(raise_on_failure=False), MLError)


def _io_task(name: str) -> Any:
    """A reading task: two retries of I/O failures, none of the pillar's own errors."""
    return task(
        name=name,
        retries=2,
        retry_delay_seconds=1,
        retry_condition_fn=retry_unless_ours,
        cache_policy=NONE,
    )


load_data = _io_task("load_data")(ingest.load_table)
load_query = _io_task("load_query")(ingest.load_query)
validate_data = task(name="validate_data", cache_policy=NONE)(train.prepare)
split_data = task(name="split_data", cache_policy=NONE)(train.split_data)
tune_model = task(name="tune_xgboost", cache_policy=NONE)(tuning.tune_xgboost)
cv_baseline = task(name="cv_baseline", cache_policy=NONE)(tuning.cross_validate_baseline)
cv_estimator = task(name="cv_estimator", cache_policy=NONE)(_estimator.cross_validate_estimator)
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

    from ._scale import fit_xgboost_dask  # noqa: PLC0415

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


def run_settings(tuning_trials: int | None, tuning_timeout_s: float | None) -> MLSettings:
    """The ``ml`` settings with this run's tuning budget applied (``None`` keeps the setting)."""
    budget = {"tuning_trials": tuning_trials, "tuning_timeout_s": tuning_timeout_s}
    return (
        get_settings()
        .section("ml", MLSettings)
        .model_copy(update={key: value for key, value in budget.items() if value is not None})
    )


def load_rows(
    settings: MLSettings, data_dir: Path, artifacts: Path, data_path: Path | None
) -> tuple[pd.DataFrame, Path]:
    """Read the raw rows (a file, else the SQL query) and pick the schema file to enforce."""
    source = _source(settings, data_dir, data_path)
    if source is None:
        raw = load_query(settings.sql_query, settings.sql_url.get_secret_value())
    else:
        raw = load_data(source, settings.read_options())
    return raw, settings.resolve_schema_path(data_dir, artifacts, data_path)


def quarantine_file(
    settings: MLSettings, data_dir: Path, artifacts: Path, data_path: Path | None
) -> Path:
    """``<artifacts>/ml/quarantine/<source key>.csv``: the latest rejected rows of a source."""
    key = ingest.source_key(_source(settings, data_dir, data_path), settings.sql_query)
    return artifacts / train.ARTIFACT_SUBDIR / "quarantine" / f"{key}.csv"


def prepare_data(
    settings: MLSettings, data_dir: Path, artifacts: Path, data_path: Path | None
) -> TrainingData:
    """Load, version, validate (quarantining bad rows) and split the training rows."""
    raw, schema_path = load_rows(settings, data_dir, artifacts, data_path)
    digest = ingest.frame_hash(raw)
    version = train.model_version(digest)
    prepared = validate_data(
        raw,
        settings.target,
        schema_path,
        positive_label=settings.positive_label,
        id_columns=settings.id_columns,
        max_quarantine_fraction=settings.max_quarantine_fraction,
        quarantine_path=quarantine_file(settings, data_dir, artifacts, data_path),
        leakage_check=settings.leakage_check,
    )
    # Quarantined rows may have left a class smaller than the source check saw (or none of it).
    counts = prepared.frame[settings.target].value_counts().reindex([0.0, 1.0], fill_value=0)
    check_class_sizes(counts, settings.target, settings.test_size, settings.cv_folds)
    split = split_data(
        prepared.frame,
        prepared.contract.roles,
        settings.target,
        settings.test_size,
        settings.random_seed,
    )
    return TrainingData(version, digest, schema_path, prepared, split)


def _main_cv(split: train.Split, roles: ColumnRoles, settings: MLSettings) -> Any:
    """Submit the main model's CV: Optuna over XGBoost, or your ``estimator`` as it comes."""
    seed, q, folds = settings.random_seed, settings.winsorize_quantile, settings.cv_folds
    if settings.estimator:
        return cv_estimator.submit(
            split.x_train,
            split.y_train,
            roles,
            path=settings.estimator,
            folds=folds,
            seed=seed,
            winsorize_quantile=q,
        )
    return tune_model.submit(
        split.x_train,
        split.y_train,
        roles,
        defaults=xgboost_params(settings),
        trials=settings.tuning_trials,
        timeout_s=settings.tuning_timeout_s,
        folds=folds,
        seed=seed,
        winsorize_quantile=q,
    )


def _fit_main(
    split: train.Split, roles: ColumnRoles, params: dict[str, Any], settings: MLSettings
) -> Any:
    """Fit the main model on the training part (XGBoost on the Dask cluster when asked)."""
    seed, q = settings.random_seed, settings.winsorize_quantile
    if settings.estimator:
        estimator = _estimator.estimator_factory(settings.estimator, seed)()
        return fit_model(split, roles, estimator, q)
    if settings.task_runner == "dask":
        return fit_distributed.submit(split, roles, params, seed, q).result()
    return fit_model(split, roles, xgboost_model(params, seed), q)


def fit_candidates(split: train.Split, roles: ColumnRoles, settings: MLSettings) -> Candidates:
    """Cross-validate the main model (tuning XGBoost) and the baseline side by side; fit both."""
    seed, q, folds = settings.random_seed, settings.winsorize_quantile, settings.cv_folds
    main_future = _main_cv(split, roles, settings)
    base_future = cv_baseline.submit(
        split.x_train, split.y_train, roles, folds=folds, seed=seed, winsorize_quantile=q
    )
    tuned, base_cv = main_future.result(), base_future.result()
    model = _fit_main(split, roles, tuned.params, settings)
    baseline = fit_model(split, roles, baseline_model(seed), q)
    return Candidates(tuned, base_cv, model, baseline)


def score_candidates(candidates: Candidates, split: train.Split, seed: int) -> Scores:
    """Evaluate both on the holdout, each at the F1-best threshold of its out-of-fold scores."""
    threshold = evaluation.best_threshold(split.y_train, candidates.tuned.cv.oof)
    base_threshold = evaluation.best_threshold(split.y_train, candidates.baseline_cv.oof)
    model_eval = evaluate_model(candidates.model, split.x_test, split.y_test, threshold, seed=seed)
    base_eval = evaluate_model(
        candidates.baseline, split.x_test, split.y_test, base_threshold, importance_repeats=0
    )
    return Scores(model_eval, base_eval, threshold, base_threshold)


def write_run(
    result: train.TrainResult,
    data: TrainingData,
    candidates: Candidates,
    scores: Scores,
    seed: int,
) -> tuple[dict[str, Path], publish.ReportFiles]:
    """Write the run folder and the Prefect report artifact; return the files the store keeps."""
    prepared = data.prepared
    shipped = shipped_pipeline(result, candidates)
    files = write_model(result.run_dir, shipped, prepared.contract, data.split.x_train, seed)
    prepared.quarantined.to_csv(result.quarantine_path, index=False)
    report = publish.write_report(
        result.run_dir,
        result,
        scores.model,
        scores.baseline,
        split=data.split,
        pipeline=shipped,
    )
    create_markdown_artifact(report.text, key="ml-train-report", description="ml training run")
    stored = {
        **files,
        "report.md": report.report,
        "metrics.json": report.metrics,
        "evaluation.png": report.plot,
    }
    return stored, report


@flow(name="ml-train", log_prints=False)
def train_flow(
    data_path: Path | None = None,
    artifacts_dir: Path | None = None,
    tuning_trials: int | None = None,
    tuning_timeout_s: float | None = None,
) -> train.TrainResult:
    """Validate, tune, train and evaluate; register the winner; promote it if it beats production.

    The candidate registered is the one with the better holdout ROC AUC: the tuned model, or the
    logistic baseline when it scores higher (the report says which, and by how much). Nothing
    lasting is written before every step succeeded: the run folder is removed on failure, and the
    inferred schema, the model version and the alias are written last.

    Args:
        data_path: training CSV/Parquet; default: ``ml.sql_query`` if set, else ``ml.data_path``.
        artifacts_dir: output root; default: the core ``artifacts_dir`` setting.
        tuning_trials: Optuna trial budget; default: the ``ml.tuning_trials`` setting.
        tuning_timeout_s: Optuna safety cap; default: the ``ml.tuning_timeout_s`` setting.
    """
    core, settings = get_settings(), run_settings(tuning_trials, tuning_timeout_s)
    artifacts = artifacts_dir or core.artifacts_dir
    data = prepare_data(settings, core.data_dir, artifacts, data_path)
    contract = data.prepared.contract
    candidates = fit_candidates(data.split, contract.roles, settings)
    scores = score_candidates(candidates, data.split, settings.random_seed)
    root = registry.home(settings.bentoml_home, artifacts)
    winner = select_candidate(candidates, scores)
    decision = publish.challenge(winner.roc_auc, settings, root, data.split, contract)
    run_dir = artifacts / train.ARTIFACT_SUBDIR / "runs" / data.version
    result = build_result(
        settings,
        run_dir,
        data=data,
        candidates=candidates,
        scores=scores,
        decision=decision,
        winner=winner,
    )
    try:
        publish_run(result, data, candidates, scores, settings, artifacts, root, decision)
    except BaseException:
        shutil.rmtree(run_dir, ignore_errors=True)
        raise
    logger = get_run_logger()
    if result.tuning_cut_short:
        logger.warning(
            "tuning cut short by the safety cap: %d of %d trials",
            result.tuning_trials,
            result.tuning_requested,
        )
    logger.info("model %s: %s; %s", result.model_tag, result.selection, decision.reason)
    return result


def publish_run(  # noqa: PLR0917  (the run's parts, named at the one call)
    result: train.TrainResult,
    data: TrainingData,
    candidates: Candidates,
    scores: Scores,
    settings: MLSettings,
    artifacts: Path,
    root: Path,
    decision: registry.Decision,
) -> None:
    """Write the run folder, track it, register the model, save an inferred schema, move the alias.

    In that order: the files that last (store entry, schema, alias) are written only after the
    run folder and tracking succeeded, and ``metrics.json`` carries the MLflow run id.
    """
    stored, report = write_run(result, data, candidates, scores, settings.random_seed)
    commit = train.git_commit()
    if settings.tracking_enabled:
        result.mlflow_run_id = track_run(settings, artifacts, result, report, commit)
        publish.write_metrics(report.metrics, result, scores.model, scores.baseline)
    register_model(
        settings.model_name,
        data.version,
        stored,
        labels=publish.labels_for(result, data.prepared.contract.version, commit),
        metadata=model_metadata(settings, data, candidates, scores, result),
        root=root,
    )
    if data.prepared.schema_written:
        schema.save(data.prepared.contract, data.schema_path)
    registry.record_decision(settings.model_name, root, result.model_tag, decision)


score = task(name="score_file", cache_policy=NONE)(batch.score_file)


@flow(name="ml-batch-predict", log_prints=False)
def predict_flow(input_path: Path, output_path: Path | None = None, tag: str | None = None) -> Path:
    """Score a CSV/Parquet file with the production model (or ``tag``); write a CSV.

    The deployment form of ``ml predict`` (which calls :func:`._batch.score_file` directly).
    """
    out, rows = score(input_path, output_path, tag)
    get_run_logger().info("scored %d rows into %s", rows, out)
    return out


def run_training(
    data_path: Path | None = None,
    artifacts_dir: Path | None = None,
    tuning_trials: int | None = None,
    tuning_timeout_s: float | None = None,
) -> train.TrainResult:
    """Run :func:`train_flow` with the task runner the settings ask for.

    Raises:
        PluginError: ``ML__ESTIMATOR`` names code that does not give a classifier (checked
            before the flow starts).
    """
    settings = get_settings().section("ml", MLSettings)
    if settings.estimator:
        _estimator.estimator_factory(settings.estimator, settings.random_seed)
    flow_fn = train_flow
    if settings.task_runner == "dask":
        from ._scale import task_runner  # noqa: PLC0415

        dask_runner: Any = task_runner(settings)
        flow_fn = train_flow.with_options(task_runner=dask_runner)
    return flow_fn(
        data_path=data_path,
        artifacts_dir=artifacts_dir,
        tuning_trials=tuning_trials,
        tuning_timeout_s=tuning_timeout_s,
    )
