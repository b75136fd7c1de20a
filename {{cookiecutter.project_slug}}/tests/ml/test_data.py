from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.ml import data


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"nope\.csv"):
        data.load_table(tmp_path / "nope.csv")


def test_sample_quarantines_rows_without_a_usable_target(sample: pd.DataFrame) -> None:
    clean, quarantined = data.quarantine(sample, "churned")
    assert len(clean) + len(quarantined) == len(sample)
    assert len(quarantined) == 8
    assert set(clean["churned"].unique()) == {0, 1}
    assert pd.api.types.is_integer_dtype(clean["churned"])
    assert set(quarantined[data.REASON_COLUMN]) == {
        "missing churned",
        "invalid churned: not 0/1",
    }
    assert not set(clean["customer_id"]) & set(quarantined["customer_id"])


def test_quarantine_reasons_per_rule() -> None:
    frame = pd.DataFrame(
        {
            "x": [1.0, np.nan, 3.0, 4.0, 5.0],
            "c": ["a", np.nan, "b", "a", "b"],
            "y": ["1", "0", None, "yes", "0"],
        }
    )
    clean, quarantined = data.quarantine(frame, "y")
    assert clean["x"].tolist() == [1.0, 5.0]
    assert clean["y"].tolist() == [1, 0]
    assert quarantined[data.REASON_COLUMN].tolist() == [
        "all features missing",
        "missing y",
        "invalid y: not 0/1",
    ]


def test_missing_target_column_is_a_data_error(sample: pd.DataFrame) -> None:
    with pytest.raises(data.DataError, match="'label' not found"):
        data.quarantine(sample, "label")


def test_quarantine_fraction_limit() -> None:
    data.check_quarantine_fraction(total=100, quarantined=10, limit=0.1)
    with pytest.raises(data.DataError, match="11 of 100"):
        data.check_quarantine_fraction(total=100, quarantined=11, limit=0.1)
    with pytest.raises(data.DataError, match="no usable rows"):
        data.check_quarantine_fraction(total=3, quarantined=3, limit=1.0)


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
    assert roles.features == [*roles.numeric, *roles.categorical]


def test_id_detection_by_name_and_by_unique_values() -> None:
    frame = pd.DataFrame(
        {
            "order_key": [5, 5, 6],
            "email": ["a@x", "b@x", "c@x"],
            "row": [10, 11, 12],
            "price": [1.5, 2.5, 3.5],
            "plan": ["a", "a", "b"],
            "y": [0, 1, 0],
        }
    )
    assert data.detect_id_columns(frame, "y") == ["order_key", "email", "row"]


def test_explicit_id_columns_override_detection(sample: pd.DataFrame) -> None:
    roles = data.infer_roles(sample, "churned", ["customer_id", "region"])
    assert roles.ids == ["customer_id", "region"]
    assert "region" not in roles.features
    with pytest.raises(data.DataError, match="not_a_column"):
        data.infer_roles(sample, "churned", ["not_a_column"])


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


def test_sample_categories_collapse_to_canonical_values(sample: pd.DataFrame) -> None:
    assert sample["contract"].nunique() > 3
    normalised = data.normalise_categories(sample, ["contract", "region"])
    assert set(normalised["contract"]) == {"month_to_month", "one_year", "two_year"}
    assert set(normalised["region"].dropna()) == {"north", "south", "east", "west"}
    assert sample["contract"].nunique() > 3, "the input frame is not modified"
