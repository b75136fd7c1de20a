"""Agents x RAG: the agents may search the project's document index (``rag_search``)."""

from __future__ import annotations

from typing import Any

from .. import agents, rag

MAX_PASSAGES = 10


@agents.PILLAR_TOOLS.provide
def rag_search(query: str, k: int = 4) -> list[dict[str, Any]]:
    """Search the project's document index; returns passages with their source and score.

    Args:
        query: what to look for, in a few words or a question.
        k: how many passages (1-10).
    """
    hits = rag.search(query, k=max(1, min(k, MAX_PASSAGES)))
    return [
        {"source": hit.source, "title": hit.title, "text": hit.text, "score": round(hit.score, 4)}
        for hit in hits
    ]
