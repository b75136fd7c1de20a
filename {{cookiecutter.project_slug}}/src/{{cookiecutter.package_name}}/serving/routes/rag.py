"""``POST /search`` (retrieval only) and ``POST /ask`` (answer with citations).

Present only when both the rag and serving pillars are (the template's manifest lists it as an
integration). Uses the rag pillar's public :mod:`.api` only: ``search`` and ``answer`` (grounded
by the LLM pillar when it is present, extractive otherwise). Retrieval latency is exported as
``serving_retrieval_seconds``; ``/readyz`` answers 503 until an index exists.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar, cast

import bentoml
from bentoml.exceptions import InvalidArgument, ServiceUnavailable
from pydantic import BaseModel, ConfigDict, Field

from ... import rag
from ...monitoring.metrics import histogram
from ...monitoring.tracing import get_tracer
from ...rag.settings import SearchMode
from .._adapters import Contribution

ResultT = TypeVar("ResultT")
MAX_QUERY_CHARS = 2_000


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
    """Run ``work``, observe its latency and map the rag pillar's errors to HTTP answers."""
    started = time.perf_counter()
    with get_tracer(__name__).start_as_current_span(f"rag.{endpoint}"):
        try:
            return work()
        except (rag.IndexNotFoundError, rag.EmbedderMismatchError) as missing:
            raise ServiceUnavailable(f"no usable index: {missing}") from missing
        except ValueError as invalid:
            raise InvalidArgument(str(invalid)) from invalid
        finally:
            histogram(
                "serving_retrieval_seconds", "Retrieval time of /search and /ask", ["endpoint"]
            ).labels(endpoint).observe(time.perf_counter() - started)


def _api(route: str) -> Callable[[Callable[..., Any]], Any]:
    return cast(Callable[[Callable[..., Any]], Any], bentoml.api(route=route))


class RagAPI:
    """The rag routes, mixed into the service class."""

    @_api("/search")
    def search(self, request: SearchRequest, /) -> SearchResponse:
        """The ``k`` chunks that best match ``query`` (hybrid retrieval)."""
        hits = _timed(
            "search", lambda: rag.search(request.query, request.k, request.filters, request.mode)
        )
        return SearchResponse(hits=hits)

    @_api("/ask")
    def ask(self, request: AskRequest, /) -> rag.RagAnswer:
        """An answer to ``question`` with numbered citations of the chunks it used."""
        return _timed("ask", lambda: rag.answer(request.question))


async def ready() -> str | None:
    """``None`` once the index opens, else why not."""
    try:
        rag.retriever()
    except (rag.IndexNotFoundError, rag.EmbedderMismatchError) as problem:
        return str(problem)
    return None


def contribute() -> Contribution:
    """``/search`` and ``/ask`` for the service (see :mod:`..serving.adapters`)."""
    return Contribution(pillar="rag", mixin=RagAPI, readiness=[ready], routes=["/ask", "/search"])
