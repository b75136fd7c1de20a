"""The scoring form of a trained pipeline: its fitted numbers in JSON, applied with NumPy.

Unpickling the scikit-learn pipeline imports scikit-learn, SciPy and XGBoost (1.5 CPU seconds, most
of a fresh ``ml predict``), only to run a few array operations. Training therefore also writes
``scorer.json`` beside ``pipeline.joblib``: the statistics of each preprocessing step (medians,
clipping bounds, means and scales, most frequent categories, one-hot categories) and the model
itself (the logistic regression's coefficients, or XGBoost's trees). :class:`Scorer` applies them
with NumPy after the pipeline's own first step (:func:`._data.model_inputs`), so the answers are
the pipeline's (to float32 rounding for XGBoost): :func:`verified_document` keeps the file only
when the scorer reproduces ``pipeline.predict_proba`` on the training reference rows, an empty row
and unseen values (within :data:`TOLERANCE`). A pipeline it cannot express (your own
``ML__ESTIMATOR``, a changed preprocessing) gets no file, and :class:`._inference.Predictor` loads
the pickle. It is made for small batches (a command, a request): its tree walk costs more per row
than XGBoost's compiled one, so ``Predictor`` hands large batches to the pipeline.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._data import model_inputs, normalise_label

FORMAT = 1
TOLERANCE = 1e-6
_F32 = np.float32
_BLOCK = 4096


class NotCompilable(ValueError):  # noqa: N818  (a reason, not a failure: the pickle is used)
    """The pipeline has a step the scorer does not express."""


class Scorer:
    """Probabilities of the positive class from a ``scorer.json`` document (NumPy only)."""

    def __init__(self, document: dict[str, Any]) -> None:
        if document.get("format") != FORMAT:
            raise NotCompilable(f"scorer format {document.get('format')!r} is not {FORMAT}")
        self.numeric: list[str] = list(document["numeric"])
        self.categorical: list[str] = list(document["categorical"])
        steps = document["numeric_steps"]
        self._median = np.asarray(steps["median"], dtype=float)
        self._lower = None if steps["lower"] is None else np.asarray(steps["lower"], dtype=float)
        self._upper = None if steps["upper"] is None else np.asarray(steps["upper"], dtype=float)
        self._mean = np.asarray(steps["mean"], dtype=float)
        self._scale = np.asarray(steps["scale"], dtype=float)
        self._fill: list[Any] = list(document["most_frequent"])
        self._codes = [{value: i for i, value in enumerate(c)} for c in document["categories"]]
        self._width = len(self.numeric) + sum(len(c) for c in self._codes)
        model = document["model"]
        self.kind: str = model["kind"]
        if self.kind == "logistic":
            self._coef = np.asarray(model["coef"], dtype=float)
            self._intercept = float(model["intercept"])
        elif self.kind == "xgboost":
            self._trees = _Forest(model)
        else:
            raise NotCompilable(f"unknown model kind {self.kind!r}")

    @classmethod
    def load(cls, path: Path) -> Scorer:
        """Read ``scorer.json``."""
        return cls(json.loads(path.read_text(encoding="utf-8")))

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        """The model's input matrix: what the pipeline's ``preprocess`` step returns."""
        prepared = model_inputs(frame, self.numeric, self.categorical)
        numbers = prepared[self.numeric].to_numpy(dtype=float)
        # The imputer fills NaN only (``x != x``), as here; anything unseen encodes as all zeros.
        categories = [
            [self._fill[i] if v != v else v for v in prepared[column].to_numpy(dtype=object)]  # noqa: PLR0124
            for i, column in enumerate(self.categorical)
        ]
        return self._matrix(numbers, categories)

    def records_matrix(self, records: Sequence[Mapping[str, object]]) -> np.ndarray:
        """The model's input matrix straight from records (column -> value), without pandas.

        The same matrix as :meth:`transform` of the records' frame for numbers and text, except
        that a missing value (absent, ``None`` or NaN) is always imputed, as in training: the
        pipeline leaves ``None`` in a text column as it is, so a record's score could depend on
        the records batched with it.

        Raises:
            UnsupportedValueError: a value :func:`._data.model_inputs` would parse first (text in
                a numeric column, a number in a categorical one); score those as a frame.
        """
        numbers = np.empty((len(records), len(self.numeric)))
        for row, record in enumerate(records):
            for col, column in enumerate(self.numeric):
                numbers[row, col] = _number(record.get(column), column)
        categories = [
            [_category(record.get(column), column, self._fill[i]) for record in records]
            for i, column in enumerate(self.categorical)
        ]
        return self._matrix(numbers, categories)

    def _matrix(self, numbers: np.ndarray, categories: list[list[Any]]) -> np.ndarray:
        """Impute, clip and scale ``numbers``; one-hot encode ``categories`` (already imputed)."""
        out = np.zeros((len(numbers), self._width))
        if self.numeric:
            if np.isinf(numbers).any():
                raise ValueError("Input X contains infinity or a value too large for float64.")
            values = np.where(np.isnan(numbers), self._median, numbers)
            if self._lower is not None and self._upper is not None:
                values = np.clip(values, self._lower, self._upper)
            values -= self._mean
            values /= self._scale
            out[:, : len(self.numeric)] = values
        start = len(self.numeric)
        for column_values, codes in zip(categories, self._codes, strict=True):
            for row, value in enumerate(column_values):
                code = codes.get(value) if _hashable(value) else None
                if code is not None:
                    out[row, start + code] = 1.0
            start += len(codes)
        return out

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """The probability of the positive class for each row of ``frame`` (raw columns)."""
        return self._score(self.transform(frame))

    def predict_records(self, records: Sequence[Mapping[str, object]]) -> np.ndarray:
        """The probability of the positive class for each record (see :meth:`records_matrix`).

        Raises:
            UnsupportedValueError: a record needs :meth:`predict_proba` of its frame.
        """
        return self._score(self.records_matrix(records))

    def _score(self, matrix: np.ndarray) -> np.ndarray:
        if self.kind == "logistic":
            return 1.0 / (1.0 + np.exp(-(matrix @ self._coef + self._intercept)))
        return self._trees.predict(matrix)  # float32, as XGBoost answers


class UnsupportedValueError(TypeError):
    """A value the records path does not read as :func:`._data.model_inputs` would."""


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _number(value: object, column: str) -> float:
    if _missing(value):
        return math.nan
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    raise UnsupportedValueError(f"{column}: {type(value).__name__}")


def _category(value: object, column: str, fill: object) -> object:
    """The one spelling of a category (:func:`._data.normalise_label`), the fill when missing."""
    if isinstance(value, str):
        value = normalise_label(value)  # blank text becomes NaN, so it is imputed below
    if _missing(value):
        return fill
    if not isinstance(value, str):
        raise UnsupportedValueError(f"{column}: {type(value).__name__}")
    return value


def _hashable(value: object) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


class _Forest:
    """XGBoost's trees as flat arrays, walked level by level for all rows and trees at once."""

    def __init__(self, model: dict[str, Any]) -> None:
        trees = model["trees"]
        sizes = [len(t["left"]) for t in trees]
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        left = np.concatenate([np.asarray(t["left"], np.int64) for t in trees])
        right = np.concatenate([np.asarray(t["right"], np.int64) for t in trees])
        shift = np.repeat(offsets, sizes)
        self._leaf = left < 0
        own = np.arange(len(left))
        # A leaf points at itself, so walking past it (a shallower branch) stays there.
        self._left = np.where(self._leaf, own, left + shift)
        self._right = np.where(self._leaf, own, right + shift)
        self._roots = offsets
        feature = np.concatenate([np.asarray(t["feature"], np.int64) for t in trees])
        self._feature = np.where(self._leaf, 0, feature)
        self._value = np.concatenate([np.asarray(t["value"], _F32) for t in trees])
        self._default_left = np.concatenate([np.asarray(t["default_left"], bool) for t in trees])
        self._base_margin = _F32(model["base_margin"])
        self._depth = int(model["max_depth"])

    def predict(self, matrix: np.ndarray) -> np.ndarray:
        """Sigmoid of the base margin plus every tree's leaf, summed in XGBoost's order.

        Rows go through in blocks: the walk holds a (rows x trees) array of node numbers.
        """
        blocks = [
            self._predict_block(matrix[start : start + _BLOCK])
            for start in range(0, len(matrix), _BLOCK)
        ]
        return np.concatenate(blocks) if blocks else np.zeros(0, dtype=_F32)

    def _predict_block(self, matrix: np.ndarray) -> np.ndarray:
        values = np.ascontiguousarray(matrix, dtype=_F32)
        flat, width = values.ravel(), values.shape[1]
        base = (np.arange(len(values)) * width)[:, None]
        missing = bool(np.isnan(flat).any())  # never after the imputers; XGBoost's rule if so
        node = np.broadcast_to(self._roots, (len(values), len(self._roots)))
        for _ in range(self._depth):
            x = np.take(flat, base + np.take(self._feature, node))
            go_left = x < np.take(self._value, node)
            if missing:
                go_left = np.where(np.isnan(x), np.take(self._default_left, node), go_left)
            node = np.where(go_left, np.take(self._left, node), np.take(self._right, node))
        leaves = np.take(self._value, node)
        margin = np.full(len(values), self._base_margin, dtype=_F32)
        for tree in range(leaves.shape[1]):  # float32, tree by tree, as XGBoost adds them
            margin += leaves[:, tree]
        return _F32(1.0) / (_F32(1.0) + np.exp(-margin))


def compile_pipeline(pipeline: Any) -> dict[str, Any]:
    """The ``scorer.json`` document of a fitted pipeline from :func:`._features.build_pipeline`.

    Raises:
        NotCompilable: a step is not the one :func:`._features.build_pipeline` makes, or the
            model is neither the logistic baseline nor a plain ``binary:logistic`` XGBoost.
    """
    try:
        preprocess, model = pipeline.named_steps["preprocess"], pipeline.named_steps["model"]
        prepare, columns = preprocess.named_steps["prepare"], preprocess.named_steps["columns"]
    except (AttributeError, KeyError) as error:
        raise NotCompilable(f"not the pipeline build_pipeline makes ({error})") from error
    if prepare.func is not model_inputs:
        raise NotCompilable("the first step is not model_inputs")
    numeric, categorical = list(prepare.kw_args["numeric"]), list(prepare.kw_args["categorical"])
    document: dict[str, Any] = {"format": FORMAT, "numeric": numeric, "categorical": categorical}
    branches = {name: (step, cols) for name, step, cols in columns.transformers_}
    document["numeric_steps"] = _numeric_steps(branches.get("numeric"), numeric)
    document.update(_categorical_steps(branches.get("categorical"), categorical))
    document["model"] = _model(model, len(numeric) + sum(map(len, document["categories"])))
    return document


def _plain(values: Any) -> list[Any]:
    return [v.item() if isinstance(v, np.generic) else v for v in np.asarray(values).tolist()]


def _numeric_steps(branch: tuple[Any, Any] | None, numeric: Sequence[str]) -> dict[str, Any]:
    empty: dict[str, Any] = {"median": [], "lower": None, "upper": None, "mean": [], "scale": []}
    if not numeric:
        return empty
    if branch is None or list(branch[1]) != list(numeric):
        raise NotCompilable("the numeric columns are not transformed as expected")
    steps = branch[0].named_steps
    impute, clip, scale = steps["impute"], steps["winsorize"], steps["scale"]
    statistics = np.asarray(impute.statistics_, dtype=float)
    if impute.strategy != "median" or np.isnan(statistics).any():
        raise NotCompilable("numeric imputation is not a median of every column")
    if not (scale.with_mean and scale.with_std):
        raise NotCompilable("the scaler is not a standard scaler")
    clipped = clip.quantile > 0
    return {
        "median": _plain(statistics),
        "lower": _plain(clip.lower_) if clipped else None,
        "upper": _plain(clip.upper_) if clipped else None,
        "mean": _plain(scale.mean_),
        "scale": _plain(scale.scale_),
    }


def _categorical_steps(
    branch: tuple[Any, Any] | None, categorical: Sequence[str]
) -> dict[str, Any]:
    if not categorical:
        return {"most_frequent": [], "categories": []}
    if branch is None or list(branch[1]) != list(categorical):
        raise NotCompilable("the categorical columns are not transformed as expected")
    impute, encode = branch[0].named_steps["impute"], branch[0].named_steps["encode"]
    if impute.strategy != "most_frequent" or encode.drop is not None:
        raise NotCompilable("categories are not imputed by mode and fully one-hot encoded")
    if getattr(encode, "_infrequent_enabled", False) or encode.handle_unknown != "ignore":
        raise NotCompilable("the encoder groups or rejects categories")
    categories = [_plain(c) for c in encode.categories_]
    fill = _plain(impute.statistics_)
    for value in [*fill, *(v for c in categories for v in c)]:
        if not isinstance(value, str | int | float | bool) or (
            isinstance(value, float) and not math.isfinite(value)
        ):
            raise NotCompilable(f"category {value!r} does not round-trip through JSON")
    return {"most_frequent": fill, "categories": categories}


def _model(model: Any, width: int) -> dict[str, Any]:
    name = type(model).__name__
    if name == "LogisticRegression":
        coef = np.asarray(model.coef_, dtype=float)
        if coef.shape != (1, width):
            raise NotCompilable(f"logistic coefficients of shape {coef.shape}, not (1, {width})")
        return {
            "kind": "logistic",
            "coef": _plain(coef[0]),
            "intercept": float(model.intercept_[0]),
        }
    if name == "XGBClassifier":
        return _xgboost(model, width)
    raise NotCompilable(f"{name} is neither the logistic baseline nor XGBoost")


def _xgboost(model: Any, width: int) -> dict[str, Any]:
    booster = model.get_booster()
    learner = json.loads(booster.save_raw("json").decode("utf-8"))["learner"]
    trees_model = learner["gradient_booster"]
    params = learner["learner_model_param"]
    if (
        learner["objective"]["name"] != "binary:logistic"
        or trees_model["name"] != "gbtree"
        or int(params["num_feature"]) != width
        or booster.attr("best_iteration") is not None
    ):
        raise NotCompilable("not a plain binary:logistic gbtree over the encoded columns")
    base_score = float(str(params["base_score"]).strip("[]"))
    trees, depth = [], 0
    for tree in trees_model["model"]["trees"]:
        if any(tree["split_type"]) or int(tree["tree_param"]["size_leaf_vector"]) > 1:
            raise NotCompilable("categorical splits or vector leaves")
        trees.append(
            {
                "left": tree["left_children"],
                "right": tree["right_children"],
                "feature": tree["split_indices"],
                "value": tree["split_conditions"],
                "default_left": tree["default_left"],
            }
        )
        depth = max(depth, _depth(tree["left_children"], tree["right_children"]))
    return {
        "kind": "xgboost",
        "base_margin": math.log(base_score / (1.0 - base_score)),
        "max_depth": depth,
        "trees": trees,
    }


def _depth(left: Sequence[int], right: Sequence[int]) -> int:
    deepest, level = 0, [(0, 0)]
    while level:
        node, depth = level.pop()
        deepest = max(deepest, depth)
        if left[node] >= 0:
            level += [(left[node], depth + 1), (right[node], depth + 1)]
    return deepest


def verified_document(pipeline: Any, reference: pd.DataFrame) -> dict[str, Any]:
    """:func:`compile_pipeline`, checked against ``pipeline.predict_proba`` before it is kept.

    Checked on ``reference`` (training rows), an empty row and a row of unseen values.

    Raises:
        NotCompilable: the pipeline cannot be expressed, or the scorer's probabilities differ
            from the pipeline's by more than :data:`TOLERANCE`.
    """
    document = compile_pipeline(pipeline)
    scorer = Scorer(document)
    odd = dict.fromkeys(scorer.categorical, "__unseen__") | dict.fromkeys(scorer.numeric, 1e12)
    rows = pd.concat(
        [reference, pd.DataFrame([{}, odd], columns=reference.columns)], ignore_index=True
    )
    expected = np.asarray(pipeline.predict_proba(rows))[:, 1]
    got = scorer.predict_proba(rows)
    gap = float(np.max(np.abs(expected - got))) if len(rows) else 0.0
    if not gap <= TOLERANCE:
        raise NotCompilable(f"the scorer differs from the pipeline by {gap:.2e}")
    return document
