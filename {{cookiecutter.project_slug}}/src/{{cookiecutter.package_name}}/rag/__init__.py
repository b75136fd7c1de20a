"""Retrieval-augmented generation: load sources, chunk, index (LanceDB/pgvector), retrieve, answer.

Heavy libraries (lancedb, pyarrow, psycopg, wordllama, prefect) load only when used. Serving and
the bridges use :func:`search` and :func:`answer`; the extension points :data:`GROUNDER` (grounded
answers) and :data:`COMPLETER` (query rewriting) are filled by ``bridges/rag_llm.py`` when the LLM
pillar is present.
"""

from .answer import GROUNDER, Citation, GroundedDraft, Grounder, RagAnswer
from .api import answer, retriever, search
from .chunking import Chunk, Section, chunk_document, chunk_documents, split_sections
from .context import Context
from .documents import Document, load_documents, make_document
from .indexer import IndexReport, index_documents
from .live import COMPLETER, TextCompleter
from .retrieval import Hit, Retriever, make_embedder
from .settings import RAGSettings
from .store import EmbedderMismatchError, Filters, IndexMeta, IndexNotFoundError, VectorStore

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
