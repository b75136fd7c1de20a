"""The fitted feature pipeline as plain numpy operations on records, for scoring small batches.

scikit-learn and pandas spend most of a small batch's time checking and converting their inputs
(about 10 ms per call here, whatever the batch size), not computing. :func:`compile_pipeline`
reads the fitted statistics of the steps this pillar builds (:mod:`._features`: parse and
normalise, impute, winsorize, scale, one-hot) and applies them with numpy to a list of records;
the final estimator gets the same feature matrix the pipeline would give it.

It returns ``None`` (the caller keeps the scikit-learn pipeline) for any pipeline it does not
know step by step, e.g. one you changed; :meth:`CompiledPipeline.agrees` checks it against the
pipeline on sample rows before it is used. A missing value is always imputed, as in training
(the pipeline itself leaves a categorical column that is missing in *every* row of a batch
unimputed, so a record's score could depend on the records batched with it).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from ._data import model_inputs, normalise_label
from ._features import Winsorizer

Record = Mapping[str, object]


@dataclass(frozen=True)
class _Numeric:
    columns: list[str]
    fill: np.ndarray
    lower: np.ndarray | None
    upper: np.ndarray | None
    mean: np.ndarray | None
    scale: np.ndarray | None


@dataclass(frozen=True)
class _Categorical:
    columns: list[str]
    fill: list[object]
    # Per column: category -> output position (unknown categories set no position).
    positions: list[dict[object, int]]
    width: int


class UnsupportedValueError(TypeError):
    """A value the compiled steps do not parse the way the pipeline would (text in a number)."""


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


@dataclass(frozen=True)
class CompiledPipeline:
    """The preprocessing of a fitted pipeline as numpy operations, then its estimator."""

    numeric: _Numeric
    categorical: _Categorical
    estimator: Any

    def features(self, records: Sequence[Record]) -> np.ndarray:
        """The feature matrix the estimator reads.

        Raises:
            UnsupportedValueError: a value the pipeline would parse (text in a numeric column).
        """
        return np.hstack([self._numbers(records), self._onehot(records)])

    def _numbers(self, records: Sequence[Record]) -> np.ndarray:
        num = self.numeric
        values = np.empty((len(records), len(num.columns)), dtype=float)
        for i, record in enumerate(records):
            for j, column in enumerate(num.columns):
                value = record.get(column)
                if _missing(value):
                    values[i, j] = num.fill[j]
                elif isinstance(value, int | float) and not isinstance(value, bool):
                    values[i, j] = value
                else:
                    raise UnsupportedValueError(f"{column}: {type(value).__name__}")
        if num.lower is not None and num.upper is not None:
            np.clip(values, num.lower, num.upper, out=values)
        if num.mean is not None:
            values -= num.mean
        if num.scale is not None:
            values /= num.scale
        return values

    def _onehot(self, records: Sequence[Record]) -> np.ndarray:
        cat = self.categorical
        onehot = np.zeros((len(records), cat.width), dtype=float)
        for i, record in enumerate(records):
            for j, column in enumerate(cat.columns):
                position = cat.positions[j].get(self._category(record.get(column), j))
                if position is not None:
                    onehot[i, position] = 1.0
        return onehot

    def _category(self, value: object, index: int) -> object:
        """The normalised category of ``value`` (the imputed one when missing)."""
        if isinstance(value, str):
            value = normalise_label(value)
        if _missing(value):
            return self.categorical.fill[index]
        if not isinstance(value, str):
            raise UnsupportedValueError(
                f"{self.categorical.columns[index]}: {type(value).__name__}"
            )
        return value

    def predict_proba(self, records: Sequence[Record]) -> np.ndarray:
        """Probability of the positive class for each record."""
        return np.asarray(self.estimator.predict_proba(self.features(records)))[:, 1]

    def agrees(self, pipeline: Pipeline, frame: pd.DataFrame, tolerance: float = 1e-9) -> bool:
        """Whether this scores ``frame``'s rows (model input columns) as ``pipeline`` does."""
        if frame.empty:
            return False
        records = frame.astype(object).to_dict("records")
        try:
            ours = self.predict_proba(records)
        except UnsupportedValueError:
            return False
        theirs = pipeline.predict_proba(frame)[:, 1]
        return bool(np.allclose(ours, theirs, rtol=0.0, atol=tolerance))


def _numeric(steps: Pipeline, columns: list[str]) -> _Numeric | None:
    names = [type(step) for _, step in steps.steps]
    if names != [SimpleImputer, Winsorizer, StandardScaler]:
        return None
    impute, winsorize, scale = (step for _, step in steps.steps)
    if impute.strategy not in {"median", "mean"} or np.isnan(impute.statistics_).any():
        return None
    clip = winsorize.quantile > 0
    return _Numeric(
        columns=columns,
        fill=np.asarray(impute.statistics_, dtype=float),
        lower=np.asarray(winsorize.lower_, dtype=float) if clip else None,
        upper=np.asarray(winsorize.upper_, dtype=float) if clip else None,
        mean=np.asarray(scale.mean_, dtype=float) if scale.with_mean else None,
        scale=np.asarray(scale.scale_, dtype=float) if scale.with_std else None,
    )


def _categorical(steps: Pipeline, columns: list[str]) -> _Categorical | None:
    if [type(step) for _, step in steps.steps] != [SimpleImputer, OneHotEncoder]:
        return None
    impute, encode = (step for _, step in steps.steps)
    if impute.strategy != "most_frequent" or encode.handle_unknown != "ignore":
        return None
    if encode.drop_idx_ is not None or encode._infrequent_enabled:
        return None
    positions: list[dict[object, int]] = []
    start = 0
    for categories in encode.categories_:
        if not all(isinstance(c, str) for c in categories):
            return None
        positions.append({c: start + k for k, c in enumerate(categories)})
        start += len(categories)
    return _Categorical(columns, list(impute.statistics_), positions, start)


def compile_pipeline(pipeline: Pipeline) -> CompiledPipeline | None:
    """The compiled form of a pipeline built by :mod:`._features`, or ``None`` for any other."""
    try:
        preprocess, estimator = (step for _, step in pipeline.steps)
        prepare, columns = (step for _, step in preprocess.steps)
    except (AttributeError, ValueError):
        return None
    if not isinstance(prepare, FunctionTransformer) or prepare.func is not model_inputs:
        return None
    if not isinstance(columns, ColumnTransformer):
        return None
    fitted = [(n, t, list(c)) for n, t, c in columns.transformers_ if n != "remainder"]
    if [n for n, _, _ in fitted] != ["numeric", "categorical"]:
        return None
    numeric = _numeric(fitted[0][1], fitted[0][2])
    categorical = _categorical(fitted[1][1], fitted[1][2])
    if numeric is None or categorical is None:
        return None
    return CompiledPipeline(numeric, categorical, estimator)
