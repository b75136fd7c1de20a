"""Operations behind the fast CLI commands (plain functions: no Prefect server starts).

``ml predict``, ``ml evaluate``, ``ml schema`` and ``ml models`` call these directly; the Prefect
flows (``ml-batch-predict`` for deployments) call the same functions.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..core.settings import get_settings
from . import _data as data
from . import _ingest as ingest
from . import _registry as registry
from . import _schema as schema
from ._errors import DataError, TargetError
from .settings import MLSettings

if TYPE_CHECKING:
    from ._inference import Predictor


def _predictor(tag: str | None) -> Predictor:
    """The model to score with (scikit-learn is imported here, not for ``ml schema``)."""
    from ._inference import Predictor  # noqa: PLC0415

    return Predictor.load(tag)


def _settings() -> tuple[MLSettings, Path, Path]:
    core = get_settings()
    return core.section("ml", MLSettings), core.data_dir, core.artifacts_dir


def read_source(settings: MLSettings, data_dir: Path, data_path: Path | None) -> pd.DataFrame:
    """The raw rows of ``data_path``, else of the settings' source (SQL query or data file)."""
    if data_path is None and settings.sql_query:
        return ingest.load_query(settings.sql_query, settings.sql_url.get_secret_value())
    path = data_path or settings.resolve_data_path(data_dir)
    return ingest.load_table(path, settings.read_options())


def score_file(
    input_path: Path, output_path: Path | None = None, tag: str | None = None
) -> tuple[Path, int]:
    """Score a CSV/Parquet file with the production model (or ``tag``); write a CSV.

    The output holds the input columns plus ``probability``, ``label`` and ``model_version``;
    default path: ``<input stem>.predictions.csv`` next to the input. The scored rows go to the
    prediction log (when enabled), so the drift check has data in a project without serving.

    Raises:
        DataSourceError: the file cannot be read.
        MissingColumnsError: the file lacks columns the model needs (listed).
        ModelNotFoundError: no such model.
    """
    settings, _, _ = _settings()
    frame = ingest.load_table(input_path, settings.read_options())
    predictor = _predictor(tag)
    predictor.check_columns(frame.columns, str(input_path))
    scored = frame.join(predictor.predict_frame(frame, strict=True))
    out = output_path or input_path.with_name(f"{input_path.stem}.predictions.csv")
    out.parent.mkdir(parents=True, exist_ok=True)
    scored.to_csv(out, index=False)
    _log_predictions(frame[predictor.feature_names], scored, predictor.version)
    return out, len(scored)


def _log_predictions(inputs: pd.DataFrame, scored: pd.DataFrame, version: str) -> None:
    """Append the scored rows to the monitoring prediction log, when that module is present."""
    try:
        from ..monitoring.prediction_log import log_predictions  # noqa: PLC0415
    except ImportError:
        return
    records = inputs.astype(object).where(inputs.notna(), None).to_dict("records")
    answers = scored[["probability", "label", "model_version"]].to_dict("records")
    log_predictions(records, answers, model_version=version)


def evaluate_registered(data_path: Path | None = None, tag: str | None = None) -> dict[str, Any]:
    """Metrics of a registered model (default: production) on a labelled file.

    Rows are cleaned and validated against the model's own frozen schema; rows that fail it are
    counted and left out.

    Raises:
        DataSourceError: the file cannot be read.
        MissingColumnsError: the file lacks the model's input columns.
        TargetError: the file has no target column (unlabelled rows: use ``ml predict``).
    """
    settings, data_dir, _ = _settings()
    predictor = _predictor(tag)
    raw = read_source(settings, data_dir, data_path)
    contract = predictor.contract
    source = str(data_path) if data_path else "the training source"
    predictor.check_columns(raw.columns, source)
    if contract.target not in {str(c).strip() for c in raw.columns}:
        raise TargetError(
            f"{source} has no target column {contract.target!r}: it cannot be evaluated",
            "evaluate labelled rows; score unlabelled ones with `ml predict`",
        )
    cleaned = data.clean_table(raw, contract.target, contract.roles, settings.positive_label)
    valid, quarantined = schema.validate(cleaned.frame, raw, contract)
    if valid.empty or valid[contract.target].nunique() < 2:  # noqa: PLR2004
        raise DataError(
            f"{source}: no rows with both classes left after validation "
            f"({len(quarantined)} of {len(raw)} quarantined)",
            "evaluate a labelled sample holding both classes",
        )
    from . import _evaluation as evaluation  # noqa: PLC0415

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
    """The frozen schema document and its path; with ``infer``, (re)infer it from the data first.

    A source without a schema gets one inferred and written (status ``inferred``), for review.
    """
    settings, data_dir, artifacts_dir = _settings()
    path = settings.resolve_schema_path(data_dir, artifacts_dir, data_path)
    frozen = None if infer else schema.load(path)
    if frozen is None:
        raw = read_source(settings, data_dir, data_path)
        cleaned = data.clean_table(
            raw, settings.target, None, settings.positive_label, settings.id_columns
        )
        previous = schema.load(path)
        frozen = schema.infer(cleaned.frame, cleaned.roles, settings.target, cleaned.classes)
        if previous is not None:
            frozen = dataclasses.replace(frozen, version=previous.version + 1)
        schema.save(frozen, path)
    return path, frozen.to_json()


def model_rows() -> list[tuple[str, str, str, str, str]]:
    """``(tag, roc_auc, contract hash, data_hash, production mark)`` of ``ml.model_name``."""
    settings, _, artifacts_dir = _settings()
    root = registry.home(settings.bentoml_home, artifacts_dir)
    production = registry.alias(settings.model_name, root)
    return [
        (
            record.tag,
            record.labels.get("roc_auc", ""),
            record.labels.get("contract_hash", ""),
            record.labels.get("data_hash", ""),
            "*" if record.tag == production else "",
        )
        for record in registry.list_versions(settings.model_name, root)
    ]


@dataclasses.dataclass(frozen=True)
class SourceCheck:
    """What :func:`check_source` read: rows, columns and the target's classes."""

    source: str
    rows: int
    columns: int
    classes: list[str]


def check_source(data_path: Path | None = None) -> SourceCheck:
    """Validate the training source in seconds, before any Prefect server starts.

    Checks that it exists, is readable, is not empty, parses as a table, holds the target
    column and that the target is binary.

    Raises:
        DataSourceError: missing, unreadable, empty or unparseable source.
        TargetError: no target column, a target that is not binary, or a class too small to
            hold out and cross-validate.
    """
    settings, data_dir, _ = _settings()
    raw = read_source(settings, data_dir, data_path)
    where = "the SQL query" if settings.sql_query else settings.resolve_data_path(data_dir)
    source = str(data_path or where)
    raw = raw.rename(columns=lambda c: str(c).strip())
    data.check_target_column(raw.columns, settings.target, source)
    counts = raw[settings.target].map(data.target_key).value_counts()
    data.check_binary(counts, settings.target)
    data.check_class_sizes(counts, settings.target, settings.test_size, settings.cv_folds)
    return SourceCheck(source, len(raw), raw.shape[1], [str(c) for c in counts.index[:2]])
