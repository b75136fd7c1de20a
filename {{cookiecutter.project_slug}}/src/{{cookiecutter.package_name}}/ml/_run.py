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
    """Both candidates evaluated on the holdout, and their decision thresholds."""

    model: Evaluation
    baseline: Evaluation
    threshold: float
    baseline_threshold: float = 0.5


@dataclass(frozen=True)
class Winner:
    """The candidate that ships: the one with the higher holdout ROC AUC (ties: the main model)."""

    name: str
    roc_auc: float
    threshold: float
    summary: str


def select_candidate(candidates: Candidates, scores: Scores) -> Winner:
    """Pick the candidate to register by holdout ROC AUC; a baseline win is never discarded."""
    main, base = scores.model.metrics.roc_auc, scores.baseline.metrics.roc_auc
    name = candidates.tuned.model
    if base > main:
        summary = (
            f"baseline (logistic) ships: holdout ROC AUC {base:.4f} vs {name} {main:.4f} "
            f"(+{base - main:.4f})"
        )
        return Winner("baseline", base, scores.baseline_threshold, summary)
    summary = (
        f"{name} ships: holdout ROC AUC {main:.4f} vs baseline (logistic) {base:.4f} "
        f"(+{main - base:.4f})"
    )
    return Winner(name, main, scores.threshold, summary)


def shipped_pipeline(result: TrainResult, candidates: Candidates) -> Any:
    """The fitted pipeline of the candidate that ships."""
    return candidates.baseline if result.shipped == "baseline" else candidates.model


def build_result(
    settings: MLSettings,
    run_dir: Path,
    *,
    data: TrainingData,
    candidates: Candidates,
    scores: Scores,
    decision: Decision,
    winner: Winner | None = None,
) -> TrainResult:
    """The run's summary: metrics, the promotion decision, artifact paths and row counts."""
    prepared, split = data.prepared, data.split
    winner = winner or select_candidate(candidates, scores)
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
        tuning_requested=candidates.tuned.requested,
        tuning_cut_short=candidates.tuned.cut_short,
        shipped=winner.name,
        selection=winner.summary,
        contract_hash=prepared.contract.contract_hash(),
    )


def model_metadata(
    settings: MLSettings,
    data: TrainingData,
    candidates: Candidates,
    scores: Scores,
    result: TrainResult | None = None,
) -> dict[str, Any]:
    """What the registry keeps beside the files.

    Threshold, classes, the feature contract (names, kinds, target and its hash: the model's
    dataset identity), the shipped candidate, its params and metrics.
    """
    baseline = result is not None and result.shipped == "baseline"
    contract = data.prepared.contract
    return {
        "threshold": scores.baseline_threshold if baseline else scores.threshold,
        "classes": contract.classes,
        "target": settings.target,
        "features": contract.roles.features,
        "contract": contract.contract(),
        "shipped": result.shipped if result is not None else candidates.tuned.model,
        "params": {} if baseline else candidates.tuned.params,
        "metrics": (scores.baseline if baseline else scores.model).metrics.model_dump(),
        "trained_at": data.version,
    }
