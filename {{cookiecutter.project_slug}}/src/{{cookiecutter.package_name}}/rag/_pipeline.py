"""The pillar wired to settings: resolve paths, open the chosen store, load sources, index."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..core.logging import get_logger
from ..core.settings import ENV_PREFIX, get_settings
from ..embeddings import Embedder
from ..monitoring.metrics import counter, gauge, histogram
from ._apis import load_api
from ._chunking import token_counter
from ._documents import Loaded, Skipped, scan_documents
from ._indexer import EmbedFunction, IndexReport, index_documents, no_cyclic_collection
from ._lance_store import LanceStore
from ._live import LiveApiContext, model_rewriter
from ._retrieval import Retriever, cross_encoder_reranker, make_embedder
from ._store import VectorStore
from ._web import Fetcher, FetchError, load_web_pages
from .settings import RAGSettings

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class RAGPaths:
    """The pillar settings with their paths resolved against the core ones."""

    settings: RAGSettings
    corpus_dir: Path
    index_dir: Path
    eval_path: Path


def resolve_paths() -> RAGPaths:
    """Read the ``rag`` settings section and resolve its paths.

    Relative paths are resolved under the core ``data_dir`` (corpus, eval set) and
    ``artifacts_dir`` (index); absolute ones are kept.
    """
    core = get_settings()
    settings = core.section("rag", RAGSettings)
    return RAGPaths(
        settings=settings,
        corpus_dir=core.data_dir / settings.corpus_dir,
        index_dir=core.artifacts_dir / settings.index_dir,
        eval_path=core.data_dir / settings.eval_path,
    )


def open_store(paths: RAGPaths | None = None) -> VectorStore:
    """The store ``vector_store`` names (LanceDB under ``index_dir``, or PostgreSQL)."""
    paths = paths or resolve_paths()
    settings = paths.settings
    if settings.vector_store == "pgvector":
        from ._pg_store import PgVectorStore  # noqa: PLC0415 - only for the server store

        return PgVectorStore(
            settings.postgres_dsn.get_secret_value(),
            settings.table_name,
            ef_search=settings.pg_hnsw_ef_search,
            hnsw_m=settings.pg_hnsw_m,
            hnsw_ef_construction=settings.pg_hnsw_ef_construction,
        )
    return LanceStore(paths.index_dir, settings.table_name, settings.lance_vector_index_min_rows)


def load_sources(
    settings: RAGSettings, corpus_dir: Path | None, fetcher: Fetcher | None = None
) -> Loaded:
    """Files of the corpus, the configured web pages and every API source's records.

    A file, page or API that cannot be read is skipped with a warning naming it (listed in
    :attr:`Loaded.skipped`, its indexed chunks kept); the rest is loaded.
    """
    loaded = (
        scan_documents(
            corpus_dir,
            settings.include,
            settings.exclude,
            follow_external_symlinks=settings.follow_external_symlinks,
        )
        if corpus_dir
        else Loaded()
    )
    if settings.web_urls or settings.api_sources:
        fetcher = fetcher or Fetcher(settings)
        for url in settings.web_urls:
            try:
                loaded.documents += load_web_pages(fetcher, [url])
            except FetchError as error:
                loaded.skipped.append(Skipped(url, str(error)))
        for source in settings.api_sources:
            try:
                loaded.documents += load_api(fetcher, source)
            except FetchError as error:
                loaded.skipped.append(Skipped(f"api:{source.name}", str(error), prefix=True))
    for skipped in loaded.skipped:
        log.warning("rag source skipped", source=skipped.source, reason=skipped.reason)
    if loaded.unmatched:  # e.g. .docx or .rst files a user expected to be searchable
        log.warning(
            "rag files not indexed: no include pattern matches them",
            files=sum(loaded.unmatched.values()),
            suffixes=loaded.unmatched,
            hint=f"add a glob to {ENV_PREFIX}RAG__INCLUDE; files are read as text (or PDF, HTML)",
        )
    return loaded


def index_sources(
    corpus_dir: Path | None = None,
    *,
    embedder: Embedder | None = None,
    embed: EmbedFunction | None = None,
    progress: Callable[[int, int], None] | None = None,
    fetcher: Fetcher | None = None,
) -> IndexReport:
    """Load every source and bring the index up to date (only changed documents are embedded)."""
    paths = resolve_paths()
    settings = paths.settings
    embedder = embedder or make_embedder(settings)
    with no_cyclic_collection():
        loaded = load_sources(settings, corpus_dir or paths.corpus_dir, fetcher)
        store = open_store(paths)
        try:
            report = index_documents(
                loaded.documents,
                store,
                embedder,
                max_tokens=settings.chunk_max_tokens,
                overlap=settings.chunk_overlap_tokens,
                counter=token_counter(settings),
                embed=embed,
                skipped=loaded.skipped,
                progress=progress,
            )
        finally:
            store.close()
    _record(report, settings.vector_store)
    log.info(
        "rag index ready",
        store=settings.vector_store,
        documents=report.documents,
        added=report.added,
        updated=report.updated,
        removed=report.removed,
        chunks_embedded=report.chunks_embedded,
        skipped=len(report.skipped),
        build=report.meta.build_id,
    )
    return report


def _record(report: IndexReport, store: str) -> None:
    counter(
        "rag_index_chunks_embedded_total", "Chunks embedded by index updates.", ["store"]
    ).labels(store=store).inc(report.chunks_embedded)
    gauge("rag_index_chunks", "Chunks in the live index.", ["store"]).labels(store=store).set(
        report.meta.chunks
    )
    histogram("rag_index_seconds", "Duration of index updates.", ["store"]).labels(
        store=store
    ).observe(report.seconds)


def make_retriever(
    paths: RAGPaths | None = None,
    *,
    embedder: Embedder | None = None,
    store: VectorStore | None = None,
    fetcher: Fetcher | None = None,
) -> Retriever:
    """A retriever configured from settings (reranker, query rewriting, live API context)."""
    paths = paths or resolve_paths()
    settings = paths.settings
    embedder = embedder or make_embedder(settings)
    live_sources = [source for source in settings.api_sources if source.live]
    live = None
    if live_sources:
        live = LiveApiContext(
            live_sources, fetcher or Fetcher(settings), embedder, settings, token_counter(settings)
        )
    return Retriever(
        store=store or open_store(paths),
        embedder=embedder,
        settings=settings,
        reranker=(
            cross_encoder_reranker(settings.reranker_model)
            if settings.reranker == "cross-encoder"
            else None
        ),
        rewriter=model_rewriter() if settings.rewrite_query else None,
        live=live,
    )
