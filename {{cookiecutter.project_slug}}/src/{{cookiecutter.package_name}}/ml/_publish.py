"""After evaluation: compare with the champion, write the report, track the run."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sklearn.metrics import roc_auc_score

from . import _registry as registry
from . import _schema as schema
from . import _tracking as tracking
from ._errors import ModelNotFoundError
from ._evaluation import Evaluation, markdown, plot, write_json
from ._registry import Decision
from ._schema import FrozenSchema
from ._train import Split, TrainResult, load_pipeline
from .settings import MLSettings

logger = logging.getLogger(__name__)
CUT_SHORT = " (CUT SHORT by the ML__TUNING_TIMEOUT_S safety cap: the result depends on speed)"


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
    except (ModelNotFoundError, KeyError, ValueError, OSError) as error:
        logger.warning("champion %s cannot score this holdout: %s", champion, error)
        return None


def contract_change(champion: str, root: Path, contract: FrozenSchema) -> str:
    """Why ``contract`` differs from the champion's (``""`` when they match)."""
    try:
        theirs = schema.load(registry.get(champion, root).path / registry.SCHEMA_FILE)
    except ModelNotFoundError:
        return ""
    if theirs is None or theirs.contract_hash() == contract.contract_hash():
        return ""
    parts = []
    if theirs.target != contract.target:
        parts.append(f"target {theirs.target!r} -> {contract.target!r}")
    old, new = _kinds(theirs), _kinds(contract)
    if added := sorted(set(new) - set(old)):
        parts.append(f"new columns {added[:8]}")
    if removed := sorted(set(old) - set(new)):
        parts.append(f"missing columns {removed[:8]}")
    if retyped := sorted(c for c in set(old) & set(new) if old[c] != new[c]):
        parts.append(f"retyped columns {retyped[:8]}")
    return "; ".join(parts) or "different feature contract"


def _kinds(contract: FrozenSchema) -> dict[str, str]:
    return {
        **dict.fromkeys(contract.roles.numeric, "numeric"),
        **dict.fromkeys(contract.roles.categorical, "categorical"),
    }


def challenge(
    challenger_auc: float,
    settings: MLSettings,
    root: Path,
    split: Split,
    contract: FrozenSchema | None = None,
) -> Decision:
    """Score the current production model on the same holdout and decide on promotion.

    A challenger trained on a different data set (another feature contract) is never promoted
    over the champion: the reason says what differs and how to serve it under its own name.
    """
    champion = registry.alias(settings.model_name, root)
    if champion is not None and contract is not None:
        change = contract_change(champion, root, contract)
        if change:
            reason = (
                f"not promoted: its data set differs from production {champion} ({change}); "
                f"to serve it, train it under its own name (ML__MODEL_NAME=<name>) or pin it "
                f"with ML__PRODUCTION_TAG"
            )
            return Decision(False, reason, challenger_auc, None, champion, contract_mismatch=True)
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
        "tuning": (
            f"{result.tuning_trials} of {result.tuning_requested} trials, "
            f"{result.tuning_pruned} pruned{CUT_SHORT if result.tuning_cut_short else ''}"
        ),
        "parameters": f"`{result.params}`",
        "rows": (
            f"{result.rows_total} read, {result.rows_duplicates} duplicates dropped, "
            f"{result.rows_quarantined} quarantined, {result.rows_train} train, "
            f"{result.rows_test} holdout"
        ),
        "shipped": result.selection,
        "data hash": result.data_hash,
        "feature contract": f"`{result.contract_hash}`",
        "schema": f"{result.schema_path} ({'inferred' if result.schema_written else 'enforced'})",
    }
    text = markdown(result.version, model, baseline, extra, name=result.estimator)
    report = run_dir / "report.md"
    report.write_text(text, encoding="utf-8")
    return ReportFiles(
        metrics=write_metrics(run_dir / "metrics.json", result, model, baseline),
        report=report,
        plot=plot(pipeline, split.x_test, split.y_test, model, run_dir / "evaluation.png"),
        quarantine=result.quarantine_path,
        text=text,
    )


def write_metrics(path: Path, result: TrainResult, model: Evaluation, baseline: Evaluation) -> Path:
    """``metrics.json``: the run summary and both evaluations (rewritten once tracked)."""
    document = {
        **result.model_dump(mode="json"),
        "evaluation": model.model_dump(mode="json"),
        "baseline_evaluation": baseline.model_dump(mode="json"),
    }
    return write_json(path, document)


def labels_for(result: TrainResult, schema_version: int, commit: str) -> dict[str, str]:
    """BentoML labels of a model version (strings only)."""
    return {
        "roc_auc": f"{result.shipped_metrics.roc_auc:.4f}",
        "contract_hash": result.contract_hash,
        "shipped": result.shipped,
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
