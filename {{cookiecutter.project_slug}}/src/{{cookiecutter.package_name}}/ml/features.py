"""The preprocessing and the model, saved together as one scikit-learn ``Pipeline``.

The pipeline owns every step from raw columns to a probability: category spelling is normalised,
numbers are imputed (median) and scaled, categories imputed (most frequent) and one-hot encoded.
All statistics come from ``Pipeline.fit`` on the training split only, so nothing leaks from the
holdout, and a saved model accepts raw rows exactly as they appear in the CSV.
"""

from __future__ import annotations

from typing import Any

from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler
from xgboost import XGBClassifier

from .data import ColumnRoles, normalise_categories
from .settings import MLSettings


def build_preprocessor(roles: ColumnRoles) -> Pipeline:
    """Normalise categories, then impute + scale numbers and impute + one-hot categories.

    Identifier columns and any column not named in ``roles`` are dropped.
    """
    numeric = Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())])
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
    normalise = FunctionTransformer(
        normalise_categories,
        kw_args={"columns": roles.categorical},
        feature_names_out="one-to-one",
    )
    return Pipeline([("normalise", normalise), ("columns", columns)])


def xgboost_model(settings: MLSettings) -> XGBClassifier:
    """The main model, configured from the ``ml`` settings section."""
    return XGBClassifier(
        n_estimators=settings.n_estimators,
        max_depth=settings.max_depth,
        learning_rate=settings.learning_rate,
        random_state=settings.random_seed,
        tree_method="hist",
        eval_metric="logloss",
        n_jobs=1,
    )


def baseline_model(settings: MLSettings) -> LogisticRegression:
    """A linear baseline the main model has to beat."""
    return LogisticRegression(max_iter=1000, random_state=settings.random_seed)


def build_pipeline(roles: ColumnRoles, estimator: Any) -> Pipeline:
    """Preprocessing followed by ``estimator`` (any scikit-learn compatible classifier)."""
    return Pipeline([("preprocess", build_preprocessor(roles)), ("model", estimator)])
