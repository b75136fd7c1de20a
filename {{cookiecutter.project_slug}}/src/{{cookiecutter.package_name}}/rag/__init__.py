"""Retrieval-augmented generation: load sources, chunk, index (LanceDB/pgvector), retrieve, answer.

Heavy libraries (lancedb, pyarrow, psycopg, wordllama, prefect) load only when used. Serving and
the bridges use :func:`search` and :func:`answer`; the extension points :data:`GROUNDER` (grounded
answers) and :data:`COMPLETER` (query rewriting) are filled by ``bridges/rag_llm.py`` when the LLM
pillar is present.
"""

from ._answer import GROUNDER, Citation, GroundedDraft, Grounder, GroundingError, RagAnswer
from ._api import answer, retriever, search
from ._chunking import Chunk, Section, chunk_document, chunk_documents, split_sections
from ._context import Context
from ._documents import Document, load_documents, make_document
from ._indexer import IndexReport, index_documents
from ._live import COMPLETER, TextCompleter
from ._retrieval import Hit, Retriever, make_embedder
from ._store import EmbedderMismatchError, Filters, IndexMeta, IndexNotFoundError, VectorStore
from .settings import RAGSettings

__all__ = [
    "COMPLETER",
    "GROUNDER",
    "Chunk",
    "Citation",
    "Context",
    "Document",
    "EmbedderMismatchError",
    "Filters",
    "GroundedDraft",
    "Grounder",
    "GroundingError",
    "Hit",
    "IndexMeta",
    "IndexNotFoundError",
    "IndexReport",
    "RAGSettings",
    "RagAnswer",
    "Retriever",
    "Section",
    "TextCompleter",
    "VectorStore",
    "answer",
    "chunk_document",
    "chunk_documents",
    "index_documents",
    "load_documents",
    "make_document",
    "make_embedder",
    "retriever",
    "search",
    "split_sections",
]
