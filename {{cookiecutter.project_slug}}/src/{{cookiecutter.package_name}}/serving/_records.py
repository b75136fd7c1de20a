"""Check tabular records against a frozen data contract at the edge, before they join a batch.

A contract maps each column to a spec (the ml pillar's frozen schema writes it): ``kind``
(``numeric`` or ``categorical``), ``nullable``, ``integer``, ``min``/``max`` and ``categories``.
:func:`record_model` builds a strict pydantic model from it (finite numbers only, no strings for
numbers, no booleans, whole numbers where ``integer``, bounded text, no unknown field, required
columns present); :func:`apply_ranges` then applies the contract's ranges and categories under
an out-of-range policy. Nothing here imports a pillar: the route passes the contract in.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal, cast

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, create_model

OutOfRange = Literal["reject", "clip", "flag"]
# Larger magnitudes lose integer precision as float64 (what every model here computes in).
MAX_SAFE_NUMBER = 2.0**53
MAX_TEXT_CHARS = 200
_SEPARATORS = re.compile(r"[\s\-_/]+")


def normalise_category(value: str) -> str:
    """The spelling the ml pillar trains with: ``" Month-to-month"`` -> ``"month_to_month"``.

    (The same rule as the ml pillar's ``normalise_label``; a test keeps the two equal.)
    """
    return _SEPARATORS.sub("_", value.strip().lower()).strip("_")


def _safe_number(value: float | None) -> float | None:
    if value is not None and abs(value) > MAX_SAFE_NUMBER:
        raise ValueError("magnitude above 2**53 is not allowed")
    return value


def _whole(value: float | None) -> float | None:
    if value is not None and value % 1 != 0:
        raise ValueError("should be a whole number")
    return value


def value_error(loc: tuple[str | int, ...], message: str, value: Any = None) -> dict[str, Any]:
    """One error of :func:`invalid` (pydantic's ``value_error`` type, at ``loc``)."""
    return {
        "type": "value_error",
        "loc": loc,
        "input": value,
        "ctx": {"error": ValueError(message)},
    }


def invalid(errors: list[dict[str, Any]]) -> ValidationError:
    """A pydantic ``ValidationError`` listing ``errors`` (the service answers 422 with each)."""
    return ValidationError.from_exception_data("PredictRequest", cast(Any, errors))


def _field_name(index: int, column: str) -> str:
    name = re.sub(r"\W", "_", column)
    if not name.isidentifier() or keyword.iskeyword(name) or name.startswith("_"):
        return f"f{index}_{name}"
    return name


def record_model(columns: Mapping[str, Mapping[str, Any]]) -> type[BaseModel]:
    """A strict record model: one field per column of the contract, aliased to the column."""
    fields: dict[str, Any] = {}
    for index, (column, spec) in enumerate(columns.items()):
        required = not spec.get("nullable", True)
        kind: Any
        if spec.get("kind") == "numeric":
            kind = Annotated[float | None, AfterValidator(_safe_number)]
            if spec.get("integer"):
                kind = Annotated[kind, AfterValidator(_whole)]
        else:
            kind = Annotated[str | None, Field(max_length=MAX_TEXT_CHARS)]
        description = f"{column}: {_describe(spec)}{'' if required else '; may be empty'}"
        default: Any = ... if required else None
        fields[_field_name(index, column)] = (
            kind,
            Field(default, alias=column, description=description),
        )
    config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, populate_by_name=False)
    model: type[BaseModel] = create_model("PredictRecord", __config__=config, **fields)
    return model


def validate_records(model: type[BaseModel], records: list[Any]) -> list[BaseModel]:
    """``records`` (column -> value mappings) validated by ``model``; every error is listed.

    Raises:
        ValidationError: the errors of every record, located ``records.<index>.<column>``.
    """
    valid: list[BaseModel] = []
    errors: list[dict[str, Any]] = []
    for index, record in enumerate(records):
        try:
            valid.append(model.model_validate(record))
        except ValidationError as failed:
            for item in failed.errors(include_url=False):
                error: dict[str, Any] = {
                    "type": item["type"],
                    "loc": ("records", index, *item["loc"]),
                    "input": item.get("input"),
                }
                if "ctx" in item:
                    error["ctx"] = item["ctx"]
                errors.append(error)
    if errors:
        raise invalid(errors)
    return valid


def _describe(spec: Mapping[str, Any]) -> str:
    if spec.get("kind") == "numeric":
        kind = "whole number" if spec.get("integer") else "number"
        return f"{kind} in [{spec.get('min')}, {spec.get('max')}]"
    categories = spec.get("categories")
    return f"one of {categories}" if categories else "text"


def apply_ranges(
    records: list[dict[str, Any]],
    columns: Mapping[str, Mapping[str, Any]],
    policy: OutOfRange,
) -> list[list[str]]:
    """Apply the contract's ranges and categories to ``records`` (in place) under ``policy``.

    Returns, per record, the columns that were out of range or not a known category (``flag``:
    scored as given; ``clip``: numbers clamped to the range, unknown categories made missing).

    Raises:
        ValidationError: ``policy`` is ``reject`` and a value is outside the contract; every
            offending ``records.<index>.<column>`` is listed.
    """
    flagged: list[list[str]] = []
    errors: list[dict[str, Any]] = []
    for index, record in enumerate(records):
        found: list[str] = []
        for column, spec in columns.items():
            value = record.get(column)
            if value is None:
                continue
            problem = _outside(value, spec)
            if problem is None:
                continue
            found.append(column)
            if policy == "reject":
                errors.append(value_error(("records", index, column), problem, value))
            elif policy == "clip":
                record[column] = _clipped(value, spec)
        flagged.append(found)
    if errors:
        raise invalid(errors)
    return flagged


def _outside(value: Any, spec: Mapping[str, Any]) -> str | None:
    """Why ``value`` breaks the column's contract, or ``None``."""
    if spec.get("kind") == "numeric":
        low, high = spec.get("min"), spec.get("max")
        if (low is not None and value < low) or (high is not None and value > high):
            return f"outside the training range [{low}, {high}]"
        return None
    categories = spec.get("categories")
    if categories and normalise_category(str(value)) not in categories:
        return f"not one of the training categories {categories}"
    return None


def _clipped(value: Any, spec: Mapping[str, Any]) -> Any:
    if spec.get("kind") != "numeric":
        return None
    low, high = spec.get("min"), spec.get("max")
    if low is not None:
        value = max(value, low)
    if high is not None:
        value = min(value, high)
    return value
