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

from pathlib import Path
from typing import Any

import pandas as pd
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NONE

from ..core.settings import get_settings
from . import _estimator
from . import _evaluation as evaluation
from . import _ingest as ingest
from . import _publish as publish
from . import _registry as registry
from . import _train as train
from . import _tuning as tuning
from ._data import ColumnRoles
from ._features import baseline_model, xgboost_model, xgboost_params
from ._inference import Predictor
from ._run import Candidates, Scores, TrainingData, build_result, model_metadata
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
        raw = load_data(source)
    schema_path = settings.resolve_schema_path(data_dir, artifacts)
    if data_path is not None and str(settings.schema_path) in {"", "."}:
        schema_path = data_path.with_suffix(".schema.json")
    return raw, schema_path


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
    )
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
    return Scores(model_eval, base_eval, threshold)


def write_run(
    result: train.TrainResult,
    data: TrainingData,
    candidates: Candidates,
    scores: Scores,
    seed: int,
) -> tuple[dict[str, Path], publish.ReportFiles]:
    """Write the run folder and the Prefect report artifact; return the files the store keeps."""
    prepared = data.prepared
    files = write_model(
        result.run_dir, candidates.model, prepared.contract, data.split.x_train, seed
    )
    prepared.quarantined.to_csv(result.quarantine_path, index=False)
    report = publish.write_report(
        result.run_dir,
        result,
        scores.model,
        scores.baseline,
        split=data.split,
        pipeline=candidates.model,
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
    """Validate, tune, train and evaluate; register the model; promote it if it beats production.

    Args:
        data_path: training CSV/Parquet; default: ``ml.sql_query`` if set, else ``ml.data_path``.
        artifacts_dir: output root; default: the core ``artifacts_dir`` setting.
        tuning_trials: Optuna trial budget; default: the ``ml.tuning_trials`` setting.
        tuning_timeout_s: Optuna time budget; default: the ``ml.tuning_timeout_s`` setting.
    """
    core, settings = get_settings(), run_settings(tuning_trials, tuning_timeout_s)
    artifacts = artifacts_dir or core.artifacts_dir
    data = prepare_data(settings, core.data_dir, artifacts, data_path)
    candidates = fit_candidates(data.split, data.prepared.contract.roles, settings)
    scores = score_candidates(candidates, data.split, settings.random_seed)
    root = registry.home(settings.bentoml_home)
    decision = publish.challenge(scores.model.metrics.roc_auc, settings, root, data.split)
    run_dir = artifacts / train.ARTIFACT_SUBDIR / "runs" / data.version
    result = build_result(
        settings, run_dir, data=data, candidates=candidates, scores=scores, decision=decision
    )
    stored, report = write_run(result, data, candidates, scores, settings.random_seed)
    commit = train.git_commit()
    register_model(
        settings.model_name,
        data.version,
        stored,
        labels=publish.labels_for(result, data.prepared.contract.version, commit),
        metadata=model_metadata(settings, data, candidates, scores),
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
