"""Training steps as plain functions: prepare, split, fit, version, write the run folder.

:mod:`._flows` wires them into a Prefect flow; tests call them directly.
"""

from __future__ import annotations

import json
import logging
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
from pydantic import BaseModel, Field
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

from . import _data as data
from . import _schema as schema
from . import _scorer as scorer
from ._evaluation import Metrics
from ._features import build_pipeline
from ._ingest import write_parquet
from ._registry import (
    PIPELINE_FILE,
    REFERENCE_FILE,
    REFERENCE_SCORES_FILE,
    SCHEMA_FILE,
    SCORER_FILE,
)

logger = logging.getLogger(__name__)
ARTIFACT_SUBDIR = "ml"
REFERENCE_ROWS = 5000


class TrainResult(BaseModel):
    """What a training run produced: metrics, the decision, artifact paths and row counts."""

    version: str
    model_tag: str
    promoted: bool
    decision: str = Field(description="Why the model was (not) promoted to production.")
    metrics: Metrics
    baseline_metrics: Metrics
    estimator: str = Field(
        default="xgboost", description="The main model: xgboost, or the ML__ESTIMATOR class."
    )
    cv_roc_auc: float = Field(description="Mean CV ROC AUC of the main model.")
    baseline_cv_roc_auc: float
    params: dict[str, Any]
    tuning_trials: int
    tuning_pruned: int
    run_dir: Path
    report_path: Path
    quarantine_path: Path
    schema_path: Path
    schema_written: bool = Field(description="True when this run inferred and wrote the schema.")
    data_hash: str
    rows_total: int
    rows_duplicates: int
    rows_quarantined: int
    rows_train: int
    rows_test: int
    mlflow_run_id: str | None = None
    tuning_requested: int = Field(default=0, description="Trials asked for.")
    tuning_cut_short: bool = Field(
        default=False, description="The wall-clock safety cap stopped the search early."
    )
    shipped: str = Field(
        default="xgboost", description="The candidate registered: the main model or 'baseline'."
    )
    selection: str = Field(default="", description="Which candidate won the holdout, by how much.")
    contract_hash: str = Field(default="", description="Hash of the model's feature contract.")

    @property
    def shipped_metrics(self) -> Metrics:
        """Holdout metrics of the registered candidate."""
        return self.baseline_metrics if self.shipped == "baseline" else self.metrics

    @property
    def beats_baseline(self) -> bool:
        """Whether the main model's holdout ROC AUC is at least the baseline's."""
        return self.metrics.roc_auc >= self.baseline_metrics.roc_auc


@dataclass(frozen=True)
class Prepared:
    """Validated rows ready to split, and what validation decided."""

    frame: pd.DataFrame
    quarantined: pd.DataFrame
    contract: schema.FrozenSchema
    schema_written: bool
    duplicates: int
    rows_total: int


@dataclass(frozen=True)
class Split:
    """Features and labels of the training and holdout parts."""

    x_train: pd.DataFrame
    x_test: pd.DataFrame
    y_train: pd.Series
    y_test: pd.Series


def prepare(
    raw: pd.DataFrame,
    target: str,
    schema_path: Path,
    *,
    positive_label: str = "",
    id_columns: list[str] | None = None,
    max_quarantine_fraction: float = 1.0,
    quarantine_path: Path | None = None,
    save_schema: bool = False,
    leakage_check: bool = True,
) -> Prepared:
    """Clean ``raw`` and enforce the frozen data contract.

    Infers the schema when ``schema_path`` holds none (written only with ``save_schema``: the
    flow saves it once the run succeeded); quarantines failing rows with reasons, written to
    ``quarantine_path`` (when given) *before* the quarantine limit is enforced, so the reasons
    can be read when it trips. With ``leakage_check``, a feature that predicts the target almost
    alone is refused (:func:`.data.check_leaks`), unless the schema was reviewed.

    Raises:
        DataError: the data breaks the contract, too many rows fail it, or a feature leaks.
    """
    frozen = schema.load(schema_path)
    roles = frozen.roles if frozen else None
    cleaned = data.clean_table(raw, target, roles, positive_label, id_columns)
    if frozen is None:
        frozen = schema.infer(cleaned.frame, cleaned.roles, target, cleaned.classes)
        if save_schema:
            schema.save(frozen, schema_path)
    valid, quarantined = schema.validate(cleaned.frame, raw, frozen)
    where = "the quarantine file"
    if quarantine_path is not None:
        quarantine_path.parent.mkdir(parents=True, exist_ok=True)
        quarantined.to_csv(quarantine_path, index=False)
        where = str(quarantine_path)
    data.check_quarantine_fraction(len(raw), len(quarantined), max_quarantine_fraction, where)
    rows = valid.assign(**{target: valid[target].astype(int)})
    if leakage_check and frozen.status != "reviewed":
        data.check_leaks(rows, frozen.roles, target)
    return Prepared(
        frame=rows,
        quarantined=quarantined,
        contract=frozen,
        schema_written=roles is None,
        duplicates=cleaned.duplicates,
        rows_total=len(raw),
    )


def model_version(digest: str, now: datetime | None = None) -> str:
    """``20250131t120000z-<hash>``: sortable by time, traceable to the data, a valid BentoML tag."""
    stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%dt%H%M%Sz")
    return f"{stamp}-{digest}"


def split_data(
    frame: pd.DataFrame, roles: data.ColumnRoles, target: str, test_size: float, seed: int
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


def fit_pipeline(
    split: Split, roles: data.ColumnRoles, estimator: Any, winsorize_quantile: float = 0.01
) -> Pipeline:
    """Fit preprocessing + ``estimator`` on the training part only."""
    pipeline = build_pipeline(roles, estimator, winsorize_quantile)
    pipeline.fit(split.x_train, split.y_train)
    return pipeline


def git_commit(cwd: Path | None = None) -> str:
    """The current git commit (short), or ``"unknown"`` outside a git checkout."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],  # noqa: S607
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() or "unknown"


def write_model_files(
    run_dir: Path,
    pipeline: Pipeline,
    contract: schema.FrozenSchema,
    x_train: pd.DataFrame,
    seed: int,
) -> dict[str, Path]:
    """Write what the registry stores next to the pipeline; returns store name -> local path.

    ``reference.parquet``: up to 5 000 training rows, raw input columns after cleaning (numbers
    parsed, categories normalised); ``reference_scores.json``: the model's probabilities on them.
    Drift monitoring compares live inputs and scores with these. ``scorer.json``: the pipeline's
    fitted numbers for scoring without scikit-learn (:mod:`._scorer`), when it reproduces the
    pipeline's answers; without it the pickle is loaded.
    """
    run_dir.mkdir(parents=True, exist_ok=True)
    reference = x_train.sample(min(len(x_train), REFERENCE_ROWS), random_state=seed)
    reference = reference.reset_index(drop=True)
    scores = pipeline.predict_proba(reference)[:, 1]
    files = {
        PIPELINE_FILE: run_dir / PIPELINE_FILE,
        SCHEMA_FILE: run_dir / SCHEMA_FILE,
        REFERENCE_FILE: run_dir / REFERENCE_FILE,
        REFERENCE_SCORES_FILE: run_dir / REFERENCE_SCORES_FILE,
    }
    joblib.dump(pipeline, files[PIPELINE_FILE])
    schema.save(contract, files[SCHEMA_FILE])
    write_parquet(reference, files[REFERENCE_FILE])
    files[REFERENCE_SCORES_FILE].write_text(
        json.dumps(np.round(scores, 6).tolist()) + "\n", encoding="utf-8"
    )
    try:
        document = scorer.verified_document(pipeline, reference)
    except scorer.NotCompilable as reason:
        logger.info("no %s (the pickle serves): %s", SCORER_FILE, reason)
    else:
        files[SCORER_FILE] = run_dir / SCORER_FILE
        files[SCORER_FILE].write_text(json.dumps(document), encoding="utf-8")
    return files


def load_pipeline(path: Path) -> Pipeline:
    """Load a pipeline written by :func:`write_model_files` (only open files you trust)."""
    model: Pipeline = joblib.load(path)
    return model
