"""Settings of the ``rag`` pillar (section ``rag``; env vars ``<PREFIX>_RAG__<FIELD>``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, field_validator

EMBEDDING_DIMS = frozenset({64, 128, 256})
SearchMode = Literal["hybrid", "vector", "text"]


class RAGSettings(BaseModel):
    """Where the corpus and the index live, how documents are chunked and how search ranks."""

    corpus_dir: Path = Field(
        default=Path("corpus"),
        description="Documents to index; a relative path is resolved under the core data_dir.",
    )
    include: list[str] = Field(
        default=["**/*.md", "**/*.txt"],
        description="Glob patterns (relative to corpus_dir) of the files to index.",
    )
    index_dir: Path = Field(
        default=Path("rag/index"),
        description="On-disk LanceDB index; a relative path is resolved under core artifacts_dir.",
    )
    table_name: str = Field(
        default="chunks", pattern=r"^[A-Za-z0-9_-]+$", description="LanceDB table of the chunks."
    )
    chunk_max_tokens: int = Field(
        default=160, ge=16, le=4096, description="Maximum words (tokens) per chunk."
    )
    chunk_overlap_tokens: int = Field(
        default=32, ge=0, le=1024, description="Words shared by consecutive chunks of a section."
    )
    top_k: int = Field(default=4, ge=1, le=100, description="Number of hits a search returns.")
    search_mode: SearchMode = Field(
        default="hybrid",
        description="hybrid (vector + full text fused by reciprocal rank), vector or text.",
    )
    rrf_k: int = Field(
        default=60, ge=1, description="Constant k of reciprocal-rank fusion: 1 / (k + rank)."
    )
    embedder: Literal["wordllama"] = Field(
        default="wordllama", description="Embedding model (wordllama ships its weights offline)."
    )
    embedding_dim: int = Field(
        default=256, description="Embedding size: 64, 128 or 256 (wordllama Matryoshka truncation)."
    )
    embed_batch_size: int = Field(default=32, ge=1, description="Texts embedded per batch.")

    @field_validator("embedding_dim")
    @classmethod
    def _known_dimension(cls, value: int) -> int:
        if value not in EMBEDDING_DIMS:
            raise ValueError(f"embedding_dim must be one of {sorted(EMBEDDING_DIMS)}, got {value}")
        return value


SETTINGS = RAGSettings
