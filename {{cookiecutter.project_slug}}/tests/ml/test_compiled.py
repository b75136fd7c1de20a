"""The compiled feature pipeline scores records exactly as the scikit-learn pipeline does."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from {{ cookiecutter.package_name }}.ml._compiled import UnsupportedValueError, compile_pipeline
from {{ cookiecutter.package_name }}.ml._data import ColumnRoles
from {{ cookiecutter.package_name }}.ml._features import build_pipeline, xgboost_model

ROLES = ColumnRoles(numeric=["x", "y"], categorical=["plan", "region"], ids=["id"])
RNG = np.random.default_rng(7)


def _training_rows(n: int = 200) -> tuple[pd.DataFrame, np.ndarray]:
    x = RNG.normal(50, 20, n)
    frame = pd.DataFrame(
        {
            "id": [f"r{i}" for i in range(n)],
            "x": np.where(RNG.random(n) < 0.1, np.nan, x),
            "y": RNG.integers(0, 10, n).astype(float),
            "plan": RNG.choice(["basic", "pro", "Enterprise", None], n),
            "region": RNG.choice(["north", "south"], n),
        }
    )
    return frame, (x + RNG.normal(0, 10, n) > 50).astype(int)


@pytest.fixture(params=["logistic", "xgboost"])
def pipeline(request: pytest.FixtureRequest) -> Pipeline:
    estimator = LogisticRegression() if request.param == "logistic" else xgboost_model({}, 0)
    frame, target = _training_rows()
    return build_pipeline(ROLES, estimator).fit(frame, target)


RECORDS: list[dict[str, object]] = [
    {"x": 40.0, "y": 3, "plan": "pro", "region": "north"},
    {"x": 1e6, "y": -5, "plan": " ENTERPRISE ", "region": "south"},  # clipped; spelled
    {"x": None, "y": 2.5, "plan": "platinum", "region": None},  # missing; unknown category
    {"x": float("nan"), "plan": "", "extra": "ignored"},  # NaN, absent column, blank text
    {},
]


def test_the_pipeline_this_pillar_builds_compiles(pipeline: Pipeline) -> None:
    assert compile_pipeline(pipeline) is not None


def test_scores_equal_the_pipeline(pipeline: Pipeline) -> None:
    compiled = compile_pipeline(pipeline)
    assert compiled is not None
    ours = compiled.predict_proba(RECORDS)
    # The pipeline with a row that has every column, so its imputers see each missing value.
    full = {"x": 1.0, "y": 1.0, "plan": "basic", "region": "north"}
    theirs = pipeline.predict_proba(pd.DataFrame.from_records([*RECORDS, full]))[:-1, 1]
    assert ours == pytest.approx(theirs, abs=1e-9)


def test_a_score_does_not_depend_on_the_other_records_of_the_batch(pipeline: Pipeline) -> None:
    """A missing category is imputed even when it is missing in every record of the batch."""
    compiled = compile_pipeline(pipeline)
    assert compiled is not None
    alone: dict[str, object] = {"x": 40.0, "y": 3, "plan": None, "region": "north"}
    batch: list[dict[str, object]] = [alone, {"x": 10.0, "y": 1, "plan": "pro", "region": "south"}]
    assert compiled.predict_proba([alone])[0] == pytest.approx(compiled.predict_proba(batch)[0])


def test_agrees_with_the_pipeline_on_training_rows(pipeline: Pipeline) -> None:
    compiled = compile_pipeline(pipeline)
    assert compiled is not None
    frame, _ = _training_rows(50)
    assert compiled.agrees(pipeline, frame)
    shifted = dataclasses.replace(compiled.numeric, fill=compiled.numeric.fill + 1.0)
    wrong = dataclasses.replace(compiled, numeric=shifted)
    assert not wrong.agrees(pipeline, frame)


def test_text_in_a_numeric_column_is_left_to_the_pipeline(pipeline: Pipeline) -> None:
    compiled = compile_pipeline(pipeline)
    assert compiled is not None
    with pytest.raises(UnsupportedValueError, match="x"):
        compiled.predict_proba([{"x": "1,234"}])
    with pytest.raises(UnsupportedValueError, match="plan"):
        compiled.predict_proba([{"plan": 3}])


def test_other_pipelines_are_not_compiled() -> None:
    frame, target = _training_rows()
    numbers = frame[["x", "y"]].fillna(0)
    plain = Pipeline([("scale", StandardScaler()), ("model", LogisticRegression())])
    assert compile_pipeline(plain.fit(numbers, target)) is None
