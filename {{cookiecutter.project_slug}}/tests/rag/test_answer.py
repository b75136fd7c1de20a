from __future__ import annotations

from types import SimpleNamespace

import pytest
from pydantic import BaseModel

from {{ cookiecutter.package_name }}.rag.answer import EXTRACTIVE_LABEL, answer_from_context
from {{ cookiecutter.package_name }}.rag.context import Context, assemble_context
from {{ cookiecutter.package_name }}.rag.retrieval import Retriever

QUESTION = "How quickly must the on-call engineer acknowledge a page?"


class Passage(BaseModel):
    id: str
    text: str
    source: str


class GroundedAnswer(BaseModel):
    answer: str
    citations: list[str]
    abstained: bool
    reason: str | None


def _context(retriever: Retriever, question: str = QUESTION) -> Context:
    hits = retriever.search(question, k=4)
    return assemble_context(hits, 1200, lambda text: len(text.split()))


def test_extractive_answer_quotes_cited_sentences(shipped_retriever: Retriever) -> None:
    context = _context(shipped_retriever)

    result = answer_from_context(
        QUESTION, context, shipped_retriever.embedder, "auto", module_lookup=lambda: None
    )

    assert result.mode == "extractive"
    assert result.answer.startswith(EXTRACTIVE_LABEL)
    assert "15 minutes" in result.answer
    assert result.citations
    assert result.citations[0].source == "on-call-policy.md"
    refs = {citation.ref for citation in result.citations}
    assert all(f"[{ref}]" in result.answer for ref in refs)


def test_grounded_answer_uses_the_llm_pillar_contract(shipped_retriever: Retriever) -> None:
    received: list[list[Passage]] = []

    def grounded_answer(question: str, passages: list[Passage]) -> GroundedAnswer:
        received.append(passages)
        return GroundedAnswer(
            answer="Within 15 minutes [1].", citations=["1"], abstained=False, reason=None
        )

    module = SimpleNamespace(Passage=Passage, grounded_answer=grounded_answer)
    context = _context(shipped_retriever)

    result = answer_from_context(
        QUESTION, context, shipped_retriever.embedder, "auto", module_lookup=lambda: module
    )

    assert result.mode == "grounded"
    assert result.answer == "Within 15 minutes [1]."
    assert [c.chunk_id for c in result.citations] == [context.hits[0].chunk_id]
    assert received[0][0].id == "1"
    assert received[0][0].source == context.hits[0].citation


def test_failing_model_degrades_to_a_labelled_extractive_answer(
    shipped_retriever: Retriever,
) -> None:
    def broken(question: str, passages: list[Passage]) -> GroundedAnswer:
        raise ConnectionError("no route to the model")

    module = SimpleNamespace(Passage=Passage, grounded_answer=broken)
    context = _context(shipped_retriever)

    result = answer_from_context(
        QUESTION, context, shipped_retriever.embedder, "auto", module_lookup=lambda: module
    )

    assert result.mode == "extractive"
    assert result.reason == "LLM unavailable: no route to the model"
    with pytest.raises(ConnectionError):
        answer_from_context(
            QUESTION, context, shipped_retriever.embedder, "grounded", module_lookup=lambda: module
        )
    with pytest.raises(RuntimeError, match="needs the LLM pillar"):
        answer_from_context(
            QUESTION, context, shipped_retriever.embedder, "grounded", module_lookup=lambda: None
        )


def test_no_passages_means_abstaining(shipped_retriever: Retriever) -> None:
    empty = Context(text="", hits=[], tokens=0)

    result = answer_from_context(
        QUESTION, empty, shipped_retriever.embedder, "extractive", module_lookup=lambda: None
    )

    assert result.abstained
    assert result.citations == []
