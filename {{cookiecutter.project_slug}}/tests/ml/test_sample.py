from __future__ import annotations

from pathlib import Path

import pandas as pd

from {{ cookiecutter.package_name }}.ml import _ingest as ingest
from {{ cookiecutter.package_name }}.ml._sample import generate_churn, write_sample


def test_same_seed_same_table_other_seed_other_table() -> None:
    first = generate_churn(200, seed=3)
    pd.testing.assert_frame_equal(first, generate_churn(200, seed=3))
    assert not first.equals(generate_churn(200, seed=4))


def test_the_table_is_messy_in_every_documented_way() -> None:
    frame = generate_churn(1000, seed=7)
    assert len(frame) == 1020, "2% exact duplicates are added"
    assert frame.duplicated().sum() == 20
    assert frame["age"].isna().any()
    assert (frame["age"] == 999).any()
    total = frame["total_charges"].astype(str)
    assert (total == " ").any()
    assert total.str.contains(",").any()
    assert frame["contract"].nunique() > 3
    assert set(frame["churned"]) >= {"Yes", "No", "unknown"}


def test_shipped_sample_is_the_generated_one(sample_path: Path) -> None:
    shipped = ingest.load_table(sample_path)
    assert list(shipped.columns) == list(generate_churn(10).columns)
    assert len(shipped) == 1020


def test_writes_csv_and_parquet(tmp_path: Path) -> None:
    csv = write_sample(tmp_path / "s.csv", rows=50, seed=1)
    parquet = write_sample(tmp_path / "s.parquet", rows=50, seed=1)
    from_csv, from_parquet = ingest.load_table(csv), ingest.load_table(parquet)
    assert len(from_csv) == len(from_parquet) == 51
    assert list(from_csv.columns) == list(from_parquet.columns)
