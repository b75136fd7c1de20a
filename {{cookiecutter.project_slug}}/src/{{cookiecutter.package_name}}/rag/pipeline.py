"""The pillar's two jobs wired to settings: index the corpus, search the index."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..core.logging import get_logger
from ..core.settings import get_settings
from .chunking import chunk_documents
from .documents import load_documents
from .embeddings import Embedder, make_embedder
from .index import BuildResult, SearchHit, build_index
from .search import Retriever
from .settings import RAGSettings, SearchMode

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class RAGPaths:
    """The pillar settings with their directories resolved against the core ones."""

    settings: RAGSettings
    corpus_dir: Path
    index_dir: Path


def resolve_paths() -> RAGPaths:
    """Read the ``rag`` settings section and resolve its directories.

    Relative directories are resolved under the core ``data_dir`` and ``artifacts_dir``; absolute
    ones are kept (``Path.__truediv__`` keeps an absolute right-hand side).
    """
    core = get_settings()
    settings = core.section("rag", RAGSettings)
    return RAGPaths(
        settings=settings,
        corpus_dir=core.data_dir / settings.corpus_dir,
        index_dir=core.artifacts_dir / settings.index_dir,
    )


def index_corpus(corpus_dir: Path | None = None, embedder: Embedder | None = None) -> BuildResult:
    """Load, chunk, embed and index the corpus (``corpus_dir`` overrides the settings)."""
    paths = resolve_paths()
    settings = paths.settings
    source = corpus_dir or paths.corpus_dir
    documents = load_documents(source, settings.include)
    chunks = chunk_documents(documents, settings.chunk_max_tokens, settings.chunk_overlap_tokens)
    result = build_index(
        chunks, embedder or make_embedder(settings), paths.index_dir, settings.table_name
    )
    log.info(
        "rag index ready",
        corpus=str(source),
        index=str(paths.index_dir),
        documents=len(documents),
        chunks=len(chunks),
        build=result.manifest.build_id,
        reused=result.reused,
    )
    return result


def search_corpus(
    query: str,
    top_k: int | None = None,
    mode: SearchMode | None = None,
    embedder: Embedder | None = None,
) -> list[SearchHit]:
    """Search the index with the settings' defaults for anything not given.

    Opens the live build on each call (a few milliseconds; the embedding model is loaded once per
    process), so it always sees the latest ``index_corpus``. For many queries, keep a
    :class:`Retriever`.
    """
    paths = resolve_paths()
    settings = paths.settings
    retriever = Retriever(paths.index_dir, embedder or make_embedder(settings))
    return retriever.search(
        query,
        top_k=top_k or settings.top_k,
        mode=mode or settings.search_mode,
        rrf_k=settings.rrf_k,
    )
