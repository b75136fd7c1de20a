"""What every vector store implements, and the records that cross that boundary.

Two stores implement :class:`VectorStore`: :class:`.lance_store.LanceStore` (embedded, on disk)
and :class:`.pg_store.PgVectorStore` (PostgreSQL + pgvector). ``vector_store`` in the settings
picks one; retrieval, indexing and evaluation only see this interface.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Protocol

from pydantic import BaseModel

from ..embeddings import Embedder, Vectors
from ._chunking import Chunk, section_path
from ._documents import Document

FILTER_KEYS = ("source", "document_id", "kind", "title")
Filters = Mapping[str, str | Sequence[str]]
_WORDS = re.compile(r"\w+")
# A word with inner dots, underscores or a lower-to-upper case change; and the parts of one.
_COMPOUND = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:[._][A-Za-z0-9_]+|[a-z0-9][A-Z][A-Za-z0-9_]*)+")
_PIECES = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
# A whole run of identifier characters holding a dot, an underscore or a case change: the only
# runs a compound can lie in. Anchored at the run's start, so a plain word is scanned once (the
# compound pattern alone retries from every letter of every word). The lookahead decides with
# possessive steps, without backtracking: the run's first character that is no letter or digit
# is a dot or an underscore, or its first lower-case (or digit) block after its leading capitals
# is followed by a capital.
_CANDIDATE = re.compile(
    r"(?<![A-Za-z0-9_.])(?=[A-Za-z0-9]*+[._]|[A-Z]*+[a-z0-9]++[A-Z])[A-Za-z0-9_.]+"
)


class IndexNotFoundError(FileNotFoundError):
    """No index has been built in this store yet."""


class EmbedderMismatchError(ValueError):
    """The query embedder differs from the one the index was built with."""


class IndexMeta(BaseModel):
    """What a store records about its live index."""

    format_version: int = 2
    build_id: str
    embedder: str
    dimension: int
    chunking: str
    documents: int
    chunks: int
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Candidate:
    """A chunk returned by one ranking of a store, with its score and (when asked) vector."""

    chunk_id: str
    document_id: str
    source: str
    title: str
    section: tuple[str, ...]
    text: str
    kind: str
    fetched_at: datetime
    score: float
    vector: Vectors | None = field(default=None, compare=False, repr=False)

    @property
    def section_path(self) -> str:
        """Heading path joined with ``" > "``."""
        return section_path(self.section, self.title)


@dataclass(frozen=True, slots=True)
class IndexUpdate:
    """One atomic change: drop ``removed`` documents, (re)write ``documents`` with their chunks.

    ``rebuild`` replaces the whole index (embedder or chunking changed). ``embed`` returns the
    chunks' vectors (one row per chunk, in order); a store calls it once, when it needs them, so
    work that needs only the chunks can run while they are embedded (pgvector derives its
    full-text tables meanwhile).
    """

    meta: IndexMeta
    documents: Sequence[Document]
    chunks: Sequence[Chunk]
    embed: Callable[[], Vectors]
    removed: Sequence[str]
    rebuild: bool = False


class VectorStore(Protocol):
    """An index of chunks with dense and lexical search; updates are all-or-nothing."""

    def meta(self) -> IndexMeta | None:
        """The live index's metadata, ``None`` before the first build."""
        ...

    def document_hashes(self) -> dict[str, str]:
        """Content hash of every indexed document, by document id."""
        ...

    def apply(self, update: IndexUpdate) -> None:
        """Apply ``update`` atomically: readers see the old index or the new one, never a mix."""
        ...

    def vector_search(
        self, vector: Vectors, k: int, filters: Filters | None = None
    ) -> list[Candidate]:
        """The ``k`` nearest chunks by cosine similarity (score = similarity), with vectors."""
        ...

    def text_search(self, query: str, k: int, filters: Filters | None = None) -> list[Candidate]:
        """The ``k`` best chunks by full-text relevance (higher is better), with vectors."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


def check_filters(filters: Filters | None) -> dict[str, list[str]]:
    """Filters as ``{key: [allowed values]}``.

    Raises:
        ValueError: an unknown filter key (the message lists the known ones).
    """
    checked: dict[str, list[str]] = {}
    for key, value in (filters or {}).items():
        if key not in FILTER_KEYS:
            raise ValueError(f"unknown filter {key!r}; filter on one of {', '.join(FILTER_KEYS)}")
        checked[key] = [value] if isinstance(value, str) else list(value)
    return checked


def identifier_parts(text: str) -> list[str]:
    """The lower-cased parts of the compound identifiers in ``text``, in order.

    ``package.module.Class.method``, ``snake_case_name`` and ``camelCaseName`` are one token to
    most full-text tokenisers (PostgreSQL's ``english`` configuration keeps dotted names whole);
    their parts (``package module class method``) are what a question names.
    """
    parts: list[str] = []
    for run in _CANDIDATE.findall(text):
        parts += _run_parts(run)
    return parts


@lru_cache(maxsize=1 << 16)
def _run_parts(run: str) -> tuple[str, ...]:
    """The parts of the compounds in one identifier run (cached: a corpus repeats its names)."""
    parts: list[str] = []
    for match in _COMPOUND.finditer(run):
        pieces = _PIECES.findall(match.group())
        if len(pieces) > 1:
            parts += (piece.lower() for piece in pieces)
    return tuple(parts)


def lexical_text(text: str) -> str:
    """What the full-text index of both stores holds: ``text``, then its identifier parts."""
    parts = identifier_parts(text)
    return f"{text}\n{' '.join(parts)}" if parts else text


def query_words(query: str) -> str:
    """The words of ``query`` (punctuation dropped) and their identifier parts, for full text."""
    return " ".join([*_WORDS.findall(query), *identifier_parts(query)])


def check_embedder(meta: IndexMeta, embedder: Embedder, where: str) -> None:
    """Raise :class:`EmbedderMismatchError` unless ``embedder`` matches the index's."""
    if (meta.embedder, meta.dimension) != (embedder.name, embedder.dimension):
        raise EmbedderMismatchError(
            f"the index in {where} was built with embedder {meta.embedder!r} "
            f"({meta.dimension} dimensions) but the query embedder is {embedder.name!r} "
            f"({embedder.dimension} dimensions); rebuild the index (`make rag-index`) or set the "
            "rag embedder settings back to the ones it was built with"
        )
