"""Holdout evaluation: metrics, calibration, confusion matrix, importance; JSON, PNG and Markdown.

Plain functions; plots use matplotlib's non-interactive Agg backend (no display needed).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field
from sklearn.calibration import calibration_curve
from sklearn.inspection import permutation_importance
from sklearn.metrics import (
    average_precision_score,
    confusion_matrix,
    f1_score,
    precision_recall_curve,
    roc_auc_score,
    roc_curve,
)
from sklearn.pipeline import Pipeline


class Metrics(BaseModel):
    """Holdout metrics of one classifier."""

    roc_auc: float = Field(description="Area under the ROC curve.")
    pr_auc: float = Field(description="Average precision (area under the precision-recall curve).")
    f1: float = Field(description="F1 score at the decision threshold.")
    threshold: float = Field(description="Probability at or above which a row is positive.")
    brier: float = Field(description="Mean squared error of the probabilities (calibration).")


class Evaluation(BaseModel):
    """Everything the report shows about one model on the holdout."""

    metrics: Metrics
    confusion: list[list[int]] = Field(description="[[TN, FP], [FN, TP]] at the threshold.")
    calibration: dict[str, list[float]] = Field(description="Mean predicted vs observed rate.")
    importance: dict[str, float] = Field(description="Permutation importance (ROC AUC drop).")


def best_threshold(y: Any, scores: np.ndarray) -> float:
    """The probability threshold that maximises F1 on ``scores`` (out-of-fold, never holdout)."""
    precision, recall, thresholds = precision_recall_curve(y, scores)
    f1 = 2 * precision * recall / np.maximum(precision + recall, 1e-12)
    return float(thresholds[int(np.argmax(f1[:-1]))]) if len(thresholds) else 0.5


def evaluate(
    pipeline: Pipeline,
    x: pd.DataFrame,
    y: pd.Series,
    threshold: float = 0.5,
    *,
    importance_repeats: int = 5,
    seed: int = 0,
) -> Evaluation:
    """Score ``pipeline`` on ``x``/``y``; importance is measured on the raw input columns."""
    scores = pipeline.predict_proba(x)[:, 1]
    predicted = (scores >= threshold).astype(int)
    observed, mean_predicted = calibration_curve(y, scores, n_bins=10, strategy="quantile")
    importance: dict[str, float] = {}
    if importance_repeats > 0:
        model, inputs = _after_prepare(pipeline, x)
        result = permutation_importance(
            model, inputs, y, scoring="roc_auc", n_repeats=importance_repeats, random_state=seed
        )
        ranked = sorted(zip(x.columns, result.importances_mean, strict=True), key=lambda i: -i[1])
        importance = {str(name): float(value) for name, value in ranked}
    return Evaluation(
        metrics=Metrics(
            roc_auc=float(roc_auc_score(y, scores)),
            pr_auc=float(average_precision_score(y, scores)),
            f1=float(f1_score(y, predicted, zero_division=0)),
            threshold=threshold,
            brier=float(np.mean((scores - np.asarray(y)) ** 2)),
        ),
        confusion=confusion_matrix(y, predicted, labels=[0, 1]).tolist(),
        calibration={"predicted": mean_predicted.tolist(), "observed": observed.tolist()},
        importance=importance,
    )


def _after_prepare(pipeline: Pipeline, x: pd.DataFrame) -> tuple[Any, pd.DataFrame]:
    """The pipeline past its ``prepare`` step, and ``x`` prepared once, when it has that step.

    ``prepare`` (parse numbers, normalise spellings) works cell by cell, so permuting a prepared
    column gives what preparing the permuted raw column gives: the same importances, without
    preparing the rows again for each of the ``columns x repeats`` scorings.
    """
    try:
        preprocess = pipeline.named_steps["preprocess"]
        prepare, columns = preprocess.named_steps["prepare"], preprocess.named_steps["columns"]
    except (AttributeError, KeyError):
        return pipeline, x
    prepared = prepare.transform(x)
    if list(prepared.columns) != list(x.columns):
        return pipeline, x
    return Pipeline([("columns", columns), ("model", pipeline.steps[-1][1])]), prepared


def plot(pipeline: Pipeline, x: pd.DataFrame, y: pd.Series, result: Evaluation, path: Path) -> Path:
    """ROC, precision-recall, calibration and importance of one model in one PNG."""
    import matplotlib as mpl  # noqa: PLC0415  (slow import; only when writing a report)

    mpl.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    scores = pipeline.predict_proba(x)[:, 1]
    fig, axes = plt.subplots(2, 2, figsize=(10, 8))
    fpr, tpr, _ = roc_curve(y, scores)
    axes[0, 0].plot(fpr, tpr, label=f"AUC {result.metrics.roc_auc:.3f}")
    axes[0, 0].plot([0, 1], [0, 1], "k--", linewidth=0.8)
    axes[0, 0].set(title="ROC", xlabel="false positive rate", ylabel="true positive rate")
    precision, recall, _ = precision_recall_curve(y, scores)
    axes[0, 1].plot(recall, precision, label=f"AP {result.metrics.pr_auc:.3f}")
    axes[0, 1].set(title="Precision-recall", xlabel="recall", ylabel="precision")
    axes[1, 0].plot(result.calibration["predicted"], result.calibration["observed"], "o-")
    axes[1, 0].plot([0, 1], [0, 1], "k--", linewidth=0.8)
    axes[1, 0].set(title="Calibration", xlabel="mean predicted", ylabel="observed rate")
    names = list(result.importance)[:10][::-1]
    axes[1, 1].barh(names, [result.importance[n] for n in names])
    axes[1, 1].set(title="Permutation importance", xlabel="ROC AUC drop")
    for axis in axes[0]:
        axis.legend(loc="lower right")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path


def markdown(
    version: str,
    model: Evaluation,
    baseline: Evaluation,
    extra: dict[str, Any],
    *,
    name: str = "xgboost",
) -> str:
    """The human-readable report: model ``name`` vs baseline, confusion matrix, importance."""
    rows = [
        f"| {name} | {getattr(model.metrics, name):.3f} | {getattr(baseline.metrics, name):.3f} |"
        for name in ("roc_auc", "pr_auc", "f1", "threshold", "brier")
    ]
    (tn, fp), (fn, tp) = model.confusion
    lines = [
        f"# Model {version}",
        "",
        f"| metric (holdout) | {name} | baseline (logistic) |",
        "|---|---:|---:|",
        *rows,
        "",
        f"## Confusion matrix ({name})",
        "",
        "| | predicted 0 | predicted 1 |",
        "|---|---:|---:|",
        f"| actual 0 | {tn} | {fp} |",
        f"| actual 1 | {fn} | {tp} |",
        "",
        f"## Permutation importance ({name})",
        "",
        *[f"- `{name}`: {value:.4f}" for name, value in model.importance.items()],
        "",
        "## Run",
        "",
        *[f"- {key}: {value}" for key, value in extra.items()],
    ]
    return "\n".join(lines) + "\n"


def write_json(path: Path, document: dict[str, Any]) -> Path:
    """Write ``document`` as indented JSON."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, default=str) + "\n", encoding="utf-8")
    return path
