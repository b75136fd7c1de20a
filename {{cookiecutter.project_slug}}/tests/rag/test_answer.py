from __future__ import annotations

import pytest

from {{ cookiecutter.package_name }}.rag._answer import (
    EXTRACTIVE_LABEL,
    GroundedDraft,
    GroundingError,
    answer_from_context,
)
from {{ cookiecutter.package_name }}.rag._context import Context, assemble_context
from {{ cookiecutter.package_name }}.rag._retrieval import Retriever

QUESTION = "How quickly must the on-call engineer acknowledge a page?"


def _context(retriever: Retriever, question: str = QUESTION) -> Context:
    hits = retriever.search(question, k=4)
    return assemble_context(hits, 1200, lambda text: len(text.split()))


def test_extractive_answer_quotes_cited_sentences(shipped_retriever: Retriever) -> None:
    context = _context(shipped_retriever)

    result = answer_from_context(
        QUESTION, context, shipped_retriever.embedder, "auto", grounder_lookup=lambda: None
    )

    assert result.mode == "extractive"
    assert result.answer.startswith(EXTRACTIVE_LABEL)
    assert "15 minutes" in result.answer
    assert result.citations
    assert result.citations[0].source == "on-call-policy.md"
    refs = {citation.ref for citation in result.citations}
    assert all(f"[{ref}]" in result.answer for ref in refs)


def test_grounded_answer_maps_cited_passage_numbers_to_chunks(
    shipped_retriever: Retriever,
) -> None:
    received: list[tuple[str, Context]] = []

    def grounder(question: str, context: Context) -> GroundedDraft:
        received.append((question, context))
        return GroundedDraft(answer="Within 15 minutes [1].", refs=[1, 99])

    context = _context(shipped_retriever)

    result = answer_from_context(
        QUESTION, context, shipped_retriever.embedder, "auto", grounder_lookup=lambda: grounder
    )

    assert result.mode == "grounded"
    assert result.answer == "Within 15 minutes [1]."
    assert [c.chunk_id for c in result.citations] == [context.hits[0].chunk_id]
    assert received == [(QUESTION, context)]


def test_failing_model_degrades_to_a_labelled_extractive_answer(
    shipped_retriever: Retriever,
) -> None:
    def broken(question: str, context: Context) -> GroundedDraft:
        raise ConnectionError("no route to http://10.0.0.7 with key sk-...")

    def refused(question: str, context: Context) -> GroundedDraft:
        raise GroundingError("the model provider refused the API key")

    context = _context(shipped_retriever)

    result = answer_from_context(
        QUESTION, context, shipped_retriever.embedder, "auto", grounder_lookup=lambda: broken
    )
    said = answer_from_context(
        QUESTION, context, shipped_retriever.embedder, "auto", grounder_lookup=lambda: refused
    )

    assert result.mode == said.mode == "extractive"
    # Callers read a GroundingError's message; of any other error only its kind.
    assert result.reason == "LLM unavailable: ConnectionError"
    assert said.reason == "LLM unavailable: the model provider refused the API key"
    with pytest.raises(ConnectionError):
        answer_from_context(
            QUESTION,
            context,
            shipped_retriever.embedder,
            "grounded",
            grounder_lookup=lambda: broken,
        )
    with pytest.raises(RuntimeError, match="needs the LLM pillar"):
        answer_from_context(
            QUESTION, context, shipped_retriever.embedder, "grounded", grounder_lookup=lambda: None
        )


def test_no_passages_means_abstaining(shipped_retriever: Retriever) -> None:
    empty = Context(text="", hits=[], tokens=0)

    result = answer_from_context(
        QUESTION, empty, shipped_retriever.embedder, "extractive", grounder_lookup=lambda: None
    )

    assert result.abstained
    assert result.citations == []
