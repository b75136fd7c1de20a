"""Stratified cross-validation and the Optuna search over XGBoost parameters (plain functions).

Every fold refits the whole pipeline (preprocessing included) on its training part, so the CV
scores carry no leakage. The search is seeded (TPE sampler) and runs one trial at a time, so
the trial count decides the result: same data, same seed, same trials, same model, on a quiet
laptop or a loaded CI runner. The wall-clock cap is only a safety net: when it stops the search
early, :attr:`TuningResult.cut_short` is set, a warning is logged and the report says so. The
search prunes trials whose running CV score falls below the median of earlier trials, and always
evaluates the untuned settings first, so tuning never picks worse-by-CV parameters.

The folds of one cross-validation run side by side on threads (one per core, at most one per
fold; XGBoost and NumPy release the GIL), each fitting a single-threaded model: the scores are
those of a one-fold-at-a-time run, in the same order, whatever the number of cores. Pruning is
checked fold by fold in fold order, as before; a pruned trial only wastes the fold already
running.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import optuna
import pandas as pd
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline

from ._data import ColumnRoles
from ._features import baseline_model, build_pipeline, xgboost_model

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CVResult:
    """Per-fold ROC AUC and the out-of-fold probability of every training row."""

    fold_auc: list[float]
    oof: np.ndarray

    @property
    def mean(self) -> float:
        """Mean ROC AUC over the folds."""
        return float(np.mean(self.fold_auc))

    @property
    def std(self) -> float:
        """Standard deviation of the fold ROC AUCs."""
        return float(np.std(self.fold_auc))


@dataclass(frozen=True)
class TuningResult:
    """What the search found."""

    params: dict[str, Any]
    cv: CVResult
    trials: int
    pruned: int
    seconds: float
    model: str = "xgboost"
    requested: int = 0
    cut_short: bool = False


def cross_validate(
    make_pipeline: Callable[[], Pipeline],
    x: pd.DataFrame,
    y: pd.Series,
    *,
    folds: int,
    seed: int,
    on_fold: Callable[[int, float], None] | None = None,
    workers: int | None = None,
) -> CVResult:
    """Stratified k-fold ROC AUC of a fresh pipeline per fold, ``workers`` folds at a time.

    ``on_fold(fold, running_mean_auc)`` is called after each fold, in fold order (Optuna pruning
    raises there). ``workers`` (default: one per core) changes the wall time, not the result.
    """
    oof = np.full(len(x), np.nan)
    aucs: list[float] = []
    splits = list(StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed).split(x, y))

    def fit_fold(fold: int) -> np.ndarray:
        fit_rows, val_rows = splits[fold]
        model = make_pipeline().fit(x.iloc[fit_rows], y.iloc[fit_rows])
        return np.asarray(model.predict_proba(x.iloc[val_rows]))[:, 1]

    width = max(1, min(workers or os.cpu_count() or 1, len(splits)))
    pool = ThreadPoolExecutor(max_workers=width, thread_name_prefix="cv-fold")
    running: list[Future[np.ndarray]] = [pool.submit(fit_fold, f) for f in range(width)]
    try:
        for fold, (_, val_rows) in enumerate(splits):
            oof[val_rows] = running[fold].result()
            aucs.append(float(roc_auc_score(y.iloc[val_rows], oof[val_rows])))
            if on_fold is not None:
                on_fold(fold, float(np.mean(aucs)))
            if len(running) < len(splits):
                running.append(pool.submit(fit_fold, len(running)))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return CVResult(fold_auc=aucs, oof=oof)


def cross_validate_baseline(
    x: pd.DataFrame,
    y: pd.Series,
    roles: ColumnRoles,
    *,
    folds: int,
    seed: int,
    winsorize_quantile: float = 0.01,
) -> CVResult:
    """CV of the logistic-regression baseline on the same folds as the XGBoost search."""
    return cross_validate(
        lambda: build_pipeline(roles, baseline_model(seed), winsorize_quantile),
        x,
        y,
        folds=folds,
        seed=seed,
    )


def search_space(trial: optuna.Trial) -> dict[str, Any]:
    """The XGBoost parameters Optuna explores."""
    return {
        "n_estimators": trial.suggest_int("n_estimators", 50, 400, step=25),
        "max_depth": trial.suggest_int("max_depth", 2, 6),
        "learning_rate": trial.suggest_float("learning_rate", 0.01, 0.3, log=True),
        "subsample": trial.suggest_float("subsample", 0.6, 1.0),
        "colsample_bytree": trial.suggest_float("colsample_bytree", 0.6, 1.0),
        "min_child_weight": trial.suggest_float("min_child_weight", 1.0, 10.0, log=True),
        "reg_lambda": trial.suggest_float("reg_lambda", 1e-3, 10.0, log=True),
    }


def tune_xgboost(
    x: pd.DataFrame,
    y: pd.Series,
    roles: ColumnRoles,
    *,
    defaults: dict[str, Any],
    trials: int,
    timeout_s: float,
    folds: int,
    seed: int,
    winsorize_quantile: float = 0.01,
) -> TuningResult:
    """Search XGBoost parameters by CV ROC AUC; ``trials=0`` just cross-validates ``defaults``."""
    started = time.perf_counter()

    def make(params: dict[str, Any]) -> Callable[[], Pipeline]:
        return lambda: build_pipeline(roles, xgboost_model(params, seed), winsorize_quantile)

    if trials == 0:
        cv = cross_validate(make(defaults), x, y, folds=folds, seed=seed)
        return TuningResult(defaults, cv, 0, 0, time.perf_counter() - started)
    results: dict[int, CVResult] = {}

    def objective(trial: optuna.Trial) -> float:
        params = search_space(trial)

        def report(fold: int, running: float) -> None:
            trial.report(running, fold)
            if trial.should_prune():
                raise optuna.TrialPruned

        results[trial.number] = cross_validate(
            make(params), x, y, folds=folds, seed=seed, on_fold=report
        )
        return results[trial.number].mean

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        direction="maximize",
        sampler=optuna.samplers.TPESampler(seed=seed),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=1),
    )
    study.enqueue_trial({**_space_defaults(), **defaults})
    study.optimize(objective, n_trials=trials, timeout=timeout_s, n_jobs=1)
    best = study.best_trial
    pruned = sum(t.state == optuna.trial.TrialState.PRUNED for t in study.trials)
    cut_short = len(study.trials) < trials
    if cut_short:
        logger.warning(
            "tuning stopped by the %.0f s safety cap after %d of %d trials: this model depends "
            "on machine speed; raise ML__TUNING_TIMEOUT_S or lower ML__TUNING_TRIALS",
            timeout_s,
            len(study.trials),
            trials,
        )
    return TuningResult(
        params=dict(best.params),
        cv=results[best.number],
        trials=len(study.trials),
        pruned=pruned,
        seconds=time.perf_counter() - started,
        requested=trials,
        cut_short=cut_short,
    )


def _space_defaults() -> dict[str, Any]:
    """XGBoost's own defaults for the parameters settings do not name (the first trial)."""
    return {
        "subsample": 1.0,
        "colsample_bytree": 1.0,
        "min_child_weight": 1.0,
        "reg_lambda": 1.0,
    }
