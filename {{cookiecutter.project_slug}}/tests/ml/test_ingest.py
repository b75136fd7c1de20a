from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.ml import _errors as errors
from {{ cookiecutter.package_name }}.ml import _ingest as ingest


def test_csv_cells_are_read_as_text(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text('a,b\n"1,234.50",x\n,y\n', encoding="utf-8")
    frame = ingest.load_table(path)
    assert frame["a"].iloc[0] == "1,234.50"
    assert pd.isna(frame["a"].iloc[1])


def test_missing_file_and_unknown_type_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(errors.DataSourceError, match=r"data file not found: .*nope\.csv"):
        ingest.load_table(tmp_path / "nope.csv")
    (tmp_path / "t.xlsx").write_text("x", encoding="utf-8")
    with pytest.raises(errors.DataSourceError, match=r"unsupported data file t\.xlsx"):
        ingest.load_table(tmp_path / "t.xlsx")


def test_parquet_round_trip_and_duckdb_query(tmp_path: Path) -> None:
    frame = pd.DataFrame({"x": [1.5, 2.5, 3.5], "c": ["a", "b", "a"]})
    path = ingest.write_parquet(frame, tmp_path / "t.parquet")
    pd.testing.assert_frame_equal(ingest.load_table(path), frame, check_dtype=False)
    queried = ingest.load_query(f"SELECT * FROM '{path}' WHERE c = 'a'")  # noqa: S608
    assert queried["x"].tolist() == [1.5, 3.5]


def test_sqlalchemy_url(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    with sqlite3.connect(db) as connection:
        connection.execute("CREATE TABLE customers (x REAL, churned TEXT)")
        connection.executemany("INSERT INTO customers VALUES (?, ?)", [(1.0, "Yes"), (2.0, "No")])
    frame = ingest.load_query("SELECT * FROM customers ORDER BY x", f"sqlite:///{db}")
    assert frame.to_dict("list") == {"x": [1.0, 2.0], "churned": ["Yes", "No"]}


def test_frame_hash_follows_content() -> None:
    frame = pd.DataFrame({"a": ["1", "2"]})
    digest = ingest.frame_hash(frame)
    assert len(digest) == 8
    assert ingest.frame_hash(frame.copy()) == digest
    assert ingest.frame_hash(pd.DataFrame({"a": ["1", "3"]})) != digest
    assert ingest.frame_hash(pd.DataFrame({"b": ["1", "2"]})) != digest
