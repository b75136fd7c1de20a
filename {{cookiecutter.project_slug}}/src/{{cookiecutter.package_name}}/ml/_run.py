"""What one training run hands from step to step of :func:`.flows.train_flow`, and its summary.

Plain data and pure functions (no Prefect, no I/O), so they are tested directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._evaluation import Evaluation
from ._registry import Decision
from ._train import Prepared, Split, TrainResult
from ._tuning import CVResult, TuningResult
from .settings import MLSettings


@dataclass(frozen=True)
class TrainingData:
    """The validated, split rows of one run and where they came from."""

    version: str
    digest: str
    schema_path: Path
    prepared: Prepared
    split: Split


@dataclass(frozen=True)
class Candidates:
    """The main model (tuned XGBoost or ML__ESTIMATOR) and the baseline, both fitted."""

    tuned: TuningResult
    baseline_cv: CVResult
    model: Any
    baseline: Any


@dataclass(frozen=True)
class Scores:
    """Both candidates evaluated on the holdout, and the model's decision threshold."""

    model: Evaluation
    baseline: Evaluation
    threshold: float


def build_result(
    settings: MLSettings,
    run_dir: Path,
    *,
    data: TrainingData,
    candidates: Candidates,
    scores: Scores,
    decision: Decision,
) -> TrainResult:
    """The run's summary: metrics, the promotion decision, artifact paths and row counts."""
    prepared, split = data.prepared, data.split
    return TrainResult(
        version=data.version,
        model_tag=f"{settings.model_name}:{data.version}",
        promoted=decision.promote,
        decision=decision.reason,
        metrics=scores.model.metrics,
        baseline_metrics=scores.baseline.metrics,
        estimator=candidates.tuned.model,
        cv_roc_auc=candidates.tuned.cv.mean,
        baseline_cv_roc_auc=candidates.baseline_cv.mean,
        params=candidates.tuned.params,
        tuning_trials=candidates.tuned.trials,
        tuning_pruned=candidates.tuned.pruned,
        run_dir=run_dir,
        report_path=run_dir / "report.md",
        quarantine_path=run_dir / "quarantine.csv",
        schema_path=data.schema_path,
        schema_written=prepared.schema_written,
        data_hash=data.digest,
        rows_total=prepared.rows_total,
        rows_duplicates=prepared.duplicates,
        rows_quarantined=len(prepared.quarantined),
        rows_train=len(split.x_train),
        rows_test=len(split.x_test),
    )


def model_metadata(
    settings: MLSettings, data: TrainingData, candidates: Candidates, scores: Scores
) -> dict[str, Any]:
    """What the registry keeps beside the files: threshold, classes, features, params, metrics."""
    return {
        "threshold": scores.threshold,
        "classes": data.prepared.contract.classes,
        "target": settings.target,
        "features": data.prepared.contract.roles.features,
        "params": candidates.tuned.params,
        "metrics": scores.model.metrics.model_dump(),
        "trained_at": data.version,
    }
