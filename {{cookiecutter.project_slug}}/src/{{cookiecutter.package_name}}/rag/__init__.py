"""Retrieval-augmented generation: load sources, chunk, index (LanceDB/pgvector), retrieve, answer.

Heavy libraries (lancedb, pyarrow, psycopg, wordllama, prefect) load only when used. Other pillars
use :mod:`.api` (``search`` and ``answer``).
"""

from .answer import Citation, RagAnswer
from .chunking import Chunk, Section, chunk_document, chunk_documents, split_sections
from .documents import Document, load_documents, make_document
from .indexer import IndexReport, index_documents
from .retrieval import Hit, Retriever, make_embedder
from .settings import RAGSettings
from .store import EmbedderMismatchError, IndexMeta, IndexNotFoundError, VectorStore

__all__ = [
    "Chunk",
    "Citation",
    "Document",
    "EmbedderMismatchError",
    "Hit",
    "IndexMeta",
    "IndexNotFoundError",
    "IndexReport",
    "RAGSettings",
    "RagAnswer",
    "Retriever",
    "Section",
    "VectorStore",
    "chunk_document",
    "chunk_documents",
    "index_documents",
    "load_documents",
    "make_document",
    "make_embedder",
    "split_sections",
]
