"""The data contract: inference, the frozen file, lazy validation and quarantine with reasons."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.ml import _data as data
from {{ cookiecutter.package_name }}.ml import _errors as errors
from {{ cookiecutter.package_name }}.ml import _schema as schema
from {{ cookiecutter.package_name }}.ml import _train as train
from tests.ml.conftest import SCHEMA_PATH


def _contract(frame: pd.DataFrame) -> tuple[data.CleanTable, schema.FrozenSchema]:
    cleaned = data.clean_table(frame, "churned")
    return cleaned, schema.infer(cleaned.frame, cleaned.roles, "churned", cleaned.classes)


def test_inferred_schema_describes_the_sample(sample: pd.DataFrame) -> None:
    _, contract = _contract(sample)
    columns = contract.columns
    assert columns["contract"]["categories"] == ["month_to_month", "one_year", "two_year"]
    assert columns["region"]["nullable"] is True
    assert (
        columns["tenure_months"] | {"nullable": False, "integer": True, "min": 0.0}
        == columns["tenure_months"]
    )
    # Robust ranges: the 999 ages are far outside the range inferred from the bulk.
    assert 85 < columns["age"]["max"] < 999
    assert contract.classes == ["No", "Yes"]
    assert contract.roles.ids == ["customer_id"]


def test_inferred_ranges_keep_a_skewed_measure_and_catch_gross_errors() -> None:
    # Heavy right tails, as measurements and amounts have (breast-cancer "area error", incomes):
    # a linear range quarantined about 1% of such real rows, the most extreme cases of a class.
    rng = np.random.default_rng(7)
    sizes = pd.Series(rng.lognormal(mean=3.0, sigma=0.9, size=2_000)).round(3)
    with_zeros = pd.Series(np.where(rng.random(2_000) < 0.1, 0.0, rng.exponential(0.04, 2_000)))
    for values in (sizes, with_zeros):
        spec = schema.numeric_spec(values)
        assert spec["min"] == 0.0
        # Every real row fits; a value 1,000 times the largest (a unit mistake) does not.
        assert values.max() <= spec["max"] < 1_000 * values.max()
    ages = pd.Series([*rng.integers(18, 90, 1_000), 999])
    assert 89 <= schema.numeric_spec(ages)["max"] < 999  # the data-entry error stays out
    signed = pd.Series(rng.normal(0.0, 1.0, 1_000))
    bounds = schema.numeric_spec(signed)
    assert bounds["min"] <= signed.min() < signed.max() <= bounds["max"]
    assert schema.numeric_spec(pd.Series([0.2075, 0.2, 0.1]))["max"] >= 0.2075  # rounded up


def test_a_stray_negative_value_keeps_a_linear_range() -> None:
    # Below the 0.5% quantile, so the column still reads as non-negative: the log scale would
    # take the log of it (NaN) and bound the column at 0, quarantining every row.
    rng = np.random.default_rng(3)
    values = pd.Series([*rng.exponential(10.0, 1_000), -0.5])
    spec = schema.numeric_spec(values)
    assert spec["min"] == 0.0
    assert values.quantile(0.995) < spec["max"] < values.max() * 100


def test_schema_file_round_trips_and_is_readable(sample: pd.DataFrame, tmp_path: Path) -> None:
    _, contract = _contract(sample)
    path = schema.save(contract, tmp_path / "s.schema.json")
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["status"] == "inferred"
    assert document["columns"]["age"]["kind"] == "numeric"
    loaded = schema.load(path)
    assert loaded is not None
    assert loaded.columns == contract.columns
    assert loaded.roles == contract.roles
    assert schema.load(tmp_path / "none.json") is None


def test_shipped_schema_is_reviewed_and_enforced(sample: pd.DataFrame) -> None:
    contract = schema.load(SCHEMA_PATH)
    assert contract is not None
    assert contract.status == "reviewed"
    assert contract.columns["age"]["max"] == 120.0
    cleaned = data.clean_table(sample, "churned", contract.roles)
    valid, quarantined = schema.validate(cleaned.frame, sample, contract)
    assert len(valid) + len(quarantined) == len(cleaned.frame)
    reasons = quarantined[schema.REASON_COLUMN]
    assert reasons.str.contains(r"churned: not one of \['No', 'Yes'\]").sum() >= 8
    assert reasons.str.contains(r"age: in_range\(0.0, 120.0\) \(raw '999'\)").sum() >= 1
    # Quarantined rows are the raw rows, as they were in the file.
    assert set(quarantined["churned"].fillna("")) - {"Yes", "No"} >= {"unknown", "N/A", ""}


def test_every_failing_row_is_collected_with_all_its_reasons(sample: pd.DataFrame) -> None:
    _, contract = _contract(sample.head(200))
    raw = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d"],
            "age": ["30", "999", "40", "abc"],
            "tenure_months": ["5", "6", "", "7"],
            "monthly_charges": ["50", "60", "70", "80"],
            "total_charges": ["100", "200", "300", "400"],
            "support_calls": ["0", "1", "2", "3"],
            "contract": ["One year", "weekly", "Two year", "One year"],
            "payment_method": ["Credit card"] * 4,
            "region": ["north"] * 4,
            "churned": ["Yes", "No", "maybe", "No"],
        }
    )
    batch = data.clean_table(raw, "churned", contract.roles)
    valid, quarantined = schema.validate(batch.frame, raw, contract)
    assert valid["customer_id"].tolist() == ["a"]
    reasons = dict(zip(quarantined["customer_id"], quarantined[schema.REASON_COLUMN], strict=True))
    assert "age: in_range" in reasons["b"]
    assert "contract: isin" in reasons["b"]
    assert "(raw 'weekly')" in reasons["b"]
    assert "tenure_months: not_nullable (raw blank)" in reasons["c"]
    assert "churned: not one of" in reasons["c"]
    assert "age" in reasons["d"]


def test_missing_column_fails_the_run(sample: pd.DataFrame) -> None:
    cleaned, contract = _contract(sample)
    with pytest.raises(errors.DataError, match=r"missing: \['region'\]"):
        schema.validate(cleaned.frame, sample.drop(columns="region"), contract)


def test_prepare_infers_once_then_enforces(sample: pd.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "data.schema.json"
    unsaved = train.prepare(sample, "churned", path)
    assert unsaved.schema_written
    assert not path.exists(), "written only when asked (the flow asks once the run succeeded)"
    first = train.prepare(sample, "churned", path, save_schema=True)
    assert first.schema_written
    assert path.is_file()
    assert first.rows_total == len(sample)
    assert first.duplicates == 20
    assert set(first.frame["churned"]) == {0, 1}
    # A reviewer narrows a category list: later runs enforce the edited file.
    document = json.loads(path.read_text(encoding="utf-8"))
    document["columns"]["region"]["categories"] = ["north", "south"]
    path.write_text(json.dumps(document), encoding="utf-8")
    second = train.prepare(sample, "churned", path)
    assert not second.schema_written
    assert len(second.quarantined) > len(first.quarantined)
    assert second.quarantined[schema.REASON_COLUMN].str.contains("region: isin").any()


def test_prepare_enforces_the_quarantine_limit(sample: pd.DataFrame, tmp_path: Path) -> None:
    with pytest.raises(errors.DataError, match="rows quarantined"):
        train.prepare(sample, "churned", tmp_path / "s.json", max_quarantine_fraction=0.001)


def test_a_copy_of_the_target_is_refused_before_training(
    sample: pd.DataFrame, tmp_path: Path
) -> None:
    """Titanic's `alive` beside `survived`: the model scored 1.000 and shipped to production."""
    leaky = sample.assign(status_after=sample["churned"].map({"Yes": "gone", "No": "stayed"}))

    with pytest.raises(errors.DataError) as refused:
        train.prepare(leaky, "churned", tmp_path / "s.json", leakage_check=True)

    assert str(refused.value).startswith("'status_after' (ROC AUC 1.000 alone) predicts 'churned'")
    assert "ML__LEAKAGE_CHECK=false" in refused.value.hint
    allowed = train.prepare(leaky, "churned", tmp_path / "s.json", leakage_check=False)
    assert "status_after" in allowed.contract.roles.categorical
    clean = train.prepare(sample, "churned", tmp_path / "clean.json", leakage_check=True)
    assert clean.contract.roles.features  # the shipped sample's real signals pass


def test_a_reviewed_schema_may_keep_a_column_that_predicts_the_target(
    sample: pd.DataFrame, tmp_path: Path
) -> None:
    leaky = sample.assign(status_after=sample["churned"].map({"Yes": "gone", "No": "stayed"}))
    path = tmp_path / "s.json"
    train.prepare(leaky, "churned", path, save_schema=True, leakage_check=False)
    document = json.loads(path.read_text())
    path.write_text(json.dumps({**document, "status": "reviewed"}))

    kept = train.prepare(leaky, "churned", path, leakage_check=True)

    assert "status_after" in kept.contract.roles.categorical
