"""``POST /predict``: the ml pillar's production model behind a batched BentoML API.

Present only when both the ml and serving pillars are (the template's manifest lists it as an
integration). Uses the ml pillar's public :class:`Predictor` only. The request model is built
from the model's frozen data contract (``Predictor.contract``), so it is read when the service is
imported: after training a new model *schema*, restart the service. Without a model yet, any
record shape is accepted and ``/readyz`` answers 503 until one is trained.

Every record is checked in full before it joins a batch (:mod:`.._records`): finite
numbers, whole numbers where the contract says so, no unknown field, required columns present
(a 422 lists every missing one), and the contract's ranges and categories under
``SERVING__PREDICT_OUT_OF_RANGE`` (``reject``: 422; ``clip``: clamp numbers, unknown categories
become missing; ``flag``: score as given and list the fields in ``out_of_range``).

Request: ``{"records": [{"<column>": value, ...}, ...]}`` (no other top-level field); answer: one
``{"probability", "label", "model_version", "out_of_range"}`` per record. Concurrent requests are
merged into batches of up to ``SERVING__PREDICT_MAX_BATCH_SIZE`` records (:mod:`.._batcher`); if
a merged batch fails, each request is scored alone, so only the offending one gets its 422.
A request that waited more than ``SERVING__PREDICT_MAX_LATENCY_MS`` for its batch gets 503.

Over HTTP, ``POST /predict`` is answered by :func:`predict_endpoint`, a plain ASGI app the service
runs ahead of BentoML's router (``Contribution.endpoints``): the body is parsed and validated in
one step by pydantic's JSON parser against the request model, the records are batched, and the
answer is serialised by pydantic, without BentoML's IO descriptors, request context and response
objects, which cost more per request than the rest of the route. The BentoML API of the same
route stays: it documents ``/predict`` in the OpenAPI page and serves in-process calls, with the
same checks (:func:`predict_records`) and the same answers.
"""

from __future__ import annotations

import asyncio
import json
import threading
import weakref
from typing import TYPE_CHECKING, Annotated, Any

import bentoml
from bentoml.exceptions import BentoMLException, ServiceUnavailable
from bentoml.validators import ContentType
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, create_model

from ... import ml
from ...core.logging import get_logger
from ...core.settings import get_settings
from ...monitoring.context import current_context
from ...monitoring.metrics import gauge, histogram
from ...monitoring.prediction_log import log_predictions
from ...monitoring.tracing import get_tracer
from .._adapters import Contribution, configuring_only
from .._batcher import ItemsFailedError, MicroBatcher, OverloadedError
from .._middleware import Receive, Scope, Send, read_body, send_bytes
from .._records import (
    OutOfRange,
    apply_ranges,
    invalid,
    record_model,
    validate_records,
    value_error,
)
from ..settings import ServingSettings

if TYPE_CHECKING:
    from ...ml import Predictor

SCORE_BUCKETS = tuple(round(0.1 * step, 1) for step in range(1, 11))
AnyRecord = dict[str, str | int | float | bool | None]

_log = get_logger("serving.ml")
_lock = threading.Lock()
_loaded: dict[str, Predictor] = {}
# Futures belong to one event loop: one batcher per loop (one per worker in `bentoml serve`).
_record_models: dict[str, type[BaseModel]] = {}
_body_models: dict[object, type[BaseModel]] = {}
_batchers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, MicroBatcher[Any, Any]] = (
    weakref.WeakKeyDictionary()
)


class PredictRouteSettings(BaseModel):
    """Settings of ``/predict``: ``<PREFIX>_SERVING__PREDICT_<FIELD>`` in the serving section."""

    model_config = ConfigDict(extra="forbid")

    batching: bool = Field(
        default=True, description="Merge concurrent /predict requests into batches."
    )
    max_batch_size: int = Field(
        default=64, ge=2, description="Most records merged into one /predict batch."
    )
    max_latency_ms: int = Field(
        default=5000,
        ge=10,
        description="Batch-queue wait beyond which a /predict request is shed with 503.",
    )
    max_records: int = Field(
        default=1000, ge=1, description="Most records one /predict request may send (else 422)."
    )
    out_of_range: OutOfRange = Field(
        default="reject",
        description="A value outside the model's training range or categories: reject (422), "
        "clip (clamp numbers; unknown categories become missing) or flag (score, list it).",
    )


class PredictionOut(BaseModel):
    """The model's answer for one record."""

    probability: float = Field(description="Probability of the positive class.")
    label: int | str = Field(description="Predicted class, as spelled in the training data.")
    model_version: str = Field(description="Version of the model that answered.")
    out_of_range: list[str] = Field(
        default_factory=list,
        description="Columns outside the training range or categories (policy flag or clip).",
    )


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
            # scorer=False: a model without scorer.json (your own estimator, or trained before
            # the scorer existed) is scored by its scikit-learn pipeline, more slowly.
            _log.info("model loaded", tag=model.tag, scorer=model.scorer is not None)
            _loaded["model"] = model
        return _loaded["model"]


def reset() -> None:
    """Forget the loaded model (tests; a new production model without a restart)."""
    with _lock:
        _loaded.clear()
        _record_models.clear()
        _body_models.clear()
        _batchers.clear()


def contract() -> dict[str, dict[str, Any]] | None:
    """The served model's frozen column contract, or ``None`` without a model.

    In the ``bentoml serve`` arbiter, which imports the service only to read its configuration
    and never serves a request, ``None`` too: the model (and pandas, scikit-learn) load only in
    the workers.
    """
    if configuring_only():
        return None
    try:
        return predictor().contract.columns
    except ml.ModelNotFoundError as error:
        _log.warning("no model to serve yet; /predict accepts any record shape", reason=str(error))
        return None


def record_type() -> Any:
    """The request record type: strict, from the model's contract (any record without a model)."""
    return AnyRecord if contract() is None else contract_record_model()


def route_settings() -> PredictRouteSettings:
    """The ``/predict`` settings in force."""
    return get_settings().section("serving", ServingSettings).route("predict", PredictRouteSettings)


def score(records: list[Any]) -> list[PredictionOut]:
    """Score a batch of checked records with the production model; metrics and log them."""
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


def checked(
    records: list[Any], settings: PredictRouteSettings
) -> tuple[list[Any], list[list[str]]]:
    """Records as column -> value dicts with the contract's ranges applied, and their flags.

    Raises:
        ValidationError: too many records, or a value outside the contract under ``reject``.
    """
    if len(records) > settings.max_records:
        message = f"at most {settings.max_records} records per request"
        raise invalid([value_error(("records",), message)])
    columns = contract()
    if columns is None:
        return [dict(r) for r in records], [[] for _ in records]
    strict = contract_record_model()
    if not all(isinstance(r, strict) for r in records):
        # Served before the model existed (any record shape): check the records now.
        records = validate_records(strict, records)
    raw = [r.model_dump(by_alias=True) for r in records]
    return raw, apply_ranges(raw, columns, settings.out_of_range)


def contract_record_model() -> type[BaseModel]:
    """The strict record model of the served model's contract (built once per model)."""
    model = predictor()
    with _lock:
        if model.tag not in _record_models:
            _record_models.clear()
            _record_models[model.tag] = record_model(model.contract.columns)
        return _record_models[model.tag]


def batcher(settings: PredictRouteSettings) -> MicroBatcher[Any, PredictionOut]:
    """The running event loop's batcher for ``/predict``."""
    loop = asyncio.get_running_loop()
    found = _batchers.get(loop)
    if found is None:
        found = MicroBatcher(score, settings.max_batch_size, settings.max_latency_ms / 1000)
        _batchers[loop] = found
    return found


async def predict_records(records: list[Any]) -> list[PredictionOut]:
    """Check ``records`` at the edge, then score them (batched with other requests).

    Raises:
        ValidationError: a record breaks the contract (422 naming each field).
        bentoml.exceptions.UnprocessableEntity: these records fail while scoring (422).
        bentoml.exceptions.ServiceUnavailable: the batch queue is too long (503).
    """
    settings = route_settings()
    raw, flags = checked(records, settings)
    try:
        if settings.batching:
            answers = await batcher(settings).submit(raw)
        else:
            answers = await asyncio.to_thread(score, raw)
    except OverloadedError as busy:
        raise ServiceUnavailable(str(busy)) from busy
    except ItemsFailedError as failed:
        _log.error("records could not be scored", exc_info=failed.__cause__)
        raise bentoml.exceptions.UnprocessableEntity(
            "these records could not be scored; see the service log with the request id"
        ) from failed
    except Exception as failed:
        _log.error("records could not be scored", exc_info=failed)
        raise bentoml.exceptions.UnprocessableEntity(
            "these records could not be scored; see the service log with the request id"
        ) from failed
    for answer, found in zip(answers, flags, strict=True):
        answer.out_of_range = found
    return answers


async def ready() -> str | None:
    """``None`` once a model is loaded, else why not."""
    try:
        predictor()
    except ml.ModelNotFoundError as error:
        return str(error)
    return None


def request_model(record: Any) -> type[BaseModel]:
    """The body of ``POST /predict``: ``records`` and nothing else."""
    fields: Any = {"records": (list[record], Field(description="The records to score."))}
    config = ConfigDict(extra="forbid")
    model: type[BaseModel] = create_model("PredictRequest", __config__=config, **fields)
    return model


_ANSWERS: TypeAdapter[list[PredictionOut]] = TypeAdapter(list[PredictionOut])
JSON = "application/json"
HTTP_422_UNPROCESSABLE_CONTENT = 422


def body_model() -> type[BaseModel]:
    """The request model for the served model's contract (any record shape without a model)."""
    try:
        record: Any = contract_record_model()
    except ml.ModelNotFoundError:
        record = AnyRecord
    found = _body_models.get(record)
    if found is None:
        found = _body_models[record] = request_model(record)
    return found


def _error_body(payload: dict[str, Any]) -> bytes:
    payload["request_id"] = current_context().get("request_id")
    return json.dumps(payload).encode()


def validation_answer(error: ValidationError) -> bytes:
    """The 422 body: what BentoML answers for a request model's errors, with the request id."""
    detail = error.errors(include_url=False, include_context=False, include_input=False)
    count = error.error_count()
    noun = "validation error" if count == 1 else "validation errors"
    return _error_body({"error": f"{count} {noun} for {error.title}", "detail": detail})


async def predict_endpoint(scope: Scope, receive: Receive, send: Send) -> None:
    """``POST /predict`` as a plain ASGI app (see module): parse, check, batch, answer.

    Runs behind the gateway (request id, auth, rate limit, time limit, access log) and the
    body-size limit, like every route.
    """
    del scope
    body = await read_body(receive)
    try:
        request = body_model().model_validate_json(body)
        answers = await predict_records(list(getattr(request, "records")))  # noqa: B009
    except ValidationError as error:
        await send_bytes(send, HTTP_422_UNPROCESSABLE_CONTENT, validation_answer(error), JSON)
        return
    except BentoMLException as error:  # 422 (cannot be scored) or 503 (queue too long)
        answer = _error_body({"error": str(error)})
        await send_bytes(send, int(error.error_code), answer, JSON)
        return
    await send_bytes(send, 200, _ANSWERS.dump_json(answers), JSON)


def _mixin(record: Any) -> type:
    body = request_model(record)

    async def predict(self: object, request: Any, /) -> list[PredictionOut]:
        """Score records with the production model (batched across concurrent requests)."""
        del self
        return await predict_records(list(request.records))

    # The declared media type spares BentoML a JSON-schema build of the answer per response.
    answer = Annotated[list[PredictionOut], ContentType("application/json")]
    predict.__annotations__ = {"request": body, "return": answer}
    api = bentoml.api(route="/predict")
    return type("PredictAPI", (), {"predict": api(predict), "__module__": __name__})


def contribute() -> Contribution:
    """``/predict`` for the service (see :mod:`..adapters`)."""
    route_settings()  # invalid route settings fail at start-up, naming the variable
    return Contribution(
        pillar="ml",
        mixin=_mixin(record_type()),
        endpoints={("POST", "/predict"): predict_endpoint},
        readiness=[ready],
        routes=["/predict"],
    )
