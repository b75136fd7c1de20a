"""Read a table from a CSV or Parquet file, or from a SQL query (plain functions).

* CSV: pandas, every cell read as text, so the cleaning step sees exactly what the file holds
  (``"1,234.50"``, blanks) and decides the types itself.
* Parquet: DuckDB (no pyarrow needed).
* SQL: a SQLAlchemy URL (Postgres, MySQL, SQLite...) or, without a URL, DuckDB in memory, which
  can query local files directly: ``SELECT * FROM 'data/ml/*.parquet' WHERE ...``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pandas as pd
import sqlalchemy


def load_table(path: Path) -> pd.DataFrame:
    """Read ``path`` (``.csv``/``.txt``/``.tsv`` or ``.parquet``/``.pq``).

    Raises:
        FileNotFoundError: ``path`` does not exist (the message names it).
        ValueError: the file type is not supported.
    """
    if not path.is_file():
        raise FileNotFoundError(f"data file not found: {path}")
    suffix = path.suffix.lower()
    if suffix in {".parquet", ".pq"}:
        return read_parquet(path)
    if suffix in {".csv", ".txt", ".tsv"}:
        return pd.read_csv(
            path,
            sep="\t" if suffix == ".tsv" else ",",
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            skipinitialspace=True,
        )
    raise ValueError(f"unsupported data file {path.name}: use .csv, .tsv or .parquet")


def load_query(query: str, url: str = "") -> pd.DataFrame:
    """Run ``query`` against the SQLAlchemy ``url``; without a URL, against in-memory DuckDB."""
    if not url:
        with duckdb.connect() as connection:
            return connection.sql(query).df()
    engine = sqlalchemy.create_engine(url)
    try:
        with engine.connect() as connection:
            return pd.read_sql_query(sqlalchemy.text(query), connection)
    finally:
        engine.dispose()


def read_parquet(path: Path) -> pd.DataFrame:
    """Read a Parquet file with DuckDB."""
    with duckdb.connect() as connection:
        return connection.read_parquet(str(path)).df()


def write_parquet(frame: pd.DataFrame, path: Path) -> Path:
    """Write ``frame`` to a Parquet file with DuckDB."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect() as connection:
        connection.from_df(frame).write_parquet(str(path))
    return path


def frame_hash(frame: pd.DataFrame, length: int = 8) -> str:
    """Short SHA-256 of the table's content: same rows, same hash, whatever the source."""
    digest = hashlib.sha256(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    digest.update(",".join(map(str, frame.columns)).encode())
    return digest.hexdigest()[:length]
