"""Load the training table, quarantine unusable rows and infer column roles (plain functions)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

REASON_COLUMN = "quarantine_reason"
_ID_NAME = re.compile(r"(^|_)(id|uuid|key)$", re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s\-_/]+")


class DataError(ValueError):
    """The training data cannot be used (missing column, too many bad rows)."""


@dataclass(frozen=True)
class ColumnRoles:
    """How each column of the training table is used."""

    numeric: list[str]
    categorical: list[str]
    ids: list[str]

    @property
    def features(self) -> list[str]:
        """All model inputs: numeric then categorical."""
        return [*self.numeric, *self.categorical]


def load_table(path: Path) -> pd.DataFrame:
    """Read a CSV file; blank cells become missing values.

    Raises:
        FileNotFoundError: ``path`` does not exist (the message names it).
    """
    if not path.is_file():
        raise FileNotFoundError(f"training data not found: {path}")
    return pd.read_csv(path, skipinitialspace=True)


def quarantine(
    frame: pd.DataFrame, target: str, feature_columns: Sequence[str] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split ``frame`` into usable rows and quarantined rows (with a ``quarantine_reason``).

    A row is quarantined when its target is missing or not 0/1, or when every feature is blank.
    The clean frame gets an integer target.

    Raises:
        DataError: ``target`` is not a column of ``frame``.
    """
    if target not in frame.columns:
        raise DataError(f"target column {target!r} not found; columns: {list(frame.columns)}")
    features = list(feature_columns or [c for c in frame.columns if c != target])
    labels = pd.to_numeric(frame[target], errors="coerce")
    reasons = pd.Series("", index=frame.index, dtype=object)
    reasons[frame[features].isna().all(axis=1)] = "all features missing"
    reasons[~labels.isin([0, 1])] = f"invalid {target}: not 0/1"
    reasons[frame[target].isna()] = f"missing {target}"
    bad = reasons != ""
    quarantined = frame[bad].assign(**{REASON_COLUMN: reasons[bad]})
    clean = frame[~bad].assign(**{target: labels[~bad].astype(int)})
    return clean.reset_index(drop=True), quarantined.reset_index(drop=True)


def check_quarantine_fraction(total: int, quarantined: int, limit: float) -> None:
    """Refuse to train when too many rows were quarantined.

    Raises:
        DataError: ``quarantined / total`` exceeds ``limit`` or nothing is left.
    """
    if quarantined >= total:
        raise DataError(f"no usable rows: {quarantined} of {total} quarantined")
    if quarantined / total > limit:
        raise DataError(
            f"{quarantined} of {total} rows quarantined ({quarantined / total:.1%}), "
            f"above max_quarantine_fraction={limit:.1%}"
        )


def detect_id_columns(frame: pd.DataFrame, target: str) -> list[str]:
    """Columns that identify rows rather than describe them.

    A column is an identifier when its name says so (``id``, ``customer_id``, ``uuid``, ``key``)
    or when it holds text or integers with a distinct value on every row.
    """
    ids = []
    for column in frame.columns:
        if column == target:
            continue
        values = frame[column]
        unique_per_row = len(frame) > 1 and values.nunique(dropna=False) == len(frame)
        discrete = pd.api.types.is_integer_dtype(values) or not pd.api.types.is_numeric_dtype(
            values
        )
        if _ID_NAME.search(str(column)) or (unique_per_row and discrete):
            ids.append(str(column))
    return ids


def infer_roles(
    frame: pd.DataFrame, target: str, id_columns: Sequence[str] | None = None
) -> ColumnRoles:
    """Sort the non-target columns into numeric features, categorical features and identifiers.

    ``id_columns`` overrides detection when given; unknown names are an error.

    Raises:
        DataError: an explicit id column is not in ``frame``.
    """
    missing = sorted(set(id_columns or []) - set(frame.columns))
    if missing:
        raise DataError(f"id_columns not found in the data: {missing}")
    ids = list(id_columns) if id_columns else detect_id_columns(frame, target)
    rest = [str(c) for c in frame.columns if c != target and c not in ids]
    numeric = [c for c in rest if pd.api.types.is_numeric_dtype(frame[c])]
    categorical = [c for c in rest if c not in numeric]
    return ColumnRoles(numeric=numeric, categorical=categorical, ids=ids)


def normalise_label(value: object) -> object:
    """``" Month-to-month"``, ``"MONTH TO MONTH"`` -> ``"month_to_month"``; blanks -> NaN."""
    if not isinstance(value, str):
        return value
    text = _SEPARATORS.sub("_", value.strip().lower()).strip("_")
    return text or np.nan


def normalise_categories(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Return a copy of ``frame`` with the spelling and case of ``columns`` made consistent."""
    result = frame.copy()
    for column in columns:
        result[column] = result[column].map(normalise_label).astype(object)
    return result
