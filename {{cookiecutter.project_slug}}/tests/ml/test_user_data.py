"""Reading what users have: delimiters, encodings, quotes, decimal commas, Parquet and SQL types.

Every fixture is written here: a ``;`` file, a latin-1 file, a quoted-comma file, a Parquet file
with booleans and timestamps, and an SQL query whose DuckDB reader turns yes/no into booleans.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.core.settings import ENV_PREFIX, get_settings
from {{ cookiecutter.package_name }}.ml import _batch as batch
from {{ cookiecutter.package_name }}.ml import _data as data
from {{ cookiecutter.package_name }}.ml import _errors as errors
from {{ cookiecutter.package_name }}.ml import _ingest as ingest
from {{ cookiecutter.package_name }}.ml import _train as train


def _rows(n: int = 60, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    balance = rng.normal(1000, 400, n).round(2)
    return pd.DataFrame(
        {
            "age": rng.integers(20, 70, n),
            "job": rng.choice(["admin.", "technician", "services"], n),
            "balance": balance,
            "married": rng.choice(["yes", "no"], n),
            "y": np.where(balance + rng.normal(0, 300, n) > 1000, "yes", "no"),
        }
    )


def test_semicolon_file_with_quotes_is_sniffed(tmp_path: Path) -> None:
    path = tmp_path / "bank.csv"
    frame = _rows()
    frame.to_csv(path, sep=";", index=False, quoting=1)  # every field quoted, as bank exports do
    read = ingest.load_table(path)
    assert list(read.columns) == ["age", "job", "balance", "married", "y"]
    assert read["job"].iloc[0] == frame["job"].iloc[0]
    assert ingest.detect_delimiter(path.read_text(encoding="utf-8")) == ";"


def test_latin1_file_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "clients.csv"
    path.write_bytes("ville,âge,résilié\nMontréal,34,oui\nQuébec,51,non\n".encode("latin-1"))
    read = ingest.load_table(path)
    assert list(read.columns) == ["ville", "âge", "résilié"]
    assert read["ville"].tolist() == ["Montréal", "Québec"]
    assert ingest.detect_encoding(path.read_bytes()) == "cp1252"


def test_quoted_commas_stay_in_their_field(tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    path.write_text(
        'name,city,amount,y\n"Smith, John","Paris, FR","1,234.50",1\n"Doe, Jane",Lyon,12,0\n',
        encoding="utf-8",
    )
    read = ingest.load_table(path)
    assert read.shape == (2, 4)
    assert read["name"].tolist() == ["Smith, John", "Doe, Jane"]
    assert data.to_number(read["amount"]).tolist() == [1234.5, 12.0]


def test_decimal_comma_is_a_setting_and_explicit_settings_win(tmp_path: Path) -> None:
    path = tmp_path / "eu.csv"
    path.write_text("montant;taux;y\n1.234,5;0,25;1\n12,75;1,5;0\n", encoding="utf-8")
    plain = ingest.load_table(path)
    assert plain["montant"].tolist() == ["1.234,5", "12,75"], "read as written by default"
    read = ingest.load_table(path, ingest.ReadOptions(decimal_comma=True))
    assert data.to_number(read["montant"]).tolist() == [1234.5, 12.75]
    assert data.to_number(read["taux"]).tolist() == [0.25, 1.5]
    forced = ingest.load_table(path, ingest.ReadOptions(delimiter=","))
    assert list(forced.columns) == ["montant;taux;y"], "an explicit delimiter overrides detection"


def test_parquet_booleans_and_timestamps_map_to_the_contract(tmp_path: Path) -> None:
    frame = _rows(80)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    frame["signed_up"] = [start + timedelta(days=i % 40) for i in range(len(frame))]
    frame["married"] = frame["married"] == "yes"  # a native bool column
    frame["y"] = frame["y"] == "yes"  # a native bool target
    path = ingest.write_parquet(frame, tmp_path / "t.parquet")
    read = ingest.load_table(path)
    assert set(read["married"]) == {"true", "false"}
    assert read["signed_up"].iloc[0].startswith("2024-01-01")
    prepared = train.prepare(read, "y", tmp_path / "s.json")
    assert prepared.contract.roles.dates == ["signed_up"]
    assert "married" in prepared.contract.roles.categorical
    assert prepared.contract.columns["married"]["categories"] == ["false", "true"]
    assert prepared.quarantined.empty, "native booleans are not quarantined"
    assert prepared.contract.classes == ["false", "true"]


def test_a_duckdb_query_with_native_booleans_trains_like_the_csv(tmp_path: Path) -> None:
    path = tmp_path / "bank.csv"
    _rows(80).to_csv(path, sep=";", index=False)
    # DuckDB's own CSV reader types yes/no columns as BOOLEAN.
    queried = ingest.load_query(f"SELECT * FROM read_csv('{path}', delim=';')")  # noqa: S608
    assert set(queried["married"]) == {"true", "false"}
    from_sql = train.prepare(queried, "y", tmp_path / "sql.json")
    from_csv = train.prepare(ingest.load_table(path), "y", tmp_path / "csv.json")
    assert from_sql.quarantined.empty
    assert len(from_sql.frame) == len(from_csv.frame) == 80
    assert from_sql.contract.contract_hash() == from_csv.contract.contract_hash()


def test_negative_codes_keep_their_sign() -> None:
    assert data.normalise_label("-99999") == "-99999"
    assert data.normalise_label(" Month-to-month ") == "month_to_month"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", r"data file is empty: .*f\.csv"),
        (b"   \n\n", r"data file is empty: .*f\.csv"),
        (b"a,b,y\n", r"f\.csv has a header but no rows"),
        (b"<!DOCTYPE html>\n<html><body>a,b</body></html>\n", r"f\.csv is an HTML/XML page"),
    ],
)
def test_unreadable_sources_name_the_file(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(content)
    with pytest.raises(errors.DataSourceError, match=message):
        ingest.load_table(path)


def _check(monkeypatch: pytest.MonkeyPatch, path: Path, target: str) -> batch.SourceCheck:
    monkeypatch.setenv(f"{ENV_PREFIX}ML__TARGET", target)
    get_settings.cache_clear()
    return batch.check_source(path)


def test_source_check_reads_target_and_classes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "bank.csv"
    _rows().to_csv(path, sep=";", index=False)
    checked = _check(monkeypatch, path, "y")
    assert (checked.rows, checked.columns) == (60, 5)
    assert sorted(checked.classes) == ["no", "yes"]


def test_missing_target_suggests_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "bank.csv"
    _rows().to_csv(path, sep=";", index=False)
    with pytest.raises(errors.TargetError, match=r"target column 'Y' not found") as caught:
        _check(monkeypatch, path, "Y")
    assert "did you mean 'y'" in caught.value.hint
    one_column = ingest.load_table(path, ingest.ReadOptions(delimiter=","))
    with pytest.raises(errors.TargetError) as glued:
        data.check_target_column(one_column.columns, "y")
    assert "ML__CSV_DELIMITER" in glued.value.hint


def test_a_three_class_target_is_not_binary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    frame = _rows(90)
    frame["y"] = np.repeat(["low", "mid", "high"], 30)
    path = tmp_path / "three.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(errors.TargetError, match=r"target 'y' is not binary: 3 classes"):
        _check(monkeypatch, path, "y")


def test_classes_too_small_to_hold_out_and_cross_validate_are_named() -> None:
    # 20 % holdout and 3 folds: each class needs a holdout row plus one row per fold.
    assert data.min_class_rows(0.2, 3) == 5
    assert data.min_class_rows(0.5, 2) == 5
    enough = pd.Series({"no": 40, "yes": 5})
    data.check_class_sizes(enough, "y", 0.2, 3)
    with pytest.raises(errors.TargetError) as caught:
        data.check_class_sizes(pd.Series({"no": 40, "yes": 4, "typo": 1}), "y", 0.2, 3)
    assert "target 'y' has 'yes': 4" in caught.value.message
    assert "at least 5" in caught.value.message
    assert "ML__CV_FOLDS" in caught.value.hint
    # The smallest set the check lets through does split for the holdout and every fold.
    frame = _rows(10)
    frame["y"] = np.tile([0.0, 1.0], 5)
    roles = data.ColumnRoles(numeric=["age", "balance"], categorical=["job"])
    split = train.split_data(frame, roles, "y", 0.2, 42)
    assert split.y_train.value_counts().min() >= 3  # the folds
    assert split.y_test.nunique() == 2  # both classes held out


def test_a_stray_target_value_is_quarantined_not_fatal() -> None:
    values = pd.Series(["yes"] * 150 + ["no"] * 149 + ["maybe"], name="y")
    encoded, classes = data.encode_target(values)
    assert classes == ["no", "yes"]
    assert int(encoded.isna().sum()) == 1
