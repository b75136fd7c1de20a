"""The preprocessing and the model, saved together as one scikit-learn ``Pipeline``.

The pipeline owns every step from raw columns to a probability: numbers stored as text are
parsed, category spelling is normalised, numbers are imputed (median), clipped to training
quantiles (winsorized) and scaled, categories imputed (most frequent) and one-hot encoded.
All statistics come from ``Pipeline.fit`` on the training rows only, so nothing leaks from the
holdout, and a saved model accepts raw rows exactly as they appear in the source (no train/serve
skew: serving calls the same pipeline).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler
from xgboost import XGBClassifier

from ._data import ColumnRoles, model_inputs
from .settings import MLSettings


class Winsorizer(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Clip each column to its ``[quantile, 1 - quantile]`` range learned in ``fit``."""

    def __init__(self, quantile: float = 0.01) -> None:
        self.quantile = quantile

    def fit(self, x: Any, y: Any = None) -> Winsorizer:
        """Learn the clipping bounds of every column."""
        values = np.asarray(x, dtype=float)
        self.lower_ = np.nanquantile(values, self.quantile, axis=0)
        self.upper_ = np.nanquantile(values, 1 - self.quantile, axis=0)
        self.n_features_in_ = values.shape[1]
        return self

    def transform(self, x: Any) -> Any:
        """Clip ``x`` to the learned bounds (no-op when ``quantile`` is 0)."""
        values = np.asarray(x, dtype=float)
        return values if self.quantile <= 0 else np.clip(values, self.lower_, self.upper_)

    def get_feature_names_out(self, input_features: Any = None) -> Any:
        """Same names in, same names out."""
        return np.asarray(input_features, dtype=object)


def _input_names(transformer: FunctionTransformer, input_features: Any) -> list[str]:
    """Output names of the ``prepare`` step: the model's input columns."""
    kw = transformer.kw_args
    return [*kw["numeric"], *kw["categorical"]]


def build_preprocessor(roles: ColumnRoles, winsorize_quantile: float = 0.01) -> Pipeline:
    """Parse and normalise raw columns, then impute/clip/scale numbers and impute/encode categories.

    Identifier columns and any column not named in ``roles`` are dropped.
    """
    numeric = Pipeline(
        [
            ("impute", SimpleImputer(strategy="median")),
            ("winsorize", Winsorizer(winsorize_quantile)),
            ("scale", StandardScaler()),
        ]
    )
    categorical = Pipeline(
        [
            ("impute", SimpleImputer(strategy="most_frequent")),
            ("encode", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
        ]
    )
    columns = ColumnTransformer(
        [("numeric", numeric, roles.numeric), ("categorical", categorical, roles.categorical)],
        remainder="drop",
        verbose_feature_names_out=False,
    )
    prepare = FunctionTransformer(
        model_inputs,
        kw_args={"numeric": roles.numeric, "categorical": roles.categorical},
        feature_names_out=_input_names,
    )
    return Pipeline([("prepare", prepare), ("columns", columns)])


def xgboost_params(settings: MLSettings) -> dict[str, Any]:
    """The untuned XGBoost parameters from the ``ml`` settings section."""
    return {
        "n_estimators": settings.n_estimators,
        "max_depth": settings.max_depth,
        "learning_rate": settings.learning_rate,
    }


def xgboost_model(params: dict[str, Any], seed: int) -> XGBClassifier:
    """The main model with ``params`` (tuned or from settings), single-threaded and seeded."""
    return XGBClassifier(
        **params, random_state=seed, tree_method="hist", eval_metric="logloss", n_jobs=1
    )


def baseline_model(seed: int) -> LogisticRegression:
    """A linear baseline the main model has to beat."""
    return LogisticRegression(max_iter=1000, random_state=seed)


def build_pipeline(
    roles: ColumnRoles, estimator: Any, winsorize_quantile: float = 0.01
) -> Pipeline:
    """Preprocessing followed by ``estimator`` (any scikit-learn compatible classifier)."""
    return Pipeline(
        [("preprocess", build_preprocessor(roles, winsorize_quantile)), ("model", estimator)]
    )
