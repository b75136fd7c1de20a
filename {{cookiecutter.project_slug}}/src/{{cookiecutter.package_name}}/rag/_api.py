"""The pillar's public entry points for other pillars (serving, agents): ``search`` and ``answer``.

Both read the settings, open the configured store once per settings and reuse it; they see new
index builds without a restart (LanceDB re-reads its manifest, PostgreSQL sees committed updates).
"""

from __future__ import annotations

from functools import lru_cache

from ..core.settings import get_settings
from ._answer import Citation, RagAnswer, answer_from_context
from ._chunking import token_counter
from ._context import assemble_context
from ._pipeline import make_retriever, resolve_paths
from ._retrieval import Hit, Retriever
from ._store import Filters
from .settings import SearchMode

__all__ = ["Citation", "Hit", "RagAnswer", "answer", "retriever", "search"]


@lru_cache(maxsize=4)
def _retriever(settings_key: str) -> Retriever:
    del settings_key  # only the cache key: other settings, another retriever
    return make_retriever(resolve_paths())


def retriever() -> Retriever:
    """The process-wide retriever for the current settings.

    Raises:
        IndexNotFoundError: nothing was indexed yet.
        EmbedderMismatchError: the index was built with another embedder.
    """
    core = get_settings()
    return _retriever(core.model_dump_json(include={"data_dir", "artifacts_dir", "rag"}))


def search(
    query: str, k: int = 5, filters: Filters | None = None, mode: SearchMode | None = None
) -> list[Hit]:
    """The ``k`` best chunks for ``query``, optionally filtered.

    ``filters`` maps ``source``, ``document_id``, ``kind`` or ``title`` to a value or a list;
    ``mode`` is hybrid, vector or text (default: the ``search_mode`` setting, hybrid).

    Raises:
        ValueError: blank query or unknown filter key.
        IndexNotFoundError: nothing was indexed yet.
    """
    return retriever().search(query, k=k, filters=filters, mode=mode)


def answer(question: str, k: int | None = None) -> RagAnswer:
    """Answer ``question`` from the index: grounded with the LLM pillar, else extractive.

    Raises:
        ValueError: blank question.
        IndexNotFoundError: nothing was indexed yet.
    """
    active = retriever()
    settings = active.settings
    hits = active.search(question, k=k or settings.top_k)
    context = assemble_context(hits, settings.context_max_tokens, token_counter(settings))
    return answer_from_context(question, context, active.embedder, settings.answer_mode)
