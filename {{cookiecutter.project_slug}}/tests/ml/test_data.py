from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.ml import _data as data
from {{ cookiecutter.package_name }}.ml import _errors as errors


def test_text_numbers_become_floats() -> None:
    values = pd.Series(["1,234.50", " 12 ", "$5", "", None, "n/a", "7"], dtype=object)
    out = data.to_number(values)
    assert out.iloc[:3].tolist() == [1234.5, 12.0, 5.0]
    assert out.iloc[3:6].isna().all()
    assert out.iloc[6] == 7.0


def test_numeric_detection_tolerates_blanks_but_not_words() -> None:
    assert data.looks_numeric(pd.Series(["1", "2.5", " ", None, "3,000"]))
    assert not data.looks_numeric(pd.Series(["1", "two", "three"]))
    assert not data.looks_numeric(pd.Series([True, False]))


def test_roles_of_the_sample(sample: pd.DataFrame) -> None:
    roles = data.infer_roles(sample, "churned")
    assert roles.ids == ["customer_id"]
    assert roles.numeric == [
        "age",
        "tenure_months",
        "monthly_charges",
        "total_charges",
        "support_calls",
    ]
    assert roles.categorical == ["contract", "payment_method", "region"]


def test_id_detection_by_name_and_by_unique_values() -> None:
    frame = pd.DataFrame(
        {
            "order_key": [5, 5, 6],
            "email": ["a@x", "b@x", "c@x"],
            "row": ["10", "11", "12"],
            "price": ["1.5", "2.5", "3.5"],
            "plan": ["a", "a", "b"],
            "y": [0, 1, 0],
        }
    )
    assert data.detect_id_columns(frame, "y") == ["order_key", "email", "row"]


def test_explicit_id_columns_override_detection(sample: pd.DataFrame) -> None:
    roles = data.infer_roles(sample, "churned", ["customer_id", "region"])
    assert roles.ids == ["customer_id", "region"]
    assert "region" not in roles.features
    with pytest.raises(errors.DataError, match="not_a_column"):
        data.infer_roles(sample, "churned", ["not_a_column"])
    with pytest.raises(errors.DataError, match="'label' not found"):
        data.infer_roles(sample, "label")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Month-to-month", "month_to_month"),
        (" MONTH TO MONTH ", "month_to_month"),
        ("month_to_month", "month_to_month"),
        ("Bank-Transfer", "bank_transfer"),
        ("Two Year ", "two_year"),
    ],
)
def test_label_normalisation(raw: str, expected: str) -> None:
    assert data.normalise_label(raw) == expected


def test_blank_labels_become_missing_and_others_pass_through() -> None:
    assert pd.isna(data.normalise_label("   "))
    assert data.normalise_label(3) == 3


@pytest.mark.parametrize(
    ("values", "positive", "classes"),
    [
        (["Yes", "No", "yes", "NO ", "No"], "", ["No", "Yes"]),
        (["1", "0", "0", "1.0", "0"], "", [0, 1]),
        ([True, False, False], "", ["False", "True"]),
        (["stay", "leave", "stay", "stay"], "", ["stay", "leave"]),
        (["stay", "leave", "stay", "leave", "leave"], "stay", ["leave", "stay"]),
    ],
)
def test_target_encoding(values: list[object], positive: str, classes: list[object]) -> None:
    encoded, found = data.encode_target(pd.Series(values, name="y"), positive)
    assert found == classes
    assert set(encoded.dropna()) <= {0.0, 1.0}
    assert encoded.notna().all()


def test_unusable_target_values_become_missing() -> None:
    encoded, classes = data.encode_target(pd.Series(["Yes", "No", "No", "unknown", "", None]))
    assert classes == ["No", "Yes"]
    assert encoded.tolist()[:3] == [1.0, 0.0, 0.0]
    assert encoded.iloc[3:].isna().all()


def test_target_errors_name_the_problem() -> None:
    with pytest.raises(errors.DataError, match="two classes"):
        data.encode_target(pd.Series(["a", "a"], name="y"))
    with pytest.raises(errors.DataError, match="positive_label 'maybe'"):
        data.encode_target(pd.Series(["a", "b"]), "maybe")


def test_clean_table_fixes_the_sample(sample: pd.DataFrame) -> None:
    cleaned = data.clean_table(sample, "churned")
    frame = cleaned.frame
    assert cleaned.duplicates == 20
    assert len(frame) == len(sample) - 20
    assert not frame.duplicated().any()
    assert frame["total_charges"].dtype == float
    assert set(frame["contract"]) == {"month_to_month", "one_year", "two_year"}
    assert set(frame["region"].dropna()) == {"north", "south", "east", "west"}
    assert cleaned.classes == ["No", "Yes"]
    assert frame.index.isin(sample.index).all(), "raw row numbers are kept"
    assert sample["contract"].nunique() > 3, "the input frame is not modified"


def test_prepare_features_adds_missing_columns() -> None:
    out = data.prepare_features(pd.DataFrame({"x": ["1,5"]}), ["x", "n"], ["c"])
    assert out["x"].tolist() == [15.0]
    assert np.isnan(out["n"].iloc[0])
    assert pd.isna(out["c"].iloc[0])


def test_quarantine_fraction_limit() -> None:
    data.check_quarantine_fraction(total=100, quarantined=10, limit=0.1)
    with pytest.raises(errors.DataError, match="11 of 100"):
        data.check_quarantine_fraction(total=100, quarantined=11, limit=0.1)
    with pytest.raises(errors.DataError, match="no usable rows"):
        data.check_quarantine_fraction(total=3, quarantined=3, limit=1.0)


def test_single_column_auc_finds_leaks_not_strong_signals() -> None:
    rng = np.random.default_rng(7)
    target = pd.Series(rng.integers(0, 2, 2000))
    noise = rng.normal(size=2000)

    def auc(values: object, categorical: bool = False) -> float | None:
        return data.single_column_auc(pd.Series(values), target, categorical)

    assert auc(target * 30 + rng.integers(0, 5, 2000)) == 1.0  # days until churn: a leak
    assert auc(-target * 30 + rng.integers(0, 5, 2000)) == 1.0  # either direction
    strong = auc(target + noise)  # a real, strong signal
    assert strong is not None
    assert 0.7 < strong < data.LEAK_AUC
    assert auc(target.map({0: "stayed", 1: "gone"}), categorical=True) == 1.0
    # Missing only where the outcome happened: missing counts as a value of a category.
    assert auc(target.map({0: "email", 1: None}), categorical=True) == 1.0
    names = [f"customer {i}" for i in range(2000)]  # unique per row: fits anything in-sample
    assert auc(names, categorical=True) is None
    assert data.single_column_auc(pd.Series([1.0, 2.0]), pd.Series([1, 1]), False) is None
