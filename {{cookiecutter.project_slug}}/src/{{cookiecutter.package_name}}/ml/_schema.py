"""The data contract: a schema inferred once, frozen in a reviewed JSON file, enforced with pandera.

The first successful run on a data source infers the schema from the cleaned rows (types,
nullability, categories, robust ranges) and writes it under the artifacts folder, one file per
source (see ``MLSettings.resolve_schema_path``); a failed run writes none. Review it (loosen a
range, allow a category, set ``"status": "reviewed"``), and commit it beside the data
(``customers.schema.json``) or name it with ``ML__SCHEMA_PATH``: every later run enforces it.

:meth:`FrozenSchema.contract` is the model's dataset identity: target and feature names with
their kinds, and a hash of them (:meth:`FrozenSchema.contract_hash`), stored with every model.

Validation is lazy: every failing row is collected, with all its reasons, and moved to
quarantine instead of stopping the run.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ._data import ColumnRoles
from ._errors import DataError

if TYPE_CHECKING:
    import pandera.pandas as pa

REASON_COLUMN = "quarantine_reason"
SCHEMA_FORMAT = 1
MAX_CATEGORIES = 50  # above this a text column gets no allowed-values check
# Ranges: the 0.5%/99.5% quantiles widened by 3 interquartile ranges; for a measure that is never
# negative (amounts, sizes, counts) on a log scale, where skewed data has its legitimate long tail.
_TAIL, _SPREAD = 0.005, 3.0


@dataclass(frozen=True)
class FrozenSchema:
    """The reviewed contract of the training table (what :func:`save` writes)."""

    version: int
    target: str
    classes: list[Any]
    roles: ColumnRoles
    columns: dict[str, dict[str, Any]]
    status: str = "inferred"

    def to_json(self) -> dict[str, Any]:
        """The JSON document written to the schema file."""
        return {
            "format": SCHEMA_FORMAT,
            "version": self.version,
            "status": self.status,
            "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "target": self.target,
            "classes": self.classes,
            "ids": self.roles.ids,
            "dates": self.roles.dates,
            "contract_hash": self.contract_hash(),
            "columns": self.columns,
        }

    def contract(self) -> dict[str, Any]:
        """The feature contract: target, numeric and categorical input names, and their hash."""
        return {
            "target": self.target,
            "numeric": list(self.roles.numeric),
            "categorical": list(self.roles.categorical),
            "hash": self.contract_hash(),
        }

    def contract_hash(self) -> str:
        """12 hex digits identifying target + feature names and kinds (order-insensitive).

        Ranges, categories and versions may change between runs on the same data set; the hash
        changes only when a model would read different columns or read them differently.
        """
        document = {
            "target": self.target,
            "numeric": sorted(self.roles.numeric),
            "categorical": sorted(self.roles.categorical),
        }
        return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()[:12]

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> FrozenSchema:
        """Read a document written by :meth:`to_json` (and maybe edited by a person)."""
        columns: dict[str, dict[str, Any]] = document["columns"]
        roles = ColumnRoles(
            numeric=[c for c, spec in columns.items() if spec["kind"] == "numeric"],
            categorical=[c for c, spec in columns.items() if spec["kind"] == "categorical"],
            ids=list(document.get("ids", [])),
            dates=list(document.get("dates", [])),
        )
        return cls(
            version=int(document["version"]),
            target=str(document["target"]),
            classes=list(document["classes"]),
            roles=roles,
            columns=columns,
            status=str(document.get("status", "inferred")),
        )

    def pandera(self) -> pa.DataFrameSchema:
        """The pandera schema enforcing this contract on a cleaned table."""
        import pandera.pandas as pa  # noqa: PLC0415  (a second of import; validation only)

        columns = {name: _column(spec) for name, spec in self.columns.items()}
        columns[self.target] = pa.Column(float, pa.Check.isin([0.0, 1.0]), nullable=False)
        return pa.DataFrameSchema(columns, strict=False, name=f"v{self.version}")


def _column(spec: dict[str, Any]) -> pa.Column:
    import pandera.pandas as pa  # noqa: PLC0415

    checks = []
    if spec["kind"] == "numeric":
        if spec.get("min") is not None and spec.get("max") is not None:
            checks.append(pa.Check.in_range(spec["min"], spec["max"]))
        return pa.Column(float, checks, nullable=bool(spec["nullable"]))
    if spec.get("categories"):
        checks.append(pa.Check.isin(spec["categories"]))
    return pa.Column(None, checks, nullable=bool(spec["nullable"]))


def _round_up(value: float) -> float:
    """``value`` rounded up to three significant digits.

    A bound a person can read and edit that still holds ``value`` (rounding to the nearest
    quarantined rows right at an inferred bound).
    """
    if value == 0 or not math.isfinite(value):
        return 0.0
    scale = 10.0 ** (math.floor(math.log10(abs(value))) - 2)
    return float(f"{math.ceil(value / scale - 1e-9) * scale:.3g}")


def _log_upper_bound(present: pd.Series, positive: pd.Series) -> float:
    """The largest value the range allows for a column that is never negative (see ``_TAIL``).

    The spread is multiplicative: measured on log(x + shift), the shift keeping zeros finite.
    """
    shift = float(positive.min()) / 2 if len(positive) < len(present) else 0.0
    logs = np.log(present.to_numpy(dtype=float) + shift)
    q25, q75, log_low, log_high = np.quantile(logs, [0.25, 0.75, _TAIL, 1 - _TAIL])
    iqr = q75 - q25
    spread = _SPREAD * (iqr if iqr > 0 else max(log_high - log_low, 1.0))
    return float(np.exp(log_high + spread) - shift)


def numeric_spec(values: pd.Series) -> dict[str, Any]:
    """Kind, nullability, whole-number flag and a robust allowed range of one numeric column."""
    present = values.dropna()
    spec: dict[str, Any] = {
        "kind": "numeric",
        "nullable": bool(values.isna().any()),
        "integer": bool(len(present) and (present % 1 == 0).all()),
    }
    if len(present):
        low, high = present.quantile(_TAIL), present.quantile(1 - _TAIL)
        iqr = present.quantile(0.75) - present.quantile(0.25)
        spread = _SPREAD * (iqr if iqr > 0 else max(high - low, 1.0))
        spec["min"] = 0.0 if low >= 0 else -_round_up(spread - low)
        positive = present[present > 0]
        if present.min() < 0 or positive.empty:  # a signed measure, or all zeros: linear
            spec["max"] = _round_up(high + spread)
        else:
            spec["max"] = _round_up(_log_upper_bound(present, positive))
    return spec


def infer(frame: pd.DataFrame, roles: ColumnRoles, target: str, classes: list[Any]) -> FrozenSchema:
    """Infer the contract from a cleaned table (see :func:`..data.clean_table`)."""
    columns: dict[str, dict[str, Any]] = {}
    for name in roles.numeric:
        columns[name] = numeric_spec(frame[name])
    for name in roles.categorical:
        values = frame[name]
        categories = sorted(map(str, values.dropna().unique()))
        columns[name] = {
            "kind": "categorical",
            "nullable": bool(values.isna().any()),
            "categories": categories if len(categories) <= MAX_CATEGORIES else None,
        }
    return FrozenSchema(version=1, target=target, classes=classes, roles=roles, columns=columns)


def save(schema: FrozenSchema, path: Path) -> Path:
    """Write ``schema`` as indented JSON (a file meant for review and version control)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(schema.to_json(), indent=2) + "\n", encoding="utf-8")
    return path


def load(path: Path) -> FrozenSchema | None:
    """Read the frozen schema at ``path``; ``None`` when there is none yet."""
    if not path.is_file():
        return None
    return FrozenSchema.from_json(json.loads(path.read_text(encoding="utf-8")))


def validate(
    clean: pd.DataFrame, raw: pd.DataFrame, schema: FrozenSchema
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split cleaned rows into valid rows and quarantined *raw* rows with a ``quarantine_reason``.

    Raises:
        DataError: a column of the contract is missing from the data.
    """
    given = {str(c).strip() for c in raw.columns} & set(map(str, clean.columns))
    missing = [c for c in [*schema.columns, schema.target] if c not in given]
    if missing:
        raise DataError(
            f"columns required by the schema ({schema.target} v{schema.version}) are missing: "
            f"{missing}",
            "the data changed shape: re-infer the schema with `ml schema --infer`, or train "
            "this data set under another ML__MODEL_NAME",
        )
    from pandera.errors import SchemaErrors  # noqa: PLC0415

    texts: dict[Any, list[str]] = _unparsed_numbers(clean, raw, schema)
    try:
        schema.pandera().validate(clean, lazy=True)
    except SchemaErrors as errors:
        _add_reasons(texts, errors.failure_cases, raw, schema)
    reasons = pd.Series({index: "; ".join(parts) for index, parts in texts.items()}, dtype=object)
    bad = clean.index.isin(reasons.index)
    quarantined = raw.loc[clean.index[bad]].assign(**{REASON_COLUMN: reasons})
    return clean[~bad], quarantined


def _unparsed_numbers(
    clean: pd.DataFrame, raw: pd.DataFrame, schema: FrozenSchema
) -> dict[Any, list[str]]:
    """Rows where a numeric column held text that is not a number (``"abc"``, not a blank)."""
    texts: dict[Any, list[str]] = {}
    for column in schema.roles.numeric:
        if column not in raw.columns:
            continue
        given = raw.loc[clean.index, column]
        present = given.notna() & (given.astype(str).str.strip() != "")
        for index in clean.index[present.to_numpy() & clean[column].isna().to_numpy()]:
            texts.setdefault(index, []).append(
                f"{column}: not a number (raw {raw.at[index, column]!r})"
            )
    return texts


def _add_reasons(
    texts: dict[Any, list[str]], failures: pd.DataFrame, raw: pd.DataFrame, schema: FrozenSchema
) -> None:
    rows = failures[failures["index"].notna()]
    if len(rows) < len(failures):
        whole = failures[failures["index"].isna()][["column", "check"]].to_dict("records")
        raise DataError(f"the table breaks the schema: {whole}", "review the schema file")
    for case in rows.itertuples(index=False):
        value = raw.at[case.index, case.column] if case.column in raw.columns else None
        missing = value is None or pd.isna(value) or str(value).strip() == ""
        shown = "blank" if missing else repr(value)
        check = f"not one of {schema.classes}" if case.column == schema.target else case.check
        text = f"{case.column}: {check} (raw {shown})"
        texts.setdefault(case.index, [])
        if text not in texts[case.index]:
            texts[case.index].append(text)
