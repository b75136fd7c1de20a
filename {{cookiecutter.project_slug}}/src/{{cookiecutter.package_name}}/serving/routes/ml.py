"""``POST /predict``: the ml pillar's production model behind an adaptively batched BentoML API.

Present only when both the ml and serving pillars are (the template's manifest lists it as an
integration). Uses the ml pillar's public :class:`Predictor` only. The request model is built
from the model's frozen data schema (one optional, typed field per raw input column; unknown
fields are refused with 422), so it is read when the service is imported: after training a new model
*schema*, restart the service. Without a model yet, any record shape is accepted and ``/readyz``
answers 503 until one is trained.

Request: ``{"records": [{"<column>": value, ...}, ...]}``; answer: one
``{"probability", "label", "model_version"}`` per record. BentoML merges concurrent requests
into batches of up to ``SERVING__PREDICT_MAX_BATCH_SIZE`` records, waiting at most
``SERVING__PREDICT_MAX_LATENCY_MS`` (:class:`PredictRouteSettings`).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Annotated, Any

import bentoml
from bentoml.validators import ContentType
from pydantic import BaseModel, ConfigDict, Field

from ... import ml
from ...core.logging import get_logger
from ...core.settings import get_settings
from ...monitoring.metrics import gauge, histogram
from ...monitoring.prediction_log import log_predictions
from ...monitoring.tracing import get_tracer
from .._adapters import Contribution, configuring_only
from ..settings import ServingSettings

if TYPE_CHECKING:
    from ...ml import Predictor

SCORE_BUCKETS = tuple(round(0.1 * step, 1) for step in range(1, 11))
AnyRecord = dict[str, str | int | float | bool | None]

_log = get_logger("serving.ml")
_lock = threading.Lock()
_loaded: dict[str, Predictor] = {}


class PredictRouteSettings(BaseModel):
    """Settings of ``/predict``: ``<PREFIX>_SERVING__PREDICT_<FIELD>`` in the serving section."""

    model_config = ConfigDict(extra="forbid")

    batching: bool = Field(
        default=True, description="Merge concurrent /predict requests into batches (adaptive)."
    )
    max_batch_size: int = Field(
        default=64, ge=2, description="Most records BentoML merges into one /predict batch."
    )
    max_latency_ms: int = Field(
        default=5000,
        ge=10,
        description="Batch-queue wait beyond which BentoML sheds a /predict request with 503.",
    )


class PredictionOut(BaseModel):
    """The model's answer for one record."""

    probability: float = Field(description="Probability of the positive class.")
    label: int | str = Field(description="Predicted class, as spelled in the training data.")
    model_version: str = Field(description="Version of the model that answered.")


def predictor() -> Predictor:
    """The production model (``ml.production_tag`` pins it), loaded once per process.

    Raises:
        ModelNotFoundError: no model was trained (or the pinned tag does not exist).
    """
    with _lock:
        if "model" not in _loaded:
            model = ml.Predictor.load(None)
            gauge("serving_model_info", "Model served by /predict", ["version"]).labels(
                model.version
            ).set(1)
            _log.info("model loaded", tag=model.tag)
            _loaded["model"] = model
        return _loaded["model"]


def reset() -> None:
    """Forget the loaded model (tests; a new production model without a restart)."""
    with _lock:
        _loaded.clear()


def record_model() -> Any:
    """The request record type: the model's input model with unknown fields refused.

    In the ``bentoml serve`` arbiter, which imports the service only to read its configuration
    and never serves a request, any record: the model (and pandas, scikit-learn) load only in
    the workers.
    """
    if configuring_only():
        return AnyRecord
    try:
        base = predictor().input_model()
    except ml.ModelNotFoundError as error:
        _log.warning("no model to serve yet; /predict accepts any record shape", reason=str(error))
        return AnyRecord
    config = ConfigDict(**{**base.model_config, "extra": "forbid"})
    return type("PredictRecord", (base,), {"model_config": config, "__module__": __name__})


def score(records: list[Any]) -> list[PredictionOut]:
    """Score a batch of validated records with the production model; metrics and log them."""
    model = predictor()
    raw = [r.model_dump(by_alias=True) if isinstance(r, BaseModel) else dict(r) for r in records]
    with get_tracer(__name__).start_as_current_span("ml.predict") as span:
        span.set_attribute("ml.rows", len(raw))
        span.set_attribute("ml.model_version", model.version)
        predictions = model.predict(raw)
    scores = histogram(
        "serving_prediction_score",
        "Probability returned by /predict",
        ["model_version"],
        buckets=SCORE_BUCKETS,
    ).labels(model.version)
    for prediction in predictions:
        scores.observe(prediction.probability)
    log_predictions(raw, predictions, model_version=model.version)
    return [
        PredictionOut(probability=p.probability, label=p.label, model_version=p.model_version)
        for p in predictions
    ]


async def ready() -> str | None:
    """``None`` once a model is loaded, else why not."""
    try:
        predictor()
    except ml.ModelNotFoundError as error:
        return str(error)
    return None


def _mixin(record: Any, settings: PredictRouteSettings) -> type:
    def predict(self: object, records: list[Any]) -> list[PredictionOut]:
        """Score records with the production model (adaptive batching across requests)."""
        del self
        return score(records)

    # The declared media type spares BentoML a JSON-schema build of the answer per response.
    answer = Annotated[list[PredictionOut], ContentType("application/json")]
    predict.__annotations__ = {"records": list[record], "return": answer}
    batching: dict[str, Any] = {
        "batchable": True,
        "max_batch_size": settings.max_batch_size,
        "max_latency_ms": settings.max_latency_ms,
    }
    api = bentoml.api(route="/predict", **(batching if settings.batching else {}))
    return type("PredictAPI", (), {"predict": api(predict), "__module__": __name__})


def contribute() -> Contribution:
    """``/predict`` for the service (see :mod:`..adapters`)."""
    settings = (
        get_settings().section("serving", ServingSettings).route("predict", PredictRouteSettings)
    )
    return Contribution(
        pillar="ml",
        mixin=_mixin(record_model(), settings),
        readiness=[ready],
        routes=["/predict"],
    )
