"""OpenAI-compatible ``/v1/chat/completions`` (streaming or not) and ``/v1/models``.

Present only when both the llm and serving pillars are (the template's manifest lists it as an
integration). Any OpenAI client works against the service unchanged, e.g.
``OpenAI(base_url="http://host:3000/v1", api_key="<a service API key>")``. Answers come from
the llm pillar's :class:`LLMClient` (``run`` / ``stream``), so the model, fallbacks, budgets and
provider are the llm pillar's settings. Identical deterministic requests (temperature 0, one
choice) are answered from an in-process cache (``SERVING__LLM_CACHE_SIZE`` /
``SERVING__LLM_CACHE_TTL_S``: :class:`ChatRouteSettings`).

These are mounted as a small Starlette app rather than BentoML APIs: the OpenAI protocol needs
``GET`` routes, OpenAI-shaped errors and ``data:`` server-sent events.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncGenerator, Callable, Iterator
from contextlib import aclosing, contextmanager
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_ai.exceptions import UserError
from pydantic_ai.messages import ModelResponse
from pydantic_ai.usage import RequestUsage
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from ...core import cache_key
from ...core.logging import get_logger
from ...core.settings import get_settings
from ...llm import (
    BudgetExceededError,
    LLMClient,
    LLMSettings,
    TokenUsage,
    explain_model_error,
    metered,
    price,
)
from ...monitoring.metrics import counter
from ...monitoring.tracing import get_tracer
from .._adapters import Contribution
from .._budgets import (
    BudgetRefusedError,
    DailyBudgets,
    ModelPricing,
    Reservation,
    Spend,
    daily_budgets,
    estimate_tokens,
    key_name,
    provide_pricing,
)
from .._cache import TTLCache
from ..settings import ServingSettings

_log = get_logger("serving.llm")
# When to ask again after the provider was busy or down (the LLM client has retried already).
MODEL_RETRY_AFTER_S = 10


class TextPart(BaseModel):
    """One text part of a message's content (images and audio are not supported)."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["text"]
    text: str = Field(max_length=100_000)


class ChatMessage(BaseModel):
    """One message of the conversation (tool calls are not supported: refused with 422)."""

    model_config = ConfigDict(extra="forbid")

    role: Literal["system", "developer", "user", "assistant"]
    content: str | list[TextPart] = Field(description="Text, or a list of text parts.")
    name: str | None = Field(default=None, max_length=64)

    def text(self) -> str:
        """The message's text."""
        if isinstance(self.content, str):
            return self.content
        return "".join(part.text for part in self.content)


class ChatRequest(BaseModel):
    """The body of ``POST /v1/chat/completions``.

    Unknown fields are refused (422), as on every endpoint; the OpenAI parameters after ``n``
    are accepted so that OpenAI clients work unchanged, and ignored.
    """

    model_config = ConfigDict(extra="forbid")

    model: str = Field(min_length=1, max_length=200)
    messages: list[ChatMessage] = Field(min_length=1, max_length=256)
    stream: bool = False
    temperature: float | None = Field(default=None, ge=0, le=2)
    max_tokens: int | None = Field(default=None, ge=1, le=131_072)
    max_completion_tokens: int | None = Field(default=None, ge=1, le=131_072)
    n: Literal[1] | None = None
    top_p: float | None = Field(default=None, ge=0, le=1)
    user: str | None = Field(default=None, max_length=256)
    seed: int | None = Field(default=None, ge=-(2**63), le=2**63 - 1)
    stop: str | list[str] | None = Field(default=None, max_length=4)
    presence_penalty: float | None = Field(default=None, ge=-2, le=2)
    frequency_penalty: float | None = Field(default=None, ge=-2, le=2)
    stream_options: dict[str, bool] | None = None

    def prompt_chars(self) -> int:
        """Characters of every message (what the prompt-token estimate is based on)."""
        return sum(len(message.text()) + len(message.role) + 4 for message in self.messages)


@dataclass
class Answer:
    """A complete answer and what it cost."""

    text: str
    usage: TokenUsage
    cached: bool = False


@lru_cache(maxsize=4)
def _base_client(settings_json: str) -> LLMClient:
    return LLMClient(settings=LLMSettings.model_validate_json(settings_json))


def base_client() -> LLMClient:
    """The process-wide client for the current llm settings (its model is reused per request)."""
    return _base_client(get_settings().section("llm", LLMSettings).model_dump_json())


def served_model() -> str:
    """The model id clients ask for: the provider's model name."""
    return str(base_client().resolved_model.model_name)


class ChatRouteSettings(BaseModel):
    """Settings of ``/v1/chat/completions``: ``<PREFIX>_SERVING__LLM_<FIELD>`` (serving section)."""

    model_config = ConfigDict(extra="forbid")

    cache_size: int = Field(
        default=1024, ge=0, description="LLM answers kept for identical requests; 0 disables."
    )
    cache_ttl_s: float = Field(
        default=600.0, gt=0, description="Seconds a cached LLM answer stays valid."
    )


@lru_cache(maxsize=1)
def _cache(size: int, ttl_s: float) -> TTLCache[Answer]:
    return TTLCache(size, ttl_s)


def answer_cache() -> TTLCache[Answer]:
    """The answer cache sized by the serving settings."""
    route = route_settings()
    return _cache(route.cache_size, route.cache_ttl_s)


def _failure_text(problem: Exception, fallback: str) -> str:
    """What a failed model call tells the caller: its category, never the provider's body.

    The category: key refused, unreachable, rate limited...; the log keeps the provider's words.
    """
    explained = explain_model_error(problem)
    return explained.message if explained else fallback


def model_failed(problem: Exception) -> JSONResponse:
    """The answer of a chat completion whose model call failed, by what failed (never a 500).

    The request is longer than the model's context window: 400 (``context_length_exceeded``, as
    OpenAI says it: retrying cannot help). The provider is busy, down, slow or unreachable: 503 with
    ``Retry-After`` (the client's own retries are spent). Anything else (a key refused, an unknown
    model): 502. The message says which; the provider's words stay in the log.
    """
    explained = explain_model_error(problem)
    said = explained.message if explained else "the model provider failed"
    if explained is not None and explained.too_long:
        return error(400, said, "invalid_request_error", code="context_length_exceeded")
    retryable = explained is not None and explained.retryable
    answer = error(503 if retryable else 502, f"{said}; see the service log", "server_error")
    if retryable:
        answer.headers["Retry-After"] = str(MODEL_RETRY_AFTER_S)
    return answer


def error(
    status: int, message: str, kind: str, *, code: str | None = None, **extra: Any
) -> JSONResponse:
    """An error in OpenAI's shape (``{"error": {"message", "type", "param", "code"}}``).

    ``code`` goes in the error object, where the SDKs read it (``APIError.code``); ``extra``
    beside it.
    """
    body: dict[str, Any] = {
        "error": {"message": message, "type": kind, "param": None, "code": code}
    }
    return JSONResponse({**body, **extra}, status_code=status)


def request_client(chat: ChatRequest) -> LLMClient:
    """A client for this request: the shared model, the request's sampling overrides."""
    base = base_client()
    updates: dict[str, Any] = {}
    if chat.temperature is not None:
        updates["temperature"] = chat.temperature
    if (limit := chat.max_completion_tokens or chat.max_tokens) is not None:
        updates["max_tokens"] = limit
    return LLMClient(settings=base.settings.model_copy(update=updates), model=base.resolved_model)


def _messages(chat: ChatRequest) -> list[dict[str, str]]:
    roles = {"developer": "system"}
    return [{"role": roles.get(m.role, m.role), "content": m.text()} for m in chat.messages]


def _key(chat: ChatRequest, client: LLMClient) -> str | None:
    if client.settings.temperature != 0:
        return None
    limits = (client.settings.max_tokens, client.resolved_model.model_name)
    return cache_key({"messages": _messages(chat), "limits": limits})


def _record(usage: TokenUsage, model: str, cached: bool) -> None:
    counter("serving_llm_cache_total", "LLM cache lookups", ["result"]).labels(
        "hit" if cached else "miss"
    ).inc()
    tokens = counter("serving_llm_tokens_total", "LLM tokens", ["model", "kind"])
    tokens.labels(model, "input").inc(usage.input_tokens)
    tokens.labels(model, "output").inc(usage.output_tokens)
    if usage.cost_usd:
        counter("serving_llm_cost_usd_total", "LLM cost in USD", ["model"]).labels(model).inc(
            usage.cost_usd
        )


async def complete(chat: ChatRequest) -> Answer:
    """The whole answer (from the cache when an identical deterministic request was answered)."""
    client = request_client(chat)
    key = _key(chat, client)
    cache = answer_cache()
    if key is not None and (hit := cache.get(key)) is not None:
        _record(TokenUsage(), served_model(), cached=True)
        return Answer(hit.text, TokenUsage(), cached=True)
    with get_tracer(__name__).start_as_current_span("llm.chat"):
        result = await client.run(_messages(chat))
    answer = Answer(str(result.output), result.usage)
    _record(answer.usage, served_model(), cached=False)
    if key is not None:
        cache.put(key, answer)
    return answer


def _completion(answer: Answer, model: str) -> dict[str, Any]:
    usage = answer.usage
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": answer.text},
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": usage.input_tokens,
            "completion_tokens": usage.output_tokens,
            "total_tokens": usage.total_tokens,
        },
    }


def _chunk(ident: str, model: str, delta: dict[str, str], finish: str | None) -> str:
    body = {
        "id": ident,
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return f"data: {json.dumps(body)}\n\n"


# Where a request's spend is settled: the daily budgets and the reservation (None: no limit).
Settle = tuple[DailyBudgets, Reservation] | None


async def stream_events(
    chat: ChatRequest, model: str, settle: Settle = None
) -> AsyncGenerator[str, None]:
    """Server-sent events in OpenAI's chunk format, ending with ``data: [DONE]``.

    With ``settle``, the key is charged what the stream spent once it ends. A stream cut before
    its end (the client went away, the provider failed mid-way) reports no usage, but the
    provider billed the prompt and what it had sent: that is charged, estimated from their length.
    """
    spent: list[TokenUsage] = []
    sent: list[str] = []
    try:
        async for event in _events(chat, model, spent, sent):
            yield event
    finally:
        if settle is not None:
            budgets, reservation = settle
            used = _spent(sum(spent, TokenUsage())) if spent or not sent else _cut(chat, sent)
            await budgets.settle(reservation, used)


def _cut(chat: ChatRequest, sent: list[str]) -> Spend:
    """An estimate of what a stream cut after ``sent`` spent: its prompt and the text sent."""
    client = request_client(chat)
    prompt, output = estimate_tokens(chat.prompt_chars()), estimate_tokens(len("".join(sent)))
    model = client.resolved_model
    cost = call_price(client.settings, model.model_name, model.system, prompt, output)
    return Spend.of(prompt + output, cost)


async def _events(
    chat: ChatRequest, model: str, spent: list[TokenUsage], sent: list[str]
) -> AsyncGenerator[str, None]:
    """The stream's events; ``spent`` gets its usage at the end, ``sent`` each model delta."""
    ident = f"chatcmpl-{uuid.uuid4().hex}"
    yield _chunk(ident, model, {"role": "assistant", "content": ""}, None)
    client = request_client(chat)
    key = _key(chat, client)
    hit = answer_cache().get(key) if key is not None else None
    try:
        if hit is not None:
            _record(TokenUsage(), model, cached=True)
            yield _chunk(ident, model, {"content": hit.text}, None)
        else:
            # Closed here, in this task, when the stream is cut: left to the garbage collector,
            # the model's stream was closed in another task and pydantic-ai's context failed.
            async with aclosing(client.stream(_messages(chat))) as deltas:
                async for delta in deltas:
                    sent.append(delta)
                    yield _chunk(ident, model, {"content": delta}, None)
            _record(client.total_usage, model, cached=False)
            spent.append(client.total_usage)
            if key is not None:
                answer_cache().put(key, Answer("".join(sent), client.total_usage))
    except Exception as problem:
        _log.exception("stream failed")
        said = _failure_text(problem, "the model failed mid-stream")
        failure = {"error": {"message": said, "type": "server_error"}}
        yield f"data: {json.dumps(failure)}\n\n"
        return
    yield _chunk(ident, model, {}, "stop")
    yield "data: [DONE]\n\n"


async def parse(request: Request) -> ChatRequest | JSONResponse:
    """The validated request, or the error answer (400 bad JSON, 422 invalid, 404 model)."""
    try:
        chat = ChatRequest.model_validate_json(await request.body())
    except ValidationError as invalid:
        if any(item["type"] == "json_invalid" for item in invalid.errors()):
            # Not JSON, too deeply nested, or text that is not valid Unicode (lone surrogates).
            return error(400, "the body is not valid JSON (UTF-8 text)", "invalid_request_error")
        detail = invalid.errors(include_url=False, include_context=False, include_input=False)
        message = f"{invalid.error_count()} invalid field(s)"
        return error(422, message, "invalid_request_error", detail=detail)
    model = served_model()
    if chat.model not in {model, get_settings().section("llm", LLMSettings).model}:
        return error(404, f"model {chat.model!r} is not served; ask for {model!r}", "not_found")
    if chat.messages[-1].role != "user":
        return error(422, "the last message must come from the user", "invalid_request_error")
    return chat


def route_settings() -> ChatRouteSettings:
    """The chat route's settings in force."""
    return get_settings().section("serving", ServingSettings).route("llm", ChatRouteSettings)


def preflight(chat: ChatRequest, client: LLMClient) -> tuple[Spend, JSONResponse | None]:
    """What the request may spend at most, or the 413 answer when it exceeds one call's limit."""
    prompt = estimate_tokens(chat.prompt_chars())
    most = prompt + client.settings.max_tokens
    model = client.resolved_model
    cost = call_price(client.settings, model.model_name, model.system, prompt, most - prompt) or 0.0
    spend = Spend.of(most, cost)
    limit = client.settings.max_tokens_per_call
    if limit is not None and most > limit:
        message = (
            f"the prompt is about {prompt} tokens; with up to {client.settings.max_tokens} "
            f"generated it exceeds the per-call limit of {limit} tokens (LLM__MAX_TOKENS_PER_CALL)"
        )
        return spend, error(413, message, "invalid_request_error", code="context_length_exceeded")
    per_call = client.settings.max_cost_per_call_usd
    if per_call is not None and cost > per_call:
        message = f"this request may cost ${cost:.4f}, over LLM__MAX_COST_PER_CALL_USD=${per_call}"
        return spend, error(413, message, "invalid_request_error")
    return spend, None


async def reserve(request: Request, chat: ChatRequest) -> tuple[Settle, JSONResponse | None]:
    """Check the request's most possible spend against one call's and its key's daily limits."""
    most, refused = preflight(chat, request_client(chat))
    if refused is not None:
        return None, refused
    budgets = daily_budgets()
    if budgets is None:
        return None, None
    try:
        reservation = await budgets.reserve(key_name(request.state), most)
    except BudgetRefusedError as spent:
        answer = error(
            429, str(spent), "insufficient_quota", code="daily_budget", **spent.details()
        )
        answer.headers.update(spent.headers())
        return None, answer
    return (budgets, reservation), None


def _spent(usage: TokenUsage) -> Spend:
    return Spend.of(usage.total_tokens, usage.cost_usd)


async def chat_completions(request: Request) -> Response:
    """``POST /v1/chat/completions``."""
    chat = await parse(request)
    if isinstance(chat, JSONResponse):
        return chat
    model = served_model()
    settle, refused = await reserve(request, chat)
    if refused is not None:
        return refused
    if chat.stream:
        events = stream_events(chat, model, settle=settle)
        return StreamingResponse(events, media_type="text/event-stream")
    usage = TokenUsage()
    try:
        answer = await complete(chat)
        usage = answer.usage
    except BudgetExceededError as spent:
        return error(429, str(spent), "insufficient_quota")
    except Exception as problem:
        _log.exception("model call failed")
        return model_failed(problem)
    finally:
        if settle is not None:
            budgets, reservation = settle
            await budgets.settle(reservation, _spent(usage))
    return JSONResponse(_completion(answer, model))


async def list_models(request: Request) -> Response:
    """``GET /v1/models``: the one model this service answers with."""
    del request
    entry = {"id": served_model(), "object": "model", "created": 0, "owned_by": "service"}
    return JSONResponse({"object": "list", "data": [entry]})


async def _unconfigured(request: Request, exc: Exception) -> Response:
    """No model can be built (no key for the provider, its extra missing): a 503, never a 500.

    The caller learns the service is not set up; the reason, which names settings, goes to the log.
    """
    _log.error("the model provider is not configured", error=str(exc), path=request.url.path)
    message = "the model provider is not configured on this server; see the service log"
    return error(503, message, "server_error")


def app() -> Starlette:
    """The OpenAI-compatible routes, to mount under ``/v1``."""
    return Starlette(
        exception_handlers={UserError: _unconfigured},
        routes=[
            Route("/chat/completions", chat_completions, methods=["POST"]),
            Route("/models", list_models, methods=["GET"]),
        ],
    )


async def ready() -> str | None:
    """``None`` when a model can be built from the settings, else why not."""
    try:
        served_model()
    except Exception as problem:
        return f"llm model cannot be built: {problem}"
    return None


def call_price(
    settings: LLMSettings, model: str, provider: str, input_tokens: int, output_tokens: int
) -> float | None:
    """USD of a call, priced as the client charges it (``None``: unknown).

    The provider's price list (pydantic-ai's ``genai-prices``) when it knows the model, else the
    llm settings' ``INPUT_PRICE_PER_MTOK`` / ``OUTPUT_PRICE_PER_MTOK``.
    """
    usage = RequestUsage(input_tokens=input_tokens, output_tokens=output_tokens)
    call = ModelResponse(parts=[], usage=usage, model_name=model, provider_name=provider)
    try:
        return float(call.cost().total_price)
    except (LookupError, ValueError):  # a model the list does not know, or no model name
        return price(settings, input_tokens, output_tokens)


def pricing() -> ModelPricing:
    """The served model's limits and prices (the llm settings in force), for every budget.

    ``/ask`` and agent runs call this model too.
    """
    settings = get_settings().section("llm", LLMSettings)
    calls = settings.self_consistency_samples + (1 if settings.judge_enabled else 0)
    try:
        model = base_client().resolved_model
        name, provider = model.model_name, model.system
    except Exception:  # no model can be built (its calls will fail): the settings' prices
        name, provider = settings.model, ""

    @contextmanager
    def meter() -> Iterator[Callable[[], Spend]]:
        with metered() as spent:
            yield lambda: _spent(spent())

    return ModelPricing(
        max_output_tokens=settings.max_tokens,
        price=partial(call_price, settings, name, provider),
        grounded_calls=calls,
        meter=meter,
    )


def contribute() -> Contribution:
    """The OpenAI-compatible API for the service (see :mod:`..serving.adapters`)."""
    provide_pricing(pricing)
    return Contribution(
        pillar="llm",
        mounts=[("/v1", app())],
        readiness=[ready],
        routes=["/v1/chat/completions", "/v1/models"],
    )
