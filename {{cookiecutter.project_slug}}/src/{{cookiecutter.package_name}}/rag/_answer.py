"""Answers from retrieved passages: grounded by a language model when one is plugged in, or quoted.

The grounded path hands the numbered passages of a :class:`Context` to the :data:`GROUNDER`
extension point and maps the passage numbers it cites back to chunks. With the LLM pillar, the
bridge ``bridges/rag_llm.py`` fills that point with the LLM pillar's citation contract. Without
one (or with ``answer_mode=extractive``) the answer is the sentences of the best passages closest
to the question, each with its citation, and says plainly that no model wrote it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from pydantic import BaseModel

from ..core.extensions import ExtensionPoint
from ..core.logging import get_logger
from ..embeddings import Embedder
from ._context import Context

log = get_logger(__name__)

EXTRACTIVE_LABEL = "Extractive answer (quoted from the sources; no language model was used):"
# Quote only sentences at least this close to the question, relative to the best one.
RELATIVE_FLOOR = 0.8
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n\s*\n")
_WRAPPED = re.compile(r"(?<!\n)\n(?![\n|#-])")


class Citation(BaseModel):
    """A passage an answer relies on."""

    ref: int
    chunk_id: str
    source: str
    section: str
    title: str
    text: str = ""
    """The cited chunk's text (what a reader expands to check the claim)."""


class RagAnswer(BaseModel):
    """An answer with its citations; ``mode`` says whether a model wrote it."""

    answer: str
    citations: list[Citation]
    mode: Literal["grounded", "extractive"]
    abstained: bool = False
    reason: str | None = None


def _citations(context: Context, refs: list[int]) -> list[Citation]:
    return [
        Citation(
            ref=ref,
            chunk_id=context.hits[ref - 1].chunk_id,
            source=context.hits[ref - 1].source,
            section=context.hits[ref - 1].section,
            title=context.hits[ref - 1].title,
            text=context.hits[ref - 1].text,
        )
        for ref in refs
        if 1 <= ref <= len(context.hits)
    ]


class GroundingError(RuntimeError):
    """The model behind :data:`GROUNDER` gave no usable answer.

    Its message is safe to show a caller (what failed, never the provider's words: those stay in
    the exception it was raised from, and the log). ``retryable``: the same question may get an
    answer later (the provider was busy, down or slow). ``unconfigured``: no model can be built
    here (no API key, the provider's extra missing); the message says what to set.
    """

    def __init__(
        self, message: str, *, retryable: bool = False, unconfigured: bool = False
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.unconfigured = unconfigured


@dataclass(frozen=True)
class GroundedDraft:
    """What a model answered from numbered passages: the text and the passage numbers it cites."""

    answer: str
    refs: list[int] = field(default_factory=list)
    abstained: bool = False
    reason: str | None = None


Grounder = Callable[[str, Context], GroundedDraft]
"""Answers ``question`` from ``context.hits`` (passage ``n`` is ``context.hits[n - 1]``)."""

GROUNDER: ExtensionPoint[Grounder] = ExtensionPoint("rag.grounder")
"""Filled by ``bridges/rag_llm.py`` when the LLM pillar is part of the project."""


def _no_passages(mode: Literal["grounded", "extractive"]) -> RagAnswer:
    return RagAnswer(
        answer="No indexed passage matches the question.",
        citations=[],
        mode=mode,
        abstained=True,
        reason="no passages retrieved",
    )


def grounded(question: str, context: Context, grounder: Grounder) -> RagAnswer:
    """Ask ``grounder`` for an answer that cites the numbered passages."""
    draft = grounder(question, context)
    return RagAnswer(
        answer=draft.answer,
        citations=_citations(context, draft.refs),
        mode="grounded",
        abstained=draft.abstained,
        reason=draft.reason,
    )


def extractive(
    question: str, context: Context, embedder: Embedder, max_sentences: int = 3
) -> RagAnswer:
    """Quote the sentences of the context closest to the question (at most two per passage)."""
    if not context.hits:
        return _no_passages("extractive")
    sentences: list[tuple[int, str]] = []
    for ref, hit in enumerate(context.hits, start=1):
        pieces = [" ".join(s.split()) for s in _SENTENCE.split(_WRAPPED.sub(" ", hit.text))]
        sentences += [(ref, piece) for piece in pieces if len(piece.split()) >= 3]  # noqa: PLR2004
    if not sentences:
        sentences = [(1, " ".join(context.hits[0].text.split()))]
    vectors = embedder.embed([question, *(text for _, text in sentences)])
    similarity = vectors[1:] @ vectors[0]
    chosen: list[tuple[int, str]] = []
    per_ref: dict[int, int] = {}
    floor = float(similarity.max()) * RELATIVE_FLOOR
    for index in np.argsort(-similarity):
        if chosen and similarity[index] < floor:
            break
        ref, text = sentences[int(index)]
        if per_ref.get(ref, 0) < 2:  # noqa: PLR2004
            chosen.append((ref, text))
            per_ref[ref] = per_ref.get(ref, 0) + 1
        if len(chosen) == max_sentences:
            break
    lines = [EXTRACTIVE_LABEL, *(f'- "{text}" [{ref}]' for ref, text in chosen)]
    return RagAnswer(
        answer="\n".join(lines),
        citations=_citations(context, sorted({ref for ref, _ in chosen})),
        mode="extractive",
    )


def answer_from_context(
    question: str,
    context: Context,
    embedder: Embedder,
    mode: Literal["auto", "grounded", "extractive"] = "auto",
    grounder_lookup: Callable[[], Grounder | None] = GROUNDER.get,
) -> RagAnswer:
    """Grounded when a grounder is plugged in (``auto``) or required (``grounded``).

    In ``auto`` mode a failing model (no API key, endpoint down) degrades to the extractive answer,
    with the error in ``reason``; in ``grounded`` mode it raises.

    Raises:
        RuntimeError: ``mode`` is ``grounded`` but no grounder is plugged in.
    """
    grounder = None if mode == "extractive" else grounder_lookup()
    if grounder is None:
        if mode == "grounded":
            raise RuntimeError("answer_mode=grounded needs the LLM pillar (bridges/rag_llm.py)")
        return extractive(question, context, embedder)
    if not context.hits:
        return _no_passages("grounded")
    if mode == "grounded":
        return grounded(question, context, grounder)
    try:
        return grounded(question, context, grounder)
    except Exception as error:  # auto mode: degrade to a labelled extractive answer
        cause = error.__cause__ or error
        log.warning("grounded answer failed, answering extractively", error=repr(cause))
        # The reason reaches callers: a GroundingError's safe message, else only the error's kind.
        said = str(error) if isinstance(error, GroundingError) else type(error).__name__
        fallback = extractive(question, context, embedder)
        return fallback.model_copy(update={"reason": f"LLM unavailable: {said}"})
