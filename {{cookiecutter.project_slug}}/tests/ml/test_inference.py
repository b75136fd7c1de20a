"""The Predictor contract serving builds on, drift references, and behavioral model tests."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from {{ cookiecutter.package_name }}.core.settings import ENV_PREFIX
from {{ cookiecutter.package_name }}.ml._inference import (
    ModelNotFoundError,
    Prediction,
    Predictor,
    load_reference,
    reference_scores,
)
from tests.ml.conftest import TrainedRun

pytestmark = pytest.mark.usefixtures("prefect_harness")

LOYAL = {"contract": "Two year", "tenure_months": 60, "support_calls": 0, "age": 40}


@pytest.fixture
def predictor(use_trained: TrainedRun) -> Predictor:
    return Predictor.load()


def test_no_production_model_is_a_clear_error() -> None:
    with pytest.raises(ModelNotFoundError, match="no production model 'tabular-classifier'"):
        Predictor.load()
    with pytest.raises(LookupError, match="tabular-classifier:nope"):
        Predictor.load("tabular-classifier:nope")


def test_loads_production_and_pinned_versions(
    predictor: Predictor, use_trained: TrainedRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert predictor.version == use_trained.result.version
    assert predictor.tag == use_trained.result.model_tag
    assert Predictor.load(use_trained.result.model_tag).version == predictor.version
    monkeypatch.setenv(f"{ENV_PREFIX}ML__PRODUCTION_TAG", "tabular-classifier:pinned")
    from {{ cookiecutter.package_name }}.core.settings import get_settings  # noqa: PLC0415

    get_settings.cache_clear()
    with pytest.raises(ModelNotFoundError, match="pinned"):
        Predictor.load()


def test_input_model_has_one_typed_optional_field_per_column(predictor: Predictor) -> None:
    model = predictor.input_model()
    assert list(model.model_fields) == predictor.feature_names
    assert predictor.feature_names[:2] == ["age", "tenure_months"]
    record = model.model_validate({"age": 30, "monthly_charges": "70.5", "contract": "One year"})
    assert record.model_dump()["monthly_charges"] == 70.5
    assert record.model_dump()["region"] is None
    with pytest.raises(ValidationError, match="age"):
        model.model_validate({"age": "old"})
    assert "one_year" in (model.model_fields["contract"].description or "")


def test_odd_column_names_become_fields_with_aliases(predictor: Predictor) -> None:
    from {{ cookiecutter.package_name }}.ml._inference import _field_name  # noqa: PLC0415

    assert _field_name("Monthly Charges") == "Monthly_Charges"
    assert _field_name("2nd-plan") == "f_2nd_plan"
    assert _field_name("class") == "f_class"


def test_predict_returns_typed_predictions(predictor: Predictor) -> None:
    rows = [LOYAL, {"contract": "MONTH TO MONTH", "tenure_months": "2", "support_calls": 5}, {}]
    predictions = predictor.predict(rows)
    assert len(predictions) == 3
    assert all(isinstance(p, Prediction) for p in predictions)
    assert all(0.0 <= p.probability <= 1.0 for p in predictions)
    assert {p.model_version for p in predictions} == {predictor.version}
    assert predictions[0].label == "No"
    assert predictions[1].label == "Yes"


def test_invariant_to_columns_the_model_does_not_read(predictor: Predictor) -> None:
    base = predictor.predict([LOYAL])[0].probability
    noisy = predictor.predict([{**LOYAL, "customer_id": "X1", "notes": "called twice"}])[0]
    assert noisy.probability == base


def test_directional_expectations(predictor: Predictor) -> None:
    def churn(**change: object) -> float:
        return predictor.predict([{**LOYAL, **change}])[0].probability

    assert churn(support_calls=6) > churn(support_calls=0)
    assert churn(contract="Month-to-month", tenure_months=2) > churn()
    # Spelling and type variants of the same customer get the same answer.
    assert churn(contract=" TWO YEAR", tenure_months="60") == pytest.approx(churn())


def test_reference_data_for_drift(use_trained: TrainedRun, predictor: Predictor) -> None:
    reference = load_reference()
    scores = reference_scores()
    assert list(reference.columns) == predictor.feature_names
    assert 0 < len(reference) <= 5000
    assert reference["total_charges"].dtype == float
    assert set(reference["contract"].dropna()) <= {"month_to_month", "one_year", "two_year"}
    assert scores.shape == (len(reference),)
    assert np.all((scores >= 0) & (scores <= 1))
    assert load_reference(use_trained.result.model_tag).equals(reference)
