"""The scorer's records path (serving's /predict) scores as the pipeline does, batch-independent."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from {{ cookiecutter.package_name }}.ml._data import ColumnRoles
from {{ cookiecutter.package_name }}.ml._features import build_pipeline, xgboost_model
from {{ cookiecutter.package_name }}.ml._scorer import (
    Scorer,
    UnsupportedValueError,
    verified_document,
)

ROLES = ColumnRoles(numeric=["x", "y"], categorical=["plan", "region"], ids=["id"])
RNG = np.random.default_rng(7)


def _training_rows(n: int = 200) -> tuple[pd.DataFrame, np.ndarray]:
    x = RNG.normal(50, 20, n)
    frame = pd.DataFrame(
        {
            "id": [f"r{i}" for i in range(n)],
            "x": np.where(RNG.random(n) < 0.1, np.nan, x),
            "y": RNG.integers(0, 10, n).astype(float),
            "plan": RNG.choice(["basic", "pro", "Enterprise", "Basic "], n),
            "region": RNG.choice(["north", "south"], n),
        }
    )
    return frame, (x + RNG.normal(0, 10, n) > 50).astype(int)


@pytest.fixture(params=["logistic", "xgboost"])
def fitted(request: pytest.FixtureRequest) -> tuple[Pipeline, Scorer]:
    estimator = LogisticRegression() if request.param == "logistic" else xgboost_model({}, 0)
    frame, target = _training_rows()
    pipeline = build_pipeline(ROLES, estimator).fit(frame, target)
    return pipeline, Scorer(verified_document(pipeline, frame.drop(columns="id")))


RECORDS: list[dict[str, object]] = [
    {"x": 40.0, "y": 3, "plan": "pro", "region": "north"},
    {"x": 1e6, "y": -5, "plan": " ENTERPRISE ", "region": "south"},  # clipped; spelled
    {"x": float("nan"), "y": 2.5, "plan": "platinum", "region": "north"},  # NaN; unseen
    {"x": 12, "plan": "", "region": "south", "extra": "ignored"},  # absent column, blank text
]


def test_records_score_as_the_pipeline_scores_their_frame(fitted: tuple[Pipeline, Scorer]) -> None:
    pipeline, scorer = fitted
    theirs = pipeline.predict_proba(pd.DataFrame.from_records(RECORDS))[:, 1]
    assert scorer.predict_records(RECORDS) == pytest.approx(theirs, abs=1e-6)
    assert scorer.records_matrix(RECORDS) == pytest.approx(
        scorer.transform(pd.DataFrame.from_records(RECORDS))
    )


def test_a_score_does_not_depend_on_the_other_records_of_the_batch(
    fitted: tuple[Pipeline, Scorer],
) -> None:
    """None is imputed like an absent value, whatever else is in the batch."""
    _, scorer = fitted
    alone: dict[str, object] = {"x": 40.0, "y": 3, "plan": None, "region": "north"}
    absent: dict[str, object] = {"x": 40.0, "y": 3, "region": "north"}
    batch: list[dict[str, object]] = [alone, {"x": 10.0, "y": 1, "plan": "pro", "region": "south"}]
    expected = scorer.predict_records([absent])[0]
    assert scorer.predict_records([alone])[0] == pytest.approx(expected)
    assert scorer.predict_records(batch)[0] == pytest.approx(expected)


def test_values_the_frame_path_parses_are_left_to_it(fitted: tuple[Pipeline, Scorer]) -> None:
    _, scorer = fitted
    with pytest.raises(UnsupportedValueError, match="x"):
        scorer.predict_records([{"x": "1,234"}])
    with pytest.raises(UnsupportedValueError, match="plan"):
        scorer.predict_records([{"plan": 3}])
    with pytest.raises(UnsupportedValueError, match="y"):
        scorer.predict_records([{"y": True}])


def test_infinity_is_refused_on_the_records_path_too(fitted: tuple[Pipeline, Scorer]) -> None:
    _, scorer = fitted
    with pytest.raises(ValueError, match="infinity"):
        scorer.predict_records([{"x": float("inf")}])
