"""Read a table from a CSV or Parquet file, or from a SQL query (plain functions).

* CSV: the encoding (UTF-8, else Windows-1252/latin-1) and the delimiter (``,`` ``;`` tab ``|``)
  are sniffed from the start of the file unless :class:`ReadOptions` names them; quoted fields
  may hold the delimiter. Every cell is read as text, so the cleaning step sees exactly what the
  file holds (``"1,234.50"``, blanks) and decides the types itself. With ``decimal_comma``,
  ``"1.234,5"`` is read as ``1234.5``.
* Parquet: DuckDB (no pyarrow needed).
* SQL: a SQLAlchemy URL (Postgres, MySQL, SQLite...) or, without a URL, DuckDB in memory, which
  can query local files directly: ``SELECT * FROM 'data/ml/*.parquet' WHERE ...``.

Native column types (Parquet, SQL) are mapped to the same contract as CSV text: booleans become
``"true"``/``"false"``, dates and timestamps ISO text, categoricals their labels, integers
floats. So a column means the same thing whatever the source.
"""

from __future__ import annotations

import csv
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ._errors import DataSourceError

CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
DELIMITERS = ",;\t|"
SNIFF_BYTES = 64 * 1024
_DECIMAL_COMMA = re.compile(r"^\s*[-+]?(\d{1,3}(\.\d{3})+|\d+),\d+\s*$")
_HTML = re.compile(rb"^\s*(<!doctype html|<html|<\?xml|<head|<body|<table)", re.IGNORECASE)


@dataclass(frozen=True)
class ReadOptions:
    """How to read a CSV: blank ``delimiter``/``encoding`` means detect it."""

    delimiter: str = ""
    encoding: str = ""
    decimal_comma: bool = False


def detect_encoding(head: bytes) -> str:
    """``utf-8-sig`` when the bytes decode as UTF-8 (BOM or not), else ``cp1252``, else latin-1."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            head.decode(encoding)
        except UnicodeDecodeError as error:
            if encoding == "utf-8-sig" and error.start >= len(head) - 3:
                return encoding  # a multi-byte character cut by the sniffing window
            continue
        return encoding
    return "latin-1"


def detect_delimiter(text: str) -> str:
    """The delimiter of a CSV sample.

    :class:`csv.Sniffer` over ``, ; tab |``, else the most frequent of them in the header line,
    else ``,``.
    """
    lines = [line for line in text.splitlines() if line.strip()][:50]
    if not lines:
        return ","
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=DELIMITERS).delimiter
    except csv.Error:
        counts = {d: lines[0].count(d) for d in DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


def _check_file(path: Path) -> bytes:
    """The first bytes of ``path``, after checking it exists, is a file, readable and not empty."""
    if not path.exists():
        raise DataSourceError(
            f"data file not found: {path}", "check the path (ML__DATA_PATH or --data-path)"
        )
    if not path.is_file():
        raise DataSourceError(f"data path is not a file: {path}", "point it at a CSV or Parquet")
    try:
        with path.open("rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except OSError as error:
        message = f"cannot read {path}: {error.strerror}"
        raise DataSourceError(message, "check its permissions") from error
    if not head.strip():
        raise DataSourceError(f"data file is empty: {path}", "export the table again")
    return head


def load_table(path: Path, options: ReadOptions | None = None) -> pd.DataFrame:
    """Read ``path`` (``.csv``/``.txt``/``.tsv`` or ``.parquet``/``.pq``).

    Raises:
        DataSourceError: ``path`` is missing, unreadable, empty, not a table (an HTML page saved
            as ``.csv``), has no rows, or its type is not supported. The message names the file.
    """
    head = _check_file(path)
    suffix = path.suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        frame = read_parquet(path)
    elif suffix in CSV_SUFFIXES:
        frame = _read_csv(path, head, options or ReadOptions(), tsv=suffix == ".tsv")
    else:
        raise DataSourceError(
            f"unsupported data file {path.name}", "use .csv, .tsv, .txt or .parquet"
        )
    if frame.empty:
        raise DataSourceError(f"{path} has a header but no rows", "export the rows too")
    return frame


def _read_csv(path: Path, head: bytes, options: ReadOptions, *, tsv: bool) -> pd.DataFrame:
    if _HTML.match(head) or head.lstrip()[:1] == b"<":
        raise DataSourceError(
            f"{path} is an HTML/XML page, not a CSV",
            "download the raw file (on GitHub: the 'Raw' link), not the web page",
        )
    if b"\x00" in head:
        raise DataSourceError(f"{path} is a binary file, not a CSV", "export it as CSV or Parquet")
    encoding = options.encoding or detect_encoding(head)
    delimiter = options.delimiter or ("\t" if tsv else detect_delimiter(_decode(head, encoding)))
    try:
        frame = pd.read_csv(
            path,
            sep=delimiter,
            encoding=encoding,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            skipinitialspace=True,
        )
    except (pd.errors.ParserError, UnicodeDecodeError, LookupError) as error:
        first = str(error).strip().splitlines()[0]
        raise DataSourceError(
            f"cannot parse {path} as CSV (delimiter {delimiter!r}, encoding {encoding}): {first}",
            "set ML__CSV_DELIMITER / ML__CSV_ENCODING if detection guessed wrong",
        ) from error
    except pd.errors.EmptyDataError as error:
        raise DataSourceError(f"data file is empty: {path}", "export the table again") from error
    frame = frame.rename(columns=lambda c: str(c).strip())
    return decimal_commas(frame) if options.decimal_comma else frame


def _decode(head: bytes, encoding: str) -> str:
    return head.decode(encoding, errors="ignore")


def decimal_commas(frame: pd.DataFrame) -> pd.DataFrame:
    """``"1.234,5"`` -> ``"1234.5"`` in every text cell that is a decimal-comma number."""
    result = frame.copy()
    for column in result.columns:
        values = result[column]
        if not (values.dtype == object or pd.api.types.is_string_dtype(values)):
            continue
        text = values.astype(str)
        hits = values.notna() & text.str.match(_DECIMAL_COMMA)
        if hits.any():
            fixed = text[hits].str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
            result.loc[hits, column] = fixed.str.strip()
    return result


def load_query(query: str, url: str = "") -> pd.DataFrame:
    """Run ``query`` against the SQLAlchemy ``url``; without a URL, against in-memory DuckDB.

    Raises:
        DataSourceError: the query fails or returns no rows.
    """
    import duckdb  # noqa: PLC0415  (DuckDB is imported by the paths that use it: CSV needs none)

    try:
        frame = _duckdb_query(query) if not url else _sqlalchemy_query(query, url)
    except duckdb.Error as error:
        first = str(error).strip().splitlines()[0]
        raise DataSourceError(f"SQL query failed: {first}", "check ML__SQL_QUERY") from error
    if frame.empty:
        raise DataSourceError("SQL query returned no rows", "check ML__SQL_QUERY")
    return native_to_text(frame)


def _duckdb_query(query: str) -> pd.DataFrame:
    import duckdb  # noqa: PLC0415

    with duckdb.connect() as connection:
        return connection.sql(query).df()


def _sqlalchemy_query(query: str, url: str) -> pd.DataFrame:
    import sqlalchemy  # noqa: PLC0415  (a second of import; only for a database URL)

    engine = sqlalchemy.create_engine(url)
    try:
        with engine.connect() as connection:
            return pd.read_sql_query(sqlalchemy.text(query), connection)
    except sqlalchemy.exc.SQLAlchemyError as error:
        first = str(error).strip().splitlines()[0]
        raise DataSourceError(f"SQL query failed: {first}", "check ML__SQL_QUERY") from error
    finally:
        engine.dispose()


def native_to_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Map native column types to the contract CSV text follows (see the module doc)."""
    result = frame.copy()
    for column in result.columns:
        values = result[column]
        if pd.api.types.is_bool_dtype(values) or _is_bool_objects(values):
            result[column] = values.map(_bool_text, na_action="ignore").astype(object)
        elif isinstance(values.dtype, pd.CategoricalDtype):
            result[column] = values.astype(object).where(values.notna(), np.nan)
        elif pd.api.types.is_datetime64_any_dtype(values) or _is_date_objects(values):
            stamps = pd.to_datetime(values, errors="coerce")
            result[column] = stamps.map(lambda v: v.isoformat(), na_action="ignore").astype(object)
        elif pd.api.types.is_numeric_dtype(values):
            result[column] = pd.to_numeric(values, errors="coerce").astype(float)
    return result


def _bool_text(value: object) -> object:
    return "true" if bool(value) else "false"


def _is_bool_objects(values: pd.Series) -> bool:
    present = values.dropna()
    return values.dtype == object and len(present) > 0 and present.map(type).eq(bool).all()


def _is_date_objects(values: pd.Series) -> bool:
    import datetime as dt  # noqa: PLC0415

    present = values.dropna()
    return (
        values.dtype == object
        and len(present) > 0
        and present.map(lambda v: isinstance(v, dt.date)).all()
    )


def read_parquet(path: Path) -> pd.DataFrame:
    """Read a Parquet file with DuckDB; native types mapped by :func:`native_to_text`.

    Raises:
        DataSourceError: the file is not a Parquet file.
    """
    import duckdb  # noqa: PLC0415

    try:
        with duckdb.connect() as connection:
            frame = connection.read_parquet(str(path)).df()
    except duckdb.Error as error:
        first = str(error).strip().splitlines()[0]
        raise DataSourceError(f"cannot read {path} as Parquet: {first}") from error
    return native_to_text(frame)


def write_parquet(frame: pd.DataFrame, path: Path) -> Path:
    """Write ``frame`` to a Parquet file with DuckDB."""
    import duckdb  # noqa: PLC0415

    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect() as connection:
        connection.from_df(frame).write_parquet(str(path))
    return path


def frame_hash(frame: pd.DataFrame, length: int = 8) -> str:
    """Short SHA-256 of the table's content: same rows, same hash, whatever the source."""
    digest = hashlib.sha256(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    digest.update(",".join(map(str, frame.columns)).encode())
    return digest.hexdigest()[:length]


def source_key(path: Path | None, query: str = "") -> str:
    """A file-name-safe key of a data source (schema and quarantine files are kept per source).

    ``<stem>-<hash of the absolute path>`` for a file, ``sql-<hash of the query>`` for a query.
    """
    if path is None:
        return f"sql-{hashlib.sha256(query.strip().encode()).hexdigest()[:10]}"
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", path.stem)[:40]
    digest = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:10]
    return f"{stem}-{digest}"
