"""Clean a raw table: column roles, numbers stored as text, category spelling, target, duplicates.

Plain functions on pandas frames. :func:`prepare_features` is also the first step of the saved
model pipeline, so serving cleans raw rows exactly the way training did.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ._errors import DataError, TargetError

_ID_NAME = re.compile(r"(^|_)(id|uuid|key)$", re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s\-_/]+")
_NOT_NUMERIC = re.compile(r"[,$€£%\s]")
_POSITIVE = ("1", "1.0", "yes", "y", "true", "t", "positive", "pos")
NUMERIC_SHARE = 0.95


# Beyond the two classes, a value this frequent (share of labelled rows) means "not binary";
# rarer stray values are typos and their rows are quarantined.
STRAY_TARGET_SHARE = 0.01
_NUMBER_TEXT = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$")
_DATE_TEXT = re.compile(
    r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:?\d{2}|Z)?)?$"
)
_SHOWN_COLUMNS = 12


@dataclass(frozen=True)
class ColumnRoles:
    """How each column of the table is used."""

    numeric: list[str]
    categorical: list[str]
    ids: list[str] = field(default_factory=list)
    dates: list[str] = field(default_factory=list)

    @property
    def features(self) -> list[str]:
        """All model inputs: numeric then categorical."""
        return [*self.numeric, *self.categorical]


@dataclass(frozen=True)
class CleanTable:
    """The cleaned table (original row index kept) and what cleaning decided."""

    frame: pd.DataFrame
    roles: ColumnRoles
    classes: list[Any]
    duplicates: int


def to_number(values: pd.Series) -> pd.Series:
    """``"1,234.50"``, ``" 12 "``, ``"$5"`` -> floats; blanks and words -> NaN."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.astype(float)
    text = values.astype(object).map(lambda v: _NOT_NUMERIC.sub("", v) if isinstance(v, str) else v)
    return pd.to_numeric(text.replace("", np.nan), errors="coerce").astype(float)


def looks_numeric(values: pd.Series, share: float = NUMERIC_SHARE) -> bool:
    """Whether at least ``share`` of the non-blank values read as numbers."""
    if pd.api.types.is_bool_dtype(values):
        return False
    if pd.api.types.is_numeric_dtype(values):
        return True
    present = values.dropna().astype(str).str.strip()
    present = present[present != ""]
    return len(present) > 0 and float(to_number(present).notna().mean()) >= share


def detect_id_columns(frame: pd.DataFrame, target: str) -> list[str]:
    """Columns that identify rows rather than describe them.

    A column is an identifier when its name says so (``id``, ``customer_id``, ``uuid``, ``key``)
    or when it holds text or whole numbers with a distinct value on (almost) every row.
    """
    ids = []
    for column in frame.columns:
        if column == target:
            continue
        values = frame[column]
        unique_per_row = len(frame) > 1 and values.nunique() >= 0.99 * len(frame)
        numbers = to_number(values) if looks_numeric(values) else None
        whole = numbers is not None and bool((numbers.dropna() % 1 == 0).all())
        if _ID_NAME.search(str(column)) or (unique_per_row and (numbers is None or whole)):
            ids.append(str(column))
    return ids


def infer_roles(
    frame: pd.DataFrame, target: str, id_columns: Sequence[str] | None = None
) -> ColumnRoles:
    """Sort the non-target columns into numeric features, categorical features and identifiers.

    Numbers stored as text count as numeric. ``id_columns`` overrides the id detection.

    Raises:
        DataError: ``target`` or an explicit id column is not in ``frame``.
    """
    check_target_column(frame.columns, target)
    missing = sorted(set(id_columns or []) - set(frame.columns))
    if missing:
        raise DataError(f"id_columns not found in the data: {missing}", "fix ML__ID_COLUMNS")
    dates = [str(c) for c in frame.columns if c != target and looks_like_dates(frame[c])]
    ids = list(id_columns) if id_columns else detect_id_columns(frame.drop(columns=dates), target)
    rest = [str(c) for c in frame.columns if c != target and c not in ids and c not in dates]
    numeric = [c for c in rest if looks_numeric(frame[c])]
    categorical = [c for c in rest if c not in numeric]
    return ColumnRoles(numeric=numeric, categorical=categorical, ids=ids, dates=dates)


def check_target_column(columns: Sequence[object], target: str, source: str = "the data") -> None:
    """Raise :class:`TargetError` naming the closest column when ``target`` is not a column."""
    names = [str(c) for c in columns]
    if target in names:
        return
    import difflib  # noqa: PLC0415

    folded = [n for n in names if n.strip().lower() == target.strip().lower()]
    close = folded or difflib.get_close_matches(target, names, n=1, cutoff=0.6)
    if len(names) == 1 and any(d in names[0] for d in ";|\t"):
        hint = "the header is one column: set ML__CSV_DELIMITER to the file's delimiter"
    elif close:
        hint = f"did you mean {close[0]!r}? set ML__TARGET"
    else:
        hint = "set ML__TARGET to the column to predict"
    more = len(names) - _SHOWN_COLUMNS
    shown = names if more <= 0 else [*names[:_SHOWN_COLUMNS], f"... {more} more"]
    raise TargetError(f"target column {target!r} not found in {source}; columns: {shown}", hint)


def looks_like_dates(values: pd.Series, share: float = NUMERIC_SHARE) -> bool:
    """Whether at least ``share`` of the non-blank values are ISO dates or timestamps.

    Dates are not model inputs as such (derive features from them in SQL or your own code).
    """
    present = values.dropna().astype(str).str.strip()
    present = present[present != ""]
    return len(present) > 0 and float(present.str.match(_DATE_TEXT).mean()) >= share


def normalise_label(value: object) -> object:
    """``" Month-to-month"``, ``"MONTH TO MONTH"`` -> ``"month_to_month"``; blanks -> NaN."""
    if not isinstance(value, str):
        return value
    stripped = value.strip()
    if _NUMBER_TEXT.match(stripped):
        return stripped  # -99999 stays -99999 (a sign is not a separator)
    text = _SEPARATORS.sub("_", stripped.lower()).strip("_")
    return text or np.nan


def normalise_categories(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Return a copy of ``frame`` with the spelling and case of ``columns`` made consistent."""
    result = frame.copy()
    for column in columns:
        values = result[column]
        seen: dict[tuple[type, object], object] = {}
        spelled = [_spell(v, seen) for v in values.astype(object)]
        result[column] = pd.Series(spelled, index=values.index, dtype=object)
    return result


def _spell(value: object, seen: dict[tuple[type, object], object]) -> object:
    """:func:`normalise_label`, computed once per distinct text of a column.

    Training calls this on every fold and scoring on every batch; a column holds few texts.
    """
    if not isinstance(value, str):
        return normalise_label(value)
    key = (str, value)
    if key not in seen:
        seen[key] = normalise_label(value)
    return seen[key]


def prepare_features(
    frame: pd.DataFrame, numeric: Sequence[str], categorical: Sequence[str]
) -> pd.DataFrame:
    """Numbers stored as text become floats, categories get one spelling; other columns kept.

    Columns missing from ``frame`` are added as missing values, so a row with only some
    fields still reaches the imputers.
    """
    result = frame.copy()
    for column in [*numeric, *categorical]:
        if column not in result.columns:
            result[column] = np.nan
    for column in numeric:
        result[column] = to_number(result[column])
    return normalise_categories(result, categorical)


def model_inputs(
    frame: pd.DataFrame, numeric: Sequence[str], categorical: Sequence[str]
) -> pd.DataFrame:
    """:func:`prepare_features`, keeping only the model's input columns, in a fixed order."""
    return prepare_features(frame, numeric, categorical)[[*numeric, *categorical]]


def target_key(value: object) -> object:
    """One spelling per class: ``" YES"`` -> ``"yes"``, ``"1.0"`` -> ``"1"``; blanks -> NaN."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return np.nan
    text = str(value).strip()
    if re.fullmatch(r"-?\d+(\.0+)?", text):
        return str(int(float(text)))
    return normalise_label(text)


def encode_target(values: pd.Series, positive_label: str = "") -> tuple[pd.Series, list[Any]]:
    """Encode a binary target as 0/1 floats (NaN when unusable) and return ``[negative, positive]``.

    The two most frequent (normalised) values are the classes; any other value is unusable.
    The positive class is ``positive_label`` when given, else 1/yes/true, else the rarer one.

    Raises:
        DataError: fewer than two classes, or ``positive_label`` is not one of them.
    """
    norm = values.map(target_key)
    counts = norm.value_counts()
    check_binary(counts, str(values.name))
    classes = [str(c) for c in counts.index[:2]]
    wanted = str(normalise_label(positive_label)) if positive_label else ""
    if wanted and wanted not in classes:
        raise DataError(f"positive_label {positive_label!r} is not one of the classes {classes}")
    positive = wanted or next((c for c in classes if c in _POSITIVE), classes[1])
    negative = classes[0] if classes[1] == positive else classes[1]
    encoded = norm.map({negative: 0.0, positive: 1.0}).astype(float)
    raw = {key: values[norm == key].astype(str).str.strip().mode().iloc[0] for key in classes}
    labels: list[Any] = [raw[negative], raw[positive]]
    if all(re.fullmatch(r"-?\d+(\.0+)?", str(label)) for label in labels):
        labels = [int(float(label)) for label in labels]
    return encoded, labels


def check_binary(counts: pd.Series, target: str) -> None:
    """Raise :class:`TargetError` unless the (normalised) target values are binary.

    Values beyond the two most frequent ones are strays (typos, quarantined later) when each
    holds under 1 % of the labelled rows; a more frequent third value means a multi-class target.
    """
    if len(counts) < 2:  # noqa: PLR2004  (binary)
        raise TargetError(
            f"target {target!r} needs two classes, found {len(counts)}: {list(counts.index)[:5]}",
            "pick a column with two values (yes/no, 1/0) as ML__TARGET",
        )
    total = int(counts.sum())
    extra = counts.iloc[2:]
    if len(extra) and int(extra.iloc[0]) >= max(STRAY_TARGET_SHARE * total, 2):
        shown = ", ".join(f"{k!r}: {int(v)}" for k, v in counts.iloc[:6].items())
        raise TargetError(
            f"target {target!r} is not binary: {len(counts)} classes ({shown})",
            "this template trains binary classifiers: map the classes to two in SQL "
            "(ML__SQL_QUERY) or pick another ML__TARGET",
        )


def min_class_rows(test_size: float, cv_folds: int) -> int:
    """Rows of each class that a stratified holdout plus ``cv_folds``-fold CV can split."""
    # Each CV fold of the training part needs a row, and the holdout takes at least one more.
    return math.ceil(cv_folds / (1.0 - test_size)) + 1


def check_class_sizes(counts: pd.Series, target: str, test_size: float, cv_folds: int) -> None:
    """Raise :class:`TargetError` when a class has too few rows to hold out and cross-validate.

    ``counts`` are the rows per (normalised) target value, most frequent first.
    """
    needed = min_class_rows(test_size, cv_folds)
    rare = [(str(key), int(n)) for key, n in counts.iloc[:2].items() if int(n) < needed]
    if rare:
        shown = ", ".join(f"{key!r}: {n}" for key, n in rare)
        raise TargetError(
            f"too few rows to train on: target {target!r} has {shown} "
            f"(each class needs at least {needed} for a {test_size:.0%} holdout "
            f"and {cv_folds}-fold cross-validation)",
            "add labelled rows, or lower ML__CV_FOLDS (at least 2) or ML__TEST_SIZE",
        )


def clean_table(
    raw: pd.DataFrame,
    target: str,
    roles: ColumnRoles | None = None,
    positive_label: str = "",
    id_columns: Sequence[str] | None = None,
) -> CleanTable:
    """Clean a raw table for validation and training.

    Strips column names, infers roles (unless given), parses numbers, fixes category spellings,
    encodes the target and drops exact duplicate rows. The row index of ``raw`` is kept, so
    quarantined rows can be found in the raw table.
    """
    frame = raw.rename(columns=lambda c: str(c).strip())
    check_target_column(frame.columns, target)
    roles = roles or infer_roles(frame, target, id_columns)
    frame = prepare_features(frame, roles.numeric, roles.categorical)
    frame[target], classes = encode_target(frame[target], positive_label)
    duplicated = frame.duplicated(keep="first")
    return CleanTable(
        frame=frame[~duplicated],
        roles=roles,
        classes=classes,
        duplicates=int(duplicated.sum()),
    )


# A single column whose values alone rank the target this well is a leak (a copy of the target, a
# value recorded after the outcome) far more often than a real signal.
LEAK_AUC = 0.995
# Categorical columns with at most this many values are scored by their values' target rates:
# with more, in-sample rates would fit any column (names, free text) perfectly.
LEAK_MAX_CATEGORIES = 50


def single_column_auc(values: pd.Series, target: pd.Series, categorical: bool) -> float | None:
    """How well ``values`` alone rank the binary ``target`` (ROC AUC, either direction).

    Numbers are ranked as they are (missing values left out); a categorical column by its values'
    positive rates (missing is a value), when it has few enough values to make that honest.
    ``None``: the column cannot be scored (too many categories, or one class left).
    """
    if categorical:
        keys = values.astype("string").fillna("\x00missing")
        if keys.nunique() > min(LEAK_MAX_CATEGORIES, max(2, len(keys) // 20)):
            return None
        score = target.groupby(keys).transform("mean")
        labels = target
    else:
        known = values.notna()
        score, labels = values[known].astype(float), target[known]
    if labels.nunique() <= 1:  # one class left (or no row)
        return None
    from sklearn.metrics import roc_auc_score  # noqa: PLC0415 - only when training: slow import

    auc = float(roc_auc_score(labels, score))
    return max(auc, 1 - auc)


def check_leaks(frame: pd.DataFrame, roles: ColumnRoles, target: str) -> None:
    """Refuse features that predict the (0/1-encoded) target almost alone.

    Raises:
        DataError: one or more feature columns rank the target with ROC AUC >= :data:`LEAK_AUC`.
    """
    found = []
    for column in roles.features:
        auc = single_column_auc(frame[column], frame[target], column in roles.categorical)
        if auc is not None and auc >= LEAK_AUC:
            found.append(f"{column!r} (ROC AUC {auc:.3f} alone)")
    if found:
        raise DataError(
            f"{', '.join(found)} predicts {target!r} almost by itself: a copy of the target, or a "
            "value known only after the outcome? A model trained on it would look perfect and "
            "fail on real requests",
            "drop the column from the training data (re-infer a frozen schema that lists it: `ml "
            "schema --infer`); if it is really known when predicting, set "
            'ML__LEAKAGE_CHECK=false or mark the schema "reviewed"',
        )


def check_quarantine_fraction(
    total: int, quarantined: int, limit: float, reasons: str = "the quarantine file"
) -> None:
    """Refuse to train when too many rows were quarantined.

    Raises:
        DataError: ``quarantined / total`` exceeds ``limit`` or nothing is left.
    """
    if quarantined >= total:
        raise DataError(
            f"no usable rows: {quarantined} of {total} quarantined",
            f"read the reasons in {reasons}",
        )
    if quarantined / total > limit:
        raise DataError(
            f"{quarantined} of {total} rows quarantined ({quarantined / total:.1%}), "
            f"above max_quarantine_fraction={limit:.1%}",
            f"read the reasons in {reasons}; fix the data, review the schema or raise "
            "ML__MAX_QUARANTINE_FRACTION",
        )
