"""Operations on registered models and schemas behind the CLI (plain functions)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pandas as pd

from ..core.settings import get_settings
from . import _data as data
from . import _evaluation as evaluation
from . import _ingest as ingest
from . import _registry as registry
from . import _schema as schema
from ._inference import Predictor
from .settings import MLSettings


def _settings() -> tuple[MLSettings, Path, Path]:
    core = get_settings()
    return core.section("ml", MLSettings), core.data_dir, core.artifacts_dir


def _read(settings: MLSettings, data_dir: Path, data_path: Path | None) -> pd.DataFrame:
    if data_path is None and settings.sql_query:
        return ingest.load_query(settings.sql_query, settings.sql_url.get_secret_value())
    return ingest.load_table(data_path or settings.resolve_data_path(data_dir))


def evaluate_registered(data_path: Path | None = None, tag: str | None = None) -> dict[str, Any]:
    """Metrics of a registered model (default: production) on a labelled file.

    Rows are cleaned and validated against the model's own frozen schema; rows that fail it are
    counted and left out.
    """
    settings, data_dir, _ = _settings()
    predictor = Predictor.load(tag)
    raw = _read(settings, data_dir, data_path)
    contract = predictor.contract
    cleaned = data.clean_table(raw, contract.target, contract.roles, settings.positive_label)
    valid, quarantined = schema.validate(cleaned.frame, raw, contract)
    result = evaluation.evaluate(
        predictor.pipeline,
        valid[predictor.feature_names],
        valid[contract.target].astype(int),
        predictor.threshold,
        importance_repeats=0,
    )
    return {
        "model": predictor.tag,
        "rows": len(raw),
        "rows_quarantined": len(quarantined),
        **result.metrics.model_dump(),
        "confusion": result.confusion,
    }


def show_or_infer_schema(
    data_path: Path | None = None, *, infer: bool = False
) -> tuple[Path, dict[str, Any]]:
    """The frozen schema document and its path; with ``infer``, (re)infer it from the data first."""
    settings, data_dir, artifacts_dir = _settings()
    path = (
        data_path.with_suffix(".schema.json")
        if data_path is not None and str(settings.schema_path) in {"", "."}
        else settings.resolve_schema_path(data_dir, artifacts_dir)
    )
    frozen = None if infer else schema.load(path)
    if frozen is None:
        raw = _read(settings, data_dir, data_path)
        cleaned = data.clean_table(
            raw, settings.target, None, settings.positive_label, settings.id_columns
        )
        previous = schema.load(path)
        frozen = schema.infer(cleaned.frame, cleaned.roles, settings.target, cleaned.classes)
        if previous is not None:
            frozen = dataclasses.replace(frozen, version=previous.version + 1)
        schema.save(frozen, path)
    return path, frozen.to_json()


def model_rows() -> list[tuple[str, str, str, str]]:
    """``(tag, roc_auc, data_hash, production mark)`` of every version of ``ml.model_name``."""
    settings, _, _ = _settings()
    root = registry.home(settings.bentoml_home)
    production = registry.alias(settings.model_name, root)
    return [
        (
            record.tag,
            record.labels.get("roc_auc", ""),
            record.labels.get("data_hash", ""),
            "*" if record.tag == production else "",
        )
        for record in registry.list_versions(settings.model_name, root)
    ]
