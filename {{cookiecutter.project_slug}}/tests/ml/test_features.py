from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from {{ cookiecutter.package_name }}.ml._data import ColumnRoles
from {{ cookiecutter.package_name }}.ml._features import Winsorizer, build_pipeline, build_preprocessor

ROLES = ColumnRoles(numeric=["x"], categorical=["plan"], ids=["id"])


def _frame(x: list[float], plan: list[str | None]) -> pd.DataFrame:
    return pd.DataFrame({"id": [f"r{i}" for i in range(len(x))], "x": x, "plan": plan})


def test_statistics_come_from_the_training_rows_only() -> None:
    train = _frame([1.0, 2.0, 3.0, np.nan], ["Basic", "basic", "PRO", None])
    holdout = _frame([np.nan, 100.0], ["Enterprise", "pro"])
    preprocessor = build_preprocessor(ROLES, winsorize_quantile=0.0).fit(train)

    out = preprocessor.transform(holdout)

    assert list(preprocessor.get_feature_names_out()) == ["x", "plan_basic", "plan_pro"]
    mean, std = np.mean([1.0, 2.0, 3.0, 2.0]), np.std([1.0, 2.0, 3.0, 2.0])
    # Missing x is imputed with the training median (2), 100 is scaled with training mean/std.
    assert out[0, 0] == pytest.approx((2.0 - mean) / std)
    assert out[1, 0] == pytest.approx((100.0 - mean) / std)
    # A category never seen in training encodes to all zeros; spelling variants match.
    assert out[0, 1:].tolist() == [0.0, 0.0]
    assert out[1, 1:].tolist() == [0.0, 1.0]


def test_refitting_on_other_rows_changes_the_statistics() -> None:
    first = build_preprocessor(ROLES).fit(_frame([1.0, 2.0, 3.0], ["a", "b", "a"]))
    second = build_preprocessor(ROLES).fit(_frame([10.0, 20.0, 30.0], ["a", "b", "a"]))
    probe = _frame([2.0], ["a"])
    assert first.transform(probe)[0, 0] != second.transform(probe)[0, 0]


def test_pipeline_ignores_ids_and_accepts_raw_spellings() -> None:
    train = _frame([1.0, 2.0, 8.0, 9.0], ["basic", "basic", "pro", "pro"])
    pipeline = build_pipeline(ROLES, LogisticRegression()).fit(train, [0, 0, 1, 1])
    raw = _frame([5.0, 5.0], [" PRO", "pro"]).assign(id=["other", "ids"])
    proba = pipeline.predict_proba(raw)[:, 1]
    assert proba[0] == pytest.approx(proba[1])


def test_winsorizer_clips_to_training_quantiles() -> None:
    train = np.array([[float(v)] for v in range(101)])
    clipper = Winsorizer(0.05).fit(train)
    assert clipper.transform(np.array([[-50.0], [50.0], [1000.0]]))[:, 0].tolist() == [
        5.0,
        50.0,
        95.0,
    ]
    assert Winsorizer(0.0).fit(train).transform(np.array([[1000.0]]))[0, 0] == 1000.0


def test_pipeline_reads_numbers_stored_as_text() -> None:
    train = _frame([1.0, 2.0, 8.0, 9.0], ["basic", "basic", "pro", "pro"])
    pipeline = build_pipeline(ROLES, LogisticRegression()).fit(train, [0, 0, 1, 1])
    as_text = pd.DataFrame({"x": ["8", " 8.0 ", "8,0"], "plan": ["pro", "PRO", "pro"]})
    proba = pipeline.predict_proba(as_text)[:, 1]
    assert proba[0] == pytest.approx(proba[1])
    assert proba[2] != pytest.approx(proba[0]), "8,0 reads as 80: thousands separators"
