"""After evaluation: compare with the champion, write the report, track the run."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sklearn.metrics import roc_auc_score

from . import _registry as registry
from . import _tracking as tracking
from ._evaluation import Evaluation, markdown, plot, write_json
from ._registry import Decision
from ._train import Split, TrainResult, load_pipeline
from .settings import MLSettings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReportFiles:
    """The human-facing files of one run."""

    metrics: Path
    report: Path
    plot: Path
    quarantine: Path
    text: str


def champion_auc(champion: str | None, root: Path, split: Split) -> float | None:
    """ROC AUC of the production model on this run's holdout; ``None`` when it cannot score it."""
    if champion is None:
        return None
    try:
        pipeline = load_pipeline(registry.get(champion, root).path / registry.PIPELINE_FILE)
        return float(roc_auc_score(split.y_test, pipeline.predict_proba(split.x_test)[:, 1]))
    except (registry.ModelNotFoundError, KeyError, ValueError, OSError) as error:
        logger.warning("champion %s cannot score this holdout: %s", champion, error)
        return None


def challenge(challenger_auc: float, settings: MLSettings, root: Path, split: Split) -> Decision:
    """Score the current production model on the same holdout and decide on promotion."""
    champion = registry.alias(settings.model_name, root)
    score = champion_auc(champion, root, split)
    return registry.decide(challenger_auc, score, settings.promotion_margin, champion)


def write_report(
    run_dir: Path,
    result: TrainResult,
    model: Evaluation,
    baseline: Evaluation,
    *,
    split: Split,
    pipeline: Any,
) -> ReportFiles:
    """``metrics.json``, ``report.md`` and ``evaluation.png`` in ``run_dir``."""
    extra = {
        "model tag": f"`{result.model_tag}`",
        "promoted": f"{result.promoted} ({result.decision})",
        f"CV ROC AUC ({result.estimator} / baseline)": (
            f"{result.cv_roc_auc:.3f} / {result.baseline_cv_roc_auc:.3f}"
        ),
        "tuning": f"{result.tuning_trials} trials, {result.tuning_pruned} pruned",
        "parameters": f"`{result.params}`",
        "rows": (
            f"{result.rows_total} read, {result.rows_duplicates} duplicates dropped, "
            f"{result.rows_quarantined} quarantined, {result.rows_train} train, "
            f"{result.rows_test} holdout"
        ),
        "data hash": result.data_hash,
        "schema": f"{result.schema_path} ({'inferred' if result.schema_written else 'enforced'})",
    }
    text = markdown(result.version, model, baseline, extra, name=result.estimator)
    report = run_dir / "report.md"
    report.write_text(text, encoding="utf-8")
    document = {
        **result.model_dump(mode="json"),
        "evaluation": model.model_dump(mode="json"),
        "baseline_evaluation": baseline.model_dump(mode="json"),
    }
    return ReportFiles(
        metrics=write_json(run_dir / "metrics.json", document),
        report=report,
        plot=plot(pipeline, split.x_test, split.y_test, model, run_dir / "evaluation.png"),
        quarantine=result.quarantine_path,
        text=text,
    )


def labels_for(result: TrainResult, schema_version: int, commit: str) -> dict[str, str]:
    """BentoML labels of a model version (strings only)."""
    return {
        "roc_auc": f"{result.metrics.roc_auc:.4f}",
        "data_hash": result.data_hash,
        "schema_version": str(schema_version),
        "git_commit": commit,
        "estimator": result.estimator,
    }


def track(
    settings: MLSettings, artifacts_dir: Path, result: TrainResult, files: ReportFiles, commit: str
) -> str:
    """Log the run to MLflow; returns its run id."""
    metrics = {
        **{f"holdout_{k}": v for k, v in result.metrics.model_dump().items()},
        **{f"baseline_{k}": v for k, v in result.baseline_metrics.model_dump().items()},
        "cv_roc_auc": result.cv_roc_auc,
        "baseline_cv_roc_auc": result.baseline_cv_roc_auc,
        "rows_quarantined": float(result.rows_quarantined),
    }
    return tracking.log_run(
        settings.tracking_uri or tracking.default_uri(artifacts_dir),
        settings.experiment_name,
        run_name=result.version,
        params={**result.params, "tuning_trials": result.tuning_trials},
        metrics=metrics,
        tags={
            "model_tag": result.model_tag,
            "data_hash": result.data_hash,
            "git_commit": commit,
            "promoted": str(result.promoted),
        },
        artifacts=[files.metrics, files.report, files.plot],
        artifact_root=None if settings.tracking_uri else artifacts_dir / "ml" / "mlflow-artifacts",
    )
