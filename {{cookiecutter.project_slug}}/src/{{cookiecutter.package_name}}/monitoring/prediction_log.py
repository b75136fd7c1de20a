"""Prediction log: every scored record as one JSON line, read back by the drift check.

Lines go to ``<artifacts_dir>/<prediction_log_dir>/predictions-YYYY-MM-DD.jsonl`` (one file per UTC
day, so old days can be archived or deleted by age). Each line holds ``timestamp`` (ISO 8601, UTC),
``model_version``, ``score`` (the probability), ``label`` and ``inputs`` (the raw record). Plain
JSON and standard library only: reading works in any process, with or without the ML stack.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..core.settings import get_settings
from .settings import MonitoringSettings

FILE_PREFIX = "predictions-"
_lock = threading.Lock()


def log_dir(settings: MonitoringSettings | None = None, artifacts_dir: Path | None = None) -> Path:
    """The prediction log folder from settings (nothing is created)."""
    core = get_settings()
    section = settings or core.section("monitoring", MonitoringSettings)
    return section.resolve(section.prediction_log_dir, artifacts_dir or core.artifacts_dir)


def _prediction_fields(prediction: object) -> dict[str, Any]:
    """Score, label and model version of a ``Prediction``-like object, a mapping or a number."""
    if isinstance(prediction, int | float) and not isinstance(prediction, bool):
        return {"score": float(prediction), "label": None, "model_version": None}
    if isinstance(prediction, Mapping):
        source: Mapping[str, Any] = prediction
    else:
        source = {key: getattr(prediction, key, None) for key in ("probability", "label")}
        source["model_version"] = getattr(prediction, "model_version", None)
    score = source.get("probability", source.get("score"))
    return {
        "score": None if score is None else float(score),
        "label": source.get("label"),
        "model_version": source.get("model_version"),
    }


def log_predictions(
    records: Sequence[Mapping[str, object]],
    predictions: Sequence[object],
    *,
    model_version: str | None = None,
    directory: Path | None = None,
    now: datetime | None = None,
) -> Path | None:
    """Append one line per (record, prediction) pair; return the file, or ``None`` when disabled.

    Args:
        records: the raw inputs, as sent to the model.
        predictions: one per record: an object with ``probability``/``label``/``model_version``
            (``ml.inference.Prediction``), a mapping with those keys (or ``score``), or a number.
        model_version: used when a prediction does not carry its own.
        directory: write here instead of the settings' folder (tests, batch jobs).
        now: timestamp of the lines (default: the current UTC time).
    """
    if len(records) != len(predictions):
        raise ValueError(f"{len(records)} records but {len(predictions)} predictions")
    if directory is None:
        section = get_settings().section("monitoring", MonitoringSettings)
        if not section.prediction_log_enabled:
            return None
        directory = log_dir(section)
    stamp = (now or datetime.now(UTC)).astimezone(UTC)
    lines = []
    for record, prediction in zip(records, predictions, strict=True):
        fields = _prediction_fields(prediction)
        fields["model_version"] = fields["model_version"] or model_version
        line = {"timestamp": stamp.isoformat(), **fields, "inputs": dict(record)}
        lines.append(json.dumps(line, default=str, ensure_ascii=False) + "\n")
    path = directory / f"{FILE_PREFIX}{stamp:%Y-%m-%d}.jsonl"
    with _lock:
        directory.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            handle.writelines(lines)
    return path


def read_recent(
    limit: int | None = None,
    since: datetime | None = None,
    *,
    directory: Path | None = None,
) -> list[dict[str, Any]]:
    """Logged predictions, oldest first: the newest ``limit`` ones, and none before ``since``.

    Unreadable lines (a crash mid-write) are skipped. Returns ``[]`` when nothing was logged.
    """
    if limit is not None and limit <= 0:
        return []
    folder = directory or log_dir()
    files = sorted(folder.glob(f"{FILE_PREFIX}*.jsonl"), reverse=True) if folder.is_dir() else []
    cutoff = since.astimezone(UTC) if since is not None else None
    newest_first: list[dict[str, Any]] = []
    for path in files:
        if cutoff is not None and path.stem.removeprefix(FILE_PREFIX) < f"{cutoff:%Y-%m-%d}":
            break
        for entry in reversed(_read_lines(path)):
            if cutoff is not None and datetime.fromisoformat(entry["timestamp"]) < cutoff:
                continue
            newest_first.append(entry)
            if limit is not None and len(newest_first) >= limit:
                return newest_first[::-1]
    return newest_first[::-1]


def _read_lines(path: Path) -> list[dict[str, Any]]:
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(entry, dict) and "timestamp" in entry:
            entries.append(entry)
    return entries
