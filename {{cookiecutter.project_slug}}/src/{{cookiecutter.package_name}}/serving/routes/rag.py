"""``POST /search`` (retrieval only) and ``POST /ask`` (answer with citations).

Present only when both the rag and serving pillars are (the template's manifest lists it as an
integration). Uses the rag pillar's public :mod:`.api` only: ``search`` and ``answer`` (grounded
by the LLM pillar when it is present, extractive otherwise). Retrieval latency is exported as
``serving_retrieval_seconds``. ``/readyz`` answers 503 until an index exists, and warms the
retriever first (its first search would import LanceDB and load the embedder: about 0.5 s).
Without a usable index (none built yet, or built with another embedder) ``/search`` and ``/ask``
answer 503 saying so, with ``Retry-After``; the reason with the index path goes to the log.

A grounded ``/ask`` calls the model, so it draws on the caller's daily budget
(``SERVING__DAILY_TOKENS_PER_KEY`` / ``SERVING__DAILY_COST_USD_PER_KEY``, shared with chat and
agent runs): before retrieval it reserves its worst case (the question and a full context per
model call, each call generating its most), answers 429 with the budget and its reset time when
that does not fit, and afterwards keeps only what its model calls really spent.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar, cast

import bentoml
from bentoml.exceptions import InvalidArgument
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import JSONResponse

from ... import rag
from ...core.logging import get_logger
from ...core.settings import get_settings
from ...monitoring.context import current_context
from ...monitoring.metrics import histogram
from ...monitoring.tracing import get_tracer
from ...rag.settings import SearchMode
from .._adapters import Contribution
from .._budgets import (
    BudgetRefusedError,
    DailyBudgets,
    ModelPricing,
    Spend,
    daily_budgets,
    estimate_tokens,
    key_name,
    model_pricing,
)

ResultT = TypeVar("ResultT")
MAX_QUERY_CHARS = 2_000
# Tokens of a grounded-answer prompt besides the question and passages (instructions, schema).
PROMPT_OVERHEAD_TOKENS = 600
# /ask answers one question at a time per worker, on a thread of its own (as BentoML's one
# thread for sync APIs did), while its budget is reserved and settled on the event loop.
_ANSWERING = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rag-ask")
# No index to answer from: built later (`rag index`), or rebuilt for this server's embedder.
UNUSABLE_INDEX = (rag.IndexNotFoundError, rag.EmbedderMismatchError)
RETRY_AFTER_S = 60
# When to ask again after the model behind a grounded answer was busy or down (the LLM client has
# retried already).
MODEL_RETRY_AFTER_S = 10
_log = get_logger("serving.rag")


class SearchRequest(BaseModel):
    """Body of ``POST /search``."""

    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1, max_length=MAX_QUERY_CHARS, description="What to look for.")
    k: int = Field(default=5, ge=1, le=50, description="How many chunks to return.")
    filters: dict[str, str | list[str]] | None = Field(
        default=None,
        description="Restrict to source, document_id, kind or title (a value or a list).",
    )
    mode: SearchMode | None = Field(
        default=None, description="hybrid, vector or text; unset: the rag setting search_mode."
    )


class SearchResponse(BaseModel):
    """The best chunks, best first."""

    hits: list[rag.Hit]


class AskRequest(BaseModel):
    """Body of ``POST /ask``."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=MAX_QUERY_CHARS)


def _timed(endpoint: str, work: Callable[[], ResultT]) -> ResultT:  # noqa: UP047, RUF100
    """Run ``work``, observe its latency and answer 400 for what the rag pillar refuses."""
    started = time.perf_counter()
    with get_tracer(__name__).start_as_current_span(f"rag.{endpoint}"):
        try:
            return work()
        except UNUSABLE_INDEX:  # a ValueError too, but the server's problem: see unusable_index
            raise
        except ValueError as invalid:
            raise InvalidArgument(str(invalid)) from invalid
        finally:
            histogram(
                "serving_retrieval_seconds", "Retrieval time of /search and /ask", ["endpoint"]
            ).labels(endpoint).observe(time.perf_counter() - started)


def unusable_index(problem: Exception, context: bentoml.Context) -> JSONResponse:
    """The 503 of a request the service has no usable index for, saying what is missing.

    Answered here, not raised: BentoML replaces the message of every 5xx error it handles with
    "An unexpected error has occurred" and logs a traceback. The index path stays in the log.
    """
    _log.warning("rag request without a usable index", reason=str(problem))
    if isinstance(problem, rag.EmbedderMismatchError):
        message = "the RAG index was built with another embedder than this server's: rebuild it"
    else:
        message = "no RAG index has been built on this server yet: build it with `rag index`"
    body = {"error": message, "request_id": current_context().get("request_id")}
    return _json_answer(context, 503, body, {"Retry-After": str(RETRY_AFTER_S)})


def model_failed(failed: rag.GroundingError, context: bentoml.Context) -> JSONResponse:
    """The answer of an ``/ask`` whose model failed (``answer_mode=grounded``): never a 500.

    503 with ``Retry-After`` when the model may answer later (busy, down, slow); 503 when no model
    is configured here (no API key); else 502 (a key refused, an unknown model...). The caller
    reads what failed; the provider's words and this server's settings go to the log.
    """
    _log.error("grounded answer failed", error=str(failed), cause=repr(failed.__cause__))
    said = str(failed)
    if failed.unconfigured:  # its message names this server's settings: kept for the log
        said = "the model provider is not configured on this server"
    body = {
        "error": f"{said}; see the service log",
        "request_id": current_context().get("request_id"),
    }
    if failed.retryable:
        return _json_answer(context, 503, body, {"Retry-After": str(MODEL_RETRY_AFTER_S)})
    return _json_answer(context, 503 if failed.unconfigured else 502, body, {})


def _api(route: str, **options: Any) -> Callable[[Callable[..., Any]], Any]:
    return cast(Callable[[Callable[..., Any]], Any], bentoml.api(route=route, **options))


def ask_worst_case(question: str, pricing: ModelPricing) -> Spend:
    """The most an answer to ``question`` may spend.

    Every grounded call with a full context, plus the query rewrite when it is on.
    """
    settings = get_settings().section("rag", rag.RAGSettings)
    prompt = estimate_tokens(len(question)) + settings.context_max_tokens + PROMPT_OVERHEAD_TOKENS
    most = pricing.worst_case(prompt, pricing.grounded_calls)
    if settings.rewrite_query:
        rewrite = pricing.worst_case(estimate_tokens(len(question)) + PROMPT_OVERHEAD_TOKENS)
        most = Spend(most.tokens + rewrite.tokens, most.micro_usd + rewrite.micro_usd)
    return most


def _spends_model() -> bool:
    settings = get_settings().section("rag", rag.RAGSettings)
    return settings.answer_mode != "extractive" and rag.GROUNDER.get() is not None


def refusal(refused: BudgetRefusedError, context: bentoml.Context) -> JSONResponse:
    """The 429 answer of a request over its key's daily budget."""
    body = {"error": str(refused), **refused.details()}
    return _json_answer(context, 429, body, refused.headers())


def _json_answer(
    context: bentoml.Context, status: int, body: dict[str, Any], headers: dict[str, str]
) -> JSONResponse:
    """An API's JSON answer with ``status``.

    BentoML takes the status and headers of an API's response from the request's context, the
    body from the returned response.
    """
    context.response.status_code = status
    context.response.metadata.update(headers)
    return JSONResponse(body, status_code=status, headers=headers)


async def _answer(question: str) -> rag.RagAnswer:
    """``rag.answer`` on the answering thread, in a copy of this request's context."""
    work = contextvars.copy_context().run
    answer = partial(_timed, "ask", partial(rag.answer, question))
    return await asyncio.get_running_loop().run_in_executor(_ANSWERING, work, answer)


async def _budgeted_answer(
    question: str, budgets: DailyBudgets, pricing: ModelPricing, context: bentoml.Context
) -> rag.RagAnswer | JSONResponse:
    key = key_name(context.request.state)
    try:
        reservation = await budgets.reserve(key, ask_worst_case(question, pricing))
    except BudgetRefusedError as refused:
        return refusal(refused, context)
    with pricing.meter() as spent:  # counts the model calls of this request's thread
        try:
            return await _answer(question)
        finally:  # what the model calls really spent replaces the reservation
            await budgets.settle(reservation, spent())


class RagAPI:
    """The rag routes, mixed into the service class."""

    @_api("/search", output_spec=SearchResponse)
    def search(
        self, request: SearchRequest, /, context: bentoml.Context
    ) -> SearchResponse | JSONResponse:
        """The ``k`` chunks that best match ``query`` (hybrid retrieval)."""
        try:
            hits = _timed(
                "search",
                lambda: rag.search(request.query, request.k, request.filters, request.mode),
            )
        except UNUSABLE_INDEX as problem:
            return unusable_index(problem, context)
        return SearchResponse(hits=hits)

    @_api("/ask", output_spec=rag.RagAnswer)
    async def ask(
        self, request: AskRequest, /, context: bentoml.Context
    ) -> rag.RagAnswer | JSONResponse:
        """An answer to ``question`` with numbered citations of the chunks it used."""
        budgets, pricing = daily_budgets(), model_pricing()
        try:
            if budgets is None or pricing is None or not _spends_model():
                return await _answer(request.question)
            return await _budgeted_answer(request.question, budgets, pricing, context)
        except UNUSABLE_INDEX as problem:
            return unusable_index(problem, context)
        except rag.GroundingError as failed:
            return model_failed(failed, context)


async def ready() -> str | None:
    """``None`` once the index opens and the retriever is warm, else why not.

    Warm: the first search would otherwise import the store's library and load the embedder.
    """
    try:
        retriever = rag.retriever()
    except UNUSABLE_INDEX as problem:
        return str(problem)
    try:
        await asyncio.to_thread(retriever.warm)
    except Exception as problem:  # a probe answers 503 with the reason, never 500
        return f"the RAG index does not answer a search ({type(problem).__name__})"
    return None


def contribute() -> Contribution:
    """``/search`` and ``/ask`` for the service (see :mod:`..serving.adapters`)."""
    return Contribution(pillar="rag", mixin=RagAPI, readiness=[ready], routes=["/ask", "/search"])
