"""Your own classifier in place of the tuned XGBoost: the ``ML__ESTIMATOR`` setting.

The setting names a function by import path (``my_service.custom.models:forest``) that takes no
arguments and returns a new, unfitted scikit-learn classifier (``fit`` and ``predict_proba``). The
training flow calls it once per cross-validation fold and once for the final fit, each time inside
the same preprocessing pipeline, so nothing else changes: the logistic baseline, the holdout
evaluation, the report, the registry and the promotion rule. Optuna tuning is skipped (its search
space is XGBoost's): tune inside your function. A ``random_state`` parameter left at ``None`` gets
``ML__RANDOM_SEED``, so runs repeat.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pandas as pd

from ..core.plugins import PluginError, load_object
from ..core.settings import ENV_PREFIX
from ._data import ColumnRoles
from ._features import build_pipeline
from ._tuning import TuningResult, cross_validate

SETTING = f"{ENV_PREFIX}ML__ESTIMATOR"
Factory = Callable[[], Any]


def _checked(estimator: object, path: str) -> Any:
    needed = ("fit", "predict_proba")
    missing = [name for name in needed if not callable(getattr(estimator, name, None))]
    if missing:
        raise PluginError(
            f"{SETTING}={path} returned {type(estimator).__name__}, which has no "
            f"{' or '.join(missing)}: return an unfitted scikit-learn classifier, e.g. "
            "RandomForestClassifier()"
        )
    return estimator


def _seeded(estimator: Any, seed: int) -> Any:
    get_params = getattr(estimator, "get_params", None)
    if callable(get_params) and "random_state" in get_params() and estimator.random_state is None:
        estimator.set_params(random_state=seed)
    return estimator


def estimator_factory(path: str, seed: int) -> Factory:
    """A checked factory of the classifier ``path`` names (tried once, so a mistake fails now).

    Raises:
        PluginError: ``path`` does not import, is not callable, fails, or returns no classifier;
            the message names the setting.
    """
    function = load_object(path, setting=SETTING)
    if not callable(function):
        raise PluginError(
            f"{SETTING}={path} is a {type(function).__name__}, not a function returning "
            "a classifier"
        )

    def make() -> Any:
        try:
            estimator = function()
        except Exception as exc:  # the user's code: report it with the setting that named it
            raise PluginError(f"{SETTING}={path} failed: {type(exc).__name__}: {exc}") from exc
        return _seeded(_checked(estimator, path), seed)

    make()
    return make


def describe(estimator: Any, path: str) -> dict[str, Any]:
    """What the report, MLflow and the registry keep: the path and the set scalar parameters."""
    get_params = getattr(estimator, "get_params", None)
    params = get_params(deep=False) if callable(get_params) else {}
    plain = {
        key: value for key, value in params.items() if isinstance(value, str | int | float | bool)
    }
    return {"estimator": path, **plain}


def cross_validate_estimator(
    x: pd.DataFrame,
    y: pd.Series,
    roles: ColumnRoles,
    *,
    path: str,
    folds: int,
    seed: int,
    winsorize_quantile: float = 0.01,
) -> TuningResult:
    """CV of your classifier on the same folds as the baseline (what tuning is for XGBoost)."""
    started = time.perf_counter()
    make = estimator_factory(path, seed)
    cv = cross_validate(
        lambda: build_pipeline(roles, make(), winsorize_quantile), x, y, folds=folds, seed=seed
    )
    sample = make()
    return TuningResult(
        params=describe(sample, path),
        cv=cv,
        trials=0,
        pruned=0,
        seconds=time.perf_counter() - started,
        model=type(sample).__name__,
    )
