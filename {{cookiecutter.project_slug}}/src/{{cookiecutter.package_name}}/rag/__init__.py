"""Retrieval-augmented generation: load documents, chunk them, index in LanceDB, search hybrid.

Heavy libraries (lancedb, pyarrow, wordllama) load only when an index is built or searched.
"""

from .chunking import Chunk, Section, chunk_document, chunk_documents, split_sections
from .documents import Document, load_documents, make_document
from .embeddings import Embedder, WordLlamaEmbedder, make_embedder
from .index import (
    BuildResult,
    EmbedderMismatchError,
    IndexManifest,
    IndexNotFoundError,
    SearchHit,
    build_index,
    read_manifest,
)
from .search import Retriever
from .settings import RAGSettings

__all__ = [
    "BuildResult",
    "Chunk",
    "Document",
    "Embedder",
    "EmbedderMismatchError",
    "IndexManifest",
    "IndexNotFoundError",
    "RAGSettings",
    "Retriever",
    "SearchHit",
    "Section",
    "WordLlamaEmbedder",
    "build_index",
    "chunk_document",
    "chunk_documents",
    "load_documents",
    "make_document",
    "make_embedder",
    "read_manifest",
    "split_sections",
]
