"""Query a built index: vector, full-text or hybrid (reciprocal-rank fusion) retrieval."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .embeddings import Embedder
from .index import (
    BUILDS_DIR,
    TEXT_COLUMN,
    EmbedderMismatchError,
    IndexManifest,
    IndexNotFoundError,
    SearchHit,
    read_manifest,
)
from .settings import SearchMode


class Retriever:
    """An open index plus the embedder used for queries.

    Opening checks that ``embedder`` is the one the index was built with, so a query never compares
    vectors from different models.

    Raises:
        IndexNotFoundError: no index was built in ``index_dir``.
        EmbedderMismatchError: the index was built with another embedder or dimension.
    """

    def __init__(self, index_dir: Path, embedder: Embedder) -> None:
        manifest = read_manifest(index_dir)
        if manifest is None:
            raise IndexNotFoundError(
                f"no RAG index in {index_dir}: build it first (`make rag-index`)"
            )
        check_embedder(manifest, embedder, index_dir)
        import lancedb  # noqa: PLC0415 - heavy import, only when searching

        database = lancedb.connect(index_dir / BUILDS_DIR / manifest.build_id)
        self.manifest = manifest
        self._embedder = embedder
        self._table: Any = database.open_table(manifest.table_name)

    def search(
        self, query: str, top_k: int = 4, mode: SearchMode = "hybrid", rrf_k: int = 60
    ) -> list[SearchHit]:
        """The ``top_k`` chunks best matching ``query``, best first.

        ``hybrid`` runs a cosine vector search and a BM25 full-text search and fuses both rankings
        with reciprocal-rank fusion (score ``sum 1 / (rrf_k + rank)``); ``vector`` scores are
        cosine similarities and ``text`` scores BM25 scores.

        Raises:
            ValueError: ``query`` is blank.
        """
        if not query.strip():
            raise ValueError("the query is empty")
        if mode == "text":
            rows = self._table.search(query, query_type="fts").limit(top_k).to_list()
            return [_hit(row, row["_score"]) for row in rows]
        vector = self._embedder.embed([query])[0]
        if mode == "vector":
            builder = self._table.search(vector, query_type="vector").distance_type("cosine")
            rows = builder.limit(top_k).to_list()
            return [_hit(row, 1.0 - row["_distance"]) for row in rows]
        from lancedb.rerankers import RRFReranker  # noqa: PLC0415

        builder = self._table.search(query_type="hybrid", fts_columns=TEXT_COLUMN)
        builder = builder.vector(vector).text(query).distance_type("cosine")
        rows = builder.rerank(RRFReranker(K=rrf_k)).limit(top_k).to_list()
        return [_hit(row, row["_relevance_score"]) for row in rows]


def check_embedder(manifest: IndexManifest, embedder: Embedder, index_dir: Path) -> None:
    """Raise :class:`EmbedderMismatchError` unless ``embedder`` matches the index's."""
    if (manifest.embedder, manifest.dimension) != (embedder.name, embedder.dimension):
        raise EmbedderMismatchError(
            f"the index in {index_dir} was built with embedder {manifest.embedder!r} "
            f"({manifest.dimension} dimensions) but the query embedder is {embedder.name!r} "
            f"({embedder.dimension} dimensions); rebuild the index (`make rag-index`) or set the "
            "rag embedder settings back to the ones it was built with"
        )


def _hit(row: dict[str, Any], score: float) -> SearchHit:
    return SearchHit(
        chunk_id=row["id"],
        source=row["source"],
        title=row["title"],
        section=tuple(row["section"] or ()),
        text=row["text"],
        score=float(score),
    )
