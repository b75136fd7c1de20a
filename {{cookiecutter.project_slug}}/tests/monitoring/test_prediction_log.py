from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import BaseModel

from {{ cookiecutter.package_name }}.core.settings import ENV_PREFIX, get_settings
from {{ cookiecutter.package_name }}.monitoring.prediction_log import (
    log_dir,
    log_predictions,
    read_recent,
)


class Scored(BaseModel):
    probability: float
    label: int
    model_version: str


DAY = datetime(2026, 1, 2, 12, 0, tzinfo=UTC)


def test_lines_hold_inputs_score_and_version() -> None:
    path = log_predictions(
        [{"age": 40, "plan": "pro"}, {"age": 22, "plan": None}],
        [Scored(probability=0.9, label=1, model_version="v3"), {"score": 0.1, "label": 0}],
        model_version="fallback",
        now=DAY,
    )
    assert path == get_settings().artifacts_dir / "predictions" / "predictions-2026-01-02.jsonl"
    first, second = (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines())
    assert first == {
        "timestamp": "2026-01-02T12:00:00+00:00",
        "score": 0.9,
        "label": 1,
        "model_version": "v3",
        "inputs": {"age": 40, "plan": "pro"},
    }
    assert (second["score"], second["model_version"]) == (0.1, "fallback")


def test_numbers_are_scores(tmp_path: Path) -> None:
    log_predictions([{"x": 1}], [0.25], directory=tmp_path, now=DAY)
    [entry] = read_recent(directory=tmp_path)
    assert entry["score"] == 0.25
    assert entry["label"] is None


def test_read_recent_limit_and_since(tmp_path: Path) -> None:
    for day in range(3):
        records = [{"i": day * 10 + n} for n in range(4)]
        log_predictions(records, [0.5] * 4, directory=tmp_path, now=DAY + timedelta(days=day))
    assert [e["inputs"]["i"] for e in read_recent(3, directory=tmp_path)] == [21, 22, 23]
    since = DAY + timedelta(days=1)
    assert len(read_recent(since=since, directory=tmp_path)) == 8
    assert len(read_recent(directory=tmp_path)) == 12
    assert read_recent(0, directory=tmp_path) == []


def test_broken_lines_are_skipped(tmp_path: Path) -> None:
    path = log_predictions([{"x": 1}], [0.5], directory=tmp_path, now=DAY)
    assert path is not None
    with path.open("a", encoding="utf-8") as handle:
        handle.write('{"timestamp": "2026-01-02T13:00:00+00:00", "sco')
    assert len(read_recent(directory=tmp_path)) == 1


def test_disabled_log_writes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}MONITORING__PREDICTION_LOG_ENABLED", "false")
    get_settings.cache_clear()
    assert log_predictions([{"x": 1}], [0.5]) is None
    assert read_recent() == []
    assert not log_dir().exists()


def test_length_mismatch_is_an_error() -> None:
    with pytest.raises(ValueError, match="2 records but 1"):
        log_predictions([{"x": 1}, {"x": 2}], [0.5])
