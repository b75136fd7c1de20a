"""Settings of the ``rag`` pillar (section ``rag``; env vars ``<PREFIX>_RAG__<FIELD>``)."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator

EMBEDDING_DIMS = frozenset({64, 128, 256})
SearchMode = Literal["hybrid", "vector", "text"]
VectorStoreName = Literal["lancedb", "pgvector"]
AnswerMode = Literal["auto", "grounded", "extractive"]


def generated_vector_store() -> VectorStoreName:
    """The store picked when the project was generated (``defaults.toml`` next to this module)."""
    text = resources.files(__package__ or __name__).joinpath("defaults.toml").read_text("utf-8")
    value = tomllib.loads(text).get("vector_store", "lancedb")
    return "pgvector" if value == "pgvector" else "lancedb"


class ApiSource(BaseModel):
    """A JSON API whose records become documents (paginated, fields mapped by dotted paths)."""

    name: str = Field(description="Short name; documents get ids `api:<name>/<id>`.")
    url: str = Field(description="First page URL.")
    items_path: str = Field(default="items", description="Dotted path of the record list.")
    next_path: str = Field(default="next", description="Dotted path of the next page URL.")
    id_field: str = Field(default="id", description="Record field holding a stable id.")
    title_field: str = Field(default="title", description="Record field holding the title.")
    text_fields: list[str] = Field(default=["body"], description="Fields joined into the text.")
    updated_field: str = Field(default="updated_at", description="ISO timestamp field (recency).")
    auth_header: str = Field(default="Authorization", description="Header carrying the token.")
    auth_token: SecretStr = Field(default=SecretStr(""), description="Header value; empty = none.")
    max_pages: int = Field(default=20, ge=1, description="Stop after this many pages.")
    live: bool = Field(default=False, description="Also fetch at query time (live context).")


class RAGSettings(BaseModel):
    """Sources, chunking, the vector store and how retrieval ranks and answers."""

    corpus_dir: Path = Field(
        default=Path("corpus"),
        description="Documents to index; a relative path is resolved under the core data_dir.",
    )
    include: list[str] = Field(
        default=["**/*.md", "**/*.txt", "**/*.html", "**/*.pdf"],
        description="Glob patterns (relative to corpus_dir) of the files to index.",
    )
    exclude: list[str] = Field(default=[], description="Glob patterns of files to skip.")
    follow_external_symlinks: bool = Field(
        default=False,
        description="Index files that symlinks lead to outside corpus_dir (skipped by default).",
    )
    web_urls: list[str] = Field(default=[], description="Web pages to fetch and index.")
    api_sources: list[ApiSource] = Field(default=[], description="JSON APIs to index.")
    allow_private_urls: bool = Field(
        default=False,
        description="Allow fetching private, loopback and link-local addresses (SSRF guard off).",
    )
    respect_robots: bool = Field(default=True, description="Obey robots.txt of web sources.")
    user_agent: str = Field(default="ai-service-rag/0.1", description="User agent of fetches.")
    fetch_timeout_seconds: float = Field(default=10.0, gt=0, description="Timeout per request.")
    fetch_max_bytes: int = Field(default=5_000_000, ge=1024, description="Largest response body.")
    vector_store: VectorStoreName = Field(
        default_factory=generated_vector_store,
        description="lancedb (embedded, on disk) or pgvector (PostgreSQL server).",
    )
    index_dir: Path = Field(
        default=Path("rag/index"),
        description="On-disk LanceDB index; a relative path is resolved under core artifacts_dir.",
    )
    postgres_dsn: SecretStr = Field(
        default=SecretStr("postgresql://postgres@localhost:5432/postgres"),
        description="PostgreSQL (with pgvector) connection string for the pgvector store.",
    )
    table_name: str = Field(
        default="chunks", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", description="Table of the chunks."
    )
    pg_hnsw_ef_search: int = Field(
        default=80,
        ge=1,
        le=1000,
        description="pgvector HNSW search depth: higher finds more true neighbours, slower.",
    )
    pg_hnsw_m: int = Field(
        default=16, ge=2, le=100, description="pgvector HNSW links per node (at index build)."
    )
    pg_hnsw_ef_construction: int = Field(
        default=64, ge=4, le=1000, description="pgvector HNSW build depth (at index build)."
    )
    lance_vector_index_min_rows: int = Field(
        default=200_000,
        ge=1,
        description=(
            "LanceDB indexes from this many chunks on are searched through an HNSW index; smaller"
            " ones are searched in memory (about 2 KB of RAM per chunk at 256 dimensions)."
        ),
    )
    chunk_max_tokens: int = Field(
        default=512,
        ge=16,
        le=4096,
        description="Maximum tokens per chunk (embedder tokenizer); 512 measured best of 160-512.",
    )
    chunk_overlap_tokens: int = Field(
        default=24, ge=0, le=1024, description="Tokens shared by consecutive chunks of a section."
    )
    top_k: int = Field(default=4, ge=1, le=100, description="Number of hits a search returns.")
    search_mode: SearchMode = Field(
        default="hybrid",
        description="hybrid (vector + full text fused by reciprocal rank), vector or text.",
    )
    candidates: int = Field(default=40, ge=1, description="Candidates per ranking before fusion.")
    rrf_k: int = Field(
        default=5,
        ge=1,
        description="Constant k of reciprocal-rank fusion: weight / (k + rank) (5 measured best).",
    )
    text_weight: float = Field(
        default=1.0,
        ge=0,
        description="Weight of the full-text (BM25) ranking in the fusion; the dense one weighs 1.",
    )
    mmr_lambda: float = Field(
        default=0.9, ge=0, le=1, description="MMR trade-off: 1 = relevance only, 0 = diversity."
    )
    recency_weight: float = Field(
        default=0.2, ge=0, description="Score boost for fresh time-sensitive chunks (0 = off)."
    )
    recency_half_life_days: float = Field(
        default=30.0, gt=0, description="Age at which the recency boost halves."
    )
    recency_kinds: list[str] = Field(
        default=["web", "api"], description="Document kinds that get the recency boost."
    )
    reranker: Literal["none", "cross-encoder"] = Field(
        default="none", description="Rerank fused hits (cross-encoder needs the `rerank` extra)."
    )
    reranker_model: str = Field(
        default="cross-encoder/ms-marco-MiniLM-L-6-v2",
        description="Cross-encoder for reranker=cross-encoder: a model id or a local folder.",
    )
    dask_workers: int = Field(
        default=2, ge=1, le=256, description="Worker processes of `rag index --flow --dask`."
    )
    rewrite_query: bool = Field(
        default=False, description="Let the LLM pillar rewrite the query before retrieval."
    )
    context_max_tokens: int = Field(
        default=1200, ge=32, description="Token budget of the context passed to the answerer."
    )
    answer_mode: AnswerMode = Field(
        default="auto", description="auto (grounded with the LLM pillar), grounded or extractive."
    )
    eval_path: Path = Field(
        default=Path("rag_eval.jsonl"),
        description="Labelled retrieval questions; relative to data_dir.",
    )
    embedder: Literal["wordllama", "minilm", "openai", "sentence-transformers"] = Field(
        default="wordllama",
        description="Embedding model: wordllama (offline, default), minilm (offline, better, the "
        "`minilm` extra), openai (compatible API) or sentence-transformers (extra).",
    )
    embedding_dim: int = Field(
        default=256, description="wordllama embedding size: 64, 128 or 256 (Matryoshka)."
    )
    embedding_model: str = Field(
        default="text-embedding-3-small",
        description="Model name for the openai / sentence-transformers embedders.",
    )
    embedding_base_url: str = Field(
        default="https://api.openai.com/v1", description="OpenAI-compatible embeddings endpoint."
    )
    embedding_api_key: SecretStr = Field(
        default=SecretStr(""), description="API key of the embeddings endpoint."
    )
    embed_batch_size: int = Field(default=32, ge=1, description="Texts embedded per batch.")

    @field_validator("embedding_dim")
    @classmethod
    def _known_dimension(cls, value: int) -> int:
        if value not in EMBEDDING_DIMS:
            raise ValueError(f"embedding_dim must be one of {sorted(EMBEDDING_DIMS)}, got {value}")
        return value


SETTINGS = RAGSettings
