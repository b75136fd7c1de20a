"""Live context and query rewriting: what retrieval may ask for at query time.

Live context fetches the API sources marked ``live`` when a query arrives, chunks and embeds their
records, and ranks them by similarity to the query; the retriever fuses that ranking with the
indexed ones, so answers reflect what the API says now, not only what was indexed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..core.extensions import ExtensionPoint
from ..core.logging import get_logger
from ..embeddings import Embedder
from ._apis import load_api
from ._chunking import TokenCounter, chunk_documents
from ._retrieval import QueryRewriter
from ._store import Candidate
from ._web import Fetcher, FetchError
from .settings import ApiSource, RAGSettings

log = get_logger(__name__)

REWRITE_INSTRUCTIONS = (
    "Rewrite the user's search query into two alternative phrasings that use other words a "
    "document might contain. Answer with exactly two lines, no numbering, nothing else."
)

TextCompleter = Callable[[str, str], str]
"""``(prompt, instructions) -> text`` answered by a language model."""

COMPLETER: ExtensionPoint[Callable[[], TextCompleter]] = ExtensionPoint("rag.completer")
"""A factory of text completers; ``bridges/rag_llm.py`` fills it with the LLM pillar's client."""


@dataclass
class LiveApiContext:
    """Callable ``(query) -> ranked candidates`` over the live API sources."""

    sources: Sequence[ApiSource]
    fetcher: Fetcher
    embedder: Embedder
    settings: RAGSettings
    counter: TokenCounter

    def __call__(self, query: str) -> list[Candidate]:
        """Fetch, chunk, embed and rank the live records (a failing source is logged, skipped)."""
        documents = []
        for source in self.sources:
            try:
                documents += load_api(self.fetcher, source)
            except FetchError as error:
                log.warning("live source failed", source=source.name, error=str(error))
        chunks = chunk_documents(
            documents,
            self.settings.chunk_max_tokens,
            self.settings.chunk_overlap_tokens,
            self.counter,
        )
        if not chunks:
            return []
        vectors = self.embedder.embed([query, *(chunk.search_text for chunk in chunks)])
        scores = vectors[1:] @ vectors[0]
        ranked = sorted(zip(scores.tolist(), chunks, vectors[1:], strict=True), key=_score)
        return [
            Candidate(
                chunk_id=chunk.id,
                document_id=chunk.document_id,
                source=chunk.source,
                title=chunk.title,
                section=chunk.section,
                text=chunk.text,
                kind="api",
                fetched_at=chunk.fetched_at,
                score=score,
                vector=vector,
            )
            for score, chunk, vector in reversed(ranked[-self.settings.candidates :])
        ]


def _score(item: tuple[float, object, object]) -> float:
    return item[0]


def model_rewriter() -> QueryRewriter | None:
    """A rewriter asking a language model for two more phrasings; ``None`` without one."""
    factory = COMPLETER.get()
    if factory is None:
        return None
    complete = factory()

    def rewrite(query: str) -> list[str]:
        try:
            output = complete(query, REWRITE_INSTRUCTIONS)
        except Exception as error:
            log.warning("query rewriting failed", error=str(error))
            return []
        return [line.strip(" -•\t") for line in output.splitlines() if line.strip()][:2]

    return rewrite
