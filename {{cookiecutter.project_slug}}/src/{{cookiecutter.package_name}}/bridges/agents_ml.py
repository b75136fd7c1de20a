"""Agents x ML: the agents may score records with the production model (``ml_predict``)."""

from __future__ import annotations

from typing import Any

from .. import agents, ml


@agents.PILLAR_TOOLS.provide
def ml_predict(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Score records with the production ML model; one prediction per record.

    Args:
        records: raw input rows as column -> value objects (the model's input schema).
    """
    predictor = ml.Predictor.load()
    return [prediction.model_dump() for prediction in predictor.predict(records)]
