"""Hybrid retrieval: dense + lexical rankings fused by RRF, filtered, boosted, reranked, diverse.

``search`` runs, in order: optional query rewriting (extra phrasings from the LLM pillar), a dense
and a full-text ranking per phrasing (metadata filters applied inside the store), an optional live
ranking of chunks fetched at query time, reciprocal-rank fusion, the recency boost, an optional
reranker, then MMR to pick ``k`` diverse hits. ``naive_search`` is the dense-top-k baseline that
evaluation compares against.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from pydantic import BaseModel

from ..embeddings import Embedder, build_embedder
from ..monitoring.metrics import counter, gauge, histogram
from ..monitoring.tracing import get_tracer
from ._ranking import mmr, recency_boost, rrf
from ._store import (
    Candidate,
    Filters,
    IndexMeta,
    IndexNotFoundError,
    VectorStore,
    check_embedder,
    check_filters,
)
from .settings import RAGSettings, SearchMode

Reranker = Callable[[str, Sequence[Candidate]], Sequence[float]]
QueryRewriter = Callable[[str], Sequence[str]]
LiveSource = Callable[[str], Sequence[Candidate]]
META_REFRESH_SECONDS = 60.0


class Hit(BaseModel):
    """One retrieved chunk with what is needed to cite it."""

    chunk_id: str
    doc_id: str
    text: str
    source: str
    title: str
    section: str
    score: float
    kind: str = "file"
    fetched_at: datetime | None = None

    @property
    def citation(self) -> str:
        """``source § section path [chunk id prefix]``."""
        return f"{self.source} § {self.section} [{self.chunk_id[:8]}]"


def to_hit(candidate: Candidate) -> Hit:
    """The public record of a store candidate."""
    return Hit(
        chunk_id=candidate.chunk_id,
        doc_id=candidate.document_id,
        text=candidate.text,
        source=candidate.source,
        title=candidate.title,
        section=candidate.section_path,
        score=candidate.score,
        kind=candidate.kind,
        fetched_at=candidate.fetched_at,
    )


@dataclass
class Retriever:
    """A store, the embedder it was built with and the ranking settings.

    Raises:
        IndexNotFoundError: the store holds no index yet.
        EmbedderMismatchError: the index was built with another embedder or dimension.
    """

    store: VectorStore
    embedder: Embedder
    settings: RAGSettings = field(default_factory=RAGSettings)
    reranker: Reranker | None = None
    rewriter: QueryRewriter | None = None
    live: LiveSource | None = None
    _updated_at: datetime = field(init=False, repr=False)
    _meta_read: float = field(init=False, repr=False, default=0.0)
    _executor: ThreadPoolExecutor | None = field(init=False, repr=False, default=None)
    _warm: bool = field(init=False, repr=False, default=False)

    def __post_init__(self) -> None:
        meta = self.store.meta()
        if meta is None:
            raise IndexNotFoundError(
                f"no RAG index in {self.store}: build it first (`make rag-index`)"
            )
        check_embedder(meta, self.embedder, str(self.store))
        self._note_meta(meta)
        gauge(
            "rag_index_age_seconds",
            "Seconds since the searched index was built or updated.",
            ["store"],
        ).labels(self.settings.vector_store).set_function(self.index_age_seconds)

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            # Several threads: a server calls one retriever from many request threads at once.
            self._executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="rag-text")
        return self._executor

    def _note_meta(self, meta: IndexMeta) -> None:
        updated = meta.updated_at
        self._updated_at = updated if updated.tzinfo else updated.replace(tzinfo=UTC)
        self._meta_read = time.monotonic()

    def index_age_seconds(self) -> float:
        """Seconds since the index was last built or updated (as of the last metadata read)."""
        return max((datetime.now(UTC) - self._updated_at).total_seconds(), 0.0)

    def _refresh_meta(self) -> None:
        # Re-read the build metadata at most once a minute, so the age gauge sees new builds.
        if time.monotonic() - self._meta_read >= META_REFRESH_SECONDS:
            meta = self.store.meta()
            if meta is not None:
                self._note_meta(meta)

    def warm(self) -> None:
        """Load what the first search would load, so that it answers in milliseconds.

        That is the embedder and the store's library and tables (``import lancedb`` alone takes
        about half a second). Runs the retrievers once for a fixed text and drops what they
        find (no rewriting, reranking, metrics or spans); later calls do nothing. A server
        calls it before it reports ready.
        """
        if not self._warm:
            mode = self.settings.search_mode
            search_text, depth = self.store.text_search, self.settings.candidates
            if mode != "text":
                self.store.vector_search(self.embedder.embed(["warm up"])[0], depth, None)
            if mode != "vector":
                search_text("warm up", depth, None)
            self._warm = True

    def _rankings(
        self, query: str, mode: SearchMode, filters: Filters | None
    ) -> tuple[list[list[Candidate]], list[float]]:
        depth = self.settings.candidates
        queries = [query]
        if self.rewriter is not None:
            queries += [q for q in self.rewriter(query) if q.strip() and q != query]
        rankings: list[list[Candidate]] = []
        # Full-text searches run on a worker thread while the dense ones run here: both stores
        # spend them mostly outside the GIL (LanceDB's runtime, PostgreSQL, numpy).
        search_text = self.store.text_search
        texts = (
            []
            if mode == "vector"
            else [self._pool().submit(search_text, q, depth, filters) for q in queries]
        )
        if mode != "text":
            vectors = self.embedder.embed(queries)
            rankings += [self.store.vector_search(v, depth, filters) for v in vectors]
        rankings += [future.result() for future in texts]
        # Dense rankings come first, then the full-text ones (see above).
        n_dense = 0 if mode == "text" else len(queries)
        weights = [1.0 if i < n_dense else self.settings.text_weight for i in range(len(rankings))]
        if self.live is not None:
            # Live chunks are ranked once (by similarity) where indexed ones are ranked twice
            # (dense and lexical): weigh the live ranking as both, so fresh data can come first.
            rankings.append(list(self.live(query)))
            weights.append(1.0 + self.settings.text_weight)
        return rankings, weights

    def search(
        self,
        query: str,
        k: int | None = None,
        filters: Filters | None = None,
        mode: SearchMode | None = None,
    ) -> list[Hit]:
        """The ``k`` best chunks for ``query``, best first (see the module docstring).

        Raises:
            ValueError: ``query`` is blank or a filter key is unknown.
        """
        if not query.strip():
            raise ValueError("the query is empty")
        check_filters(filters)
        k = k or self.settings.top_k
        mode = mode or self.settings.search_mode
        seconds = histogram("rag_search_seconds", "Retrieval latency (rag pillar).", ["mode"])
        with get_tracer(__name__).start_as_current_span("rag.search") as span:
            span.set_attribute("rag.k", k)
            span.set_attribute("rag.mode", mode)
            with seconds.labels(mode=mode).time():
                hits = self._search(query, k, filters, mode)
            span.set_attribute("rag.hits", len(hits))
            span.set_attribute("rag.hit_ids", [hit.chunk_id for hit in hits])
        if not hits:
            counter("rag_empty_results_total", "Searches that returned no hit.", ["store"]).labels(
                self.settings.vector_store
            ).inc()
        self._refresh_meta()
        return hits

    def _search(self, query: str, k: int, filters: Filters | None, mode: SearchMode) -> list[Hit]:
        rankings, weights = self._rankings(query, mode, filters)
        fused = rankings[0] if len(rankings) == 1 else rrf(rankings, self.settings.rrf_k, weights)
        settings = self.settings
        fused = recency_boost(
            fused,
            datetime.now(UTC),
            settings.recency_weight,
            settings.recency_half_life_days,
            settings.recency_kinds,
        )
        if self.reranker is not None:
            pool = fused[: max(k * 4, 20)]
            scores = self.reranker(query, pool)
            rescored = (replace(c, score=float(s)) for c, s in zip(pool, scores, strict=True))
            fused = sorted(rescored, key=lambda candidate: candidate.score, reverse=True)
        return [to_hit(candidate) for candidate in mmr(fused, k, settings.mmr_lambda)]

    def naive_search(self, query: str, k: int | None = None) -> list[Hit]:
        """Baseline: the ``k`` nearest chunks by cosine similarity, nothing else."""
        vector = self.embedder.embed([query])[0]
        candidates = self.store.vector_search(vector, k or self.settings.top_k)
        return [to_hit(candidate) for candidate in candidates]


def make_embedder(settings: RAGSettings) -> Embedder:
    """The shared embedder ``settings.embedder`` names, with the ``rag`` settings' options.

    Raises:
        EmbedderNotInstalledError: ``sentence-transformers`` without its extra (the message says
            how to add it).
    """
    return build_embedder(
        settings.embedder,
        dimension=settings.embedding_dim,
        model=settings.embedding_model,
        base_url=settings.embedding_base_url,
        api_key=settings.embedding_api_key.get_secret_value(),
        batch_size=settings.embed_batch_size,
    )


def cross_encoder_reranker(model: str = "cross-encoder/ms-marco-MiniLM-L-6-v2") -> Reranker:
    """A sentence-transformers cross-encoder as reranker (the `rerank` extra; downloads the model).

    Raises:
        RuntimeError: sentence-transformers is not installed (the message says how to add it).
    """
    try:
        from sentence_transformers import CrossEncoder  # noqa: PLC0415
    except ImportError as error:
        raise RuntimeError(
            "the cross-encoder reranker needs the `rerank` extra: `uv sync --extra rerank`"
        ) from error
    encoder = CrossEncoder(model)

    def rerank(query: str, candidates: Sequence[Candidate]) -> Sequence[float]:
        # The model's own scores, of any sign (the ms-marco models answer raw logits): MMR
        # scales relevance between the pool's worst and best score.
        pairs = [(query, f"{c.section_path}\n{c.text}") for c in candidates]
        return [float(score) for score in encoder.predict(pairs)]

    return rerank
