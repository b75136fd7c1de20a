"""Incremental, atomic indexing: diff documents by content hash, embed only what changed.

The steps are plain functions (the Prefect flow in :mod:`._flows` wraps them as tasks):
:func:`plan_update` compares the loaded documents with the store, :func:`chunk_changed` chunks the
new and changed ones, and :func:`apply_update` hands them to the store as one atomic update, with
a function that embeds them: the store calls it when it needs the vectors, so work that needs only
the chunks can run meanwhile.
"""

from __future__ import annotations

import gc
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast

import numpy as np

from ..embeddings import Embedder, TokenIdEmbedder, Vectors
from ._chunking import Chunk, TokenCounter, chunk_documents
from ._documents import Document, Skipped
from ._store import IndexMeta, IndexUpdate, VectorStore

EmbedFunction = Callable[[Sequence[str]], Vectors]
Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class Plan:
    """What an update has to do; ``rebuild`` when the embedder or chunking changed."""

    changed: list[Document]
    removed: list[str]
    unchanged: int
    added: int
    rebuild: bool


@dataclass(frozen=True, slots=True)
class IndexReport:
    """Outcome of :func:`index_documents` (``meta`` is the live index afterwards)."""

    meta: IndexMeta
    documents: int
    added: int
    updated: int
    removed: int
    unchanged: int
    chunks_embedded: int
    seconds: float
    skipped: tuple[Skipped, ...] = ()

    @property
    def noop(self) -> bool:
        """Nothing changed, nothing was written."""
        return self.added == self.updated == self.removed == 0 and self.chunks_embedded == 0


def chunking_key(embedder: Embedder, max_tokens: int, overlap: int) -> str:
    """Identifies how chunks were cut; a different key forces a full rebuild."""
    return f"semchunk/{embedder.name}/{max_tokens}/{overlap}"


def plan_update(
    documents: Sequence[Document],
    store: VectorStore,
    embedder: Embedder,
    chunking: str,
    skipped: Sequence[Skipped] = (),
) -> Plan:
    """Compare ``documents`` with the store; documents of ``skipped`` sources are not removed.

    Raises:
        ValueError: two documents share an id.
    """
    ids = [document.id for document in documents]
    if len(set(ids)) != len(ids):
        duplicates = sorted({doc_id for doc_id in ids if ids.count(doc_id) > 1})
        raise ValueError(f"duplicate document ids: {', '.join(duplicates[:5])}")
    meta = store.meta()
    rebuild = meta is None or (meta.embedder, meta.dimension, meta.chunking) != (
        embedder.name,
        embedder.dimension,
        chunking,
    )
    known = {} if rebuild else store.document_hashes()
    changed = [d for d in documents if known.get(d.id) != d.content_hash]
    current = set(ids)
    return Plan(
        changed=changed,
        removed=sorted(
            doc_id
            for doc_id in set(known) - current
            if not any(source.covers(doc_id) for source in skipped)
        ),
        unchanged=len(documents) - len(changed),
        added=sum(1 for d in changed if d.id not in known),
        rebuild=rebuild,
    )


def chunk_changed(
    plan: Plan, max_tokens: int, overlap: int, counter: TokenCounter, *, token_ids: bool = False
) -> list[Chunk]:
    """Chunks of the new and changed documents (with their search texts' token ids if asked)."""
    return chunk_documents(plan.changed, max_tokens, overlap, counter, token_ids=token_ids)


def embed_in_batches(
    embedder: Embedder, progress: Progress | None = None, batch_size: int = 512
) -> EmbedFunction:
    """An embed function working in batches and reporting ``progress(done, total)``."""

    def embed(texts: Sequence[str]) -> Vectors:
        parts = [np.zeros((0, embedder.dimension), dtype=np.float32)]
        for start in range(0, len(texts), batch_size):
            parts.append(embedder.embed(texts[start : start + batch_size]))
            if progress is not None:
                progress(min(start + batch_size, len(texts)), len(texts))
        return np.concatenate(parts)

    return embed


def reuses_token_ids(embedder: Embedder, counter: TokenCounter) -> bool:
    """Whether the chunker's token ids can be embedded as they are (same tokenizer)."""
    vocabulary = getattr(counter, "vocabulary", None)
    return isinstance(embedder, TokenIdEmbedder) and embedder.vocabulary == vocabulary


def apply_update(
    store: VectorStore,
    plan: Plan,
    chunks: Sequence[Chunk],
    embed: Callable[[], Vectors],
    *,
    embedder: Embedder,
    chunking: str,
) -> IndexMeta:
    """Hand the update to the store (atomic; the store fills in the counts).

    ``embed`` returns the chunks' vectors; the store calls it when it needs them (see
    :class:`.IndexUpdate`).

    Raises:
        ValueError: the vectors do not match the embedder.
    """

    def checked() -> Vectors:
        vectors = np.asarray(embed(), np.float32)
        if vectors.shape != (len(chunks), embedder.dimension):
            raise ValueError(
                f"embedder {embedder.name} returned vectors of shape {vectors.shape}, "
                f"expected ({len(chunks)}, {embedder.dimension})"
            )
        return vectors

    now = datetime.now(UTC)
    meta = IndexMeta(
        build_id=f"{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}",
        embedder=embedder.name,
        dimension=embedder.dimension,
        chunking=chunking,
        documents=0,
        chunks=0,
        updated_at=now,
    )
    store.apply(
        IndexUpdate(
            meta=meta,
            documents=plan.changed,
            chunks=chunks,
            embed=checked,
            removed=plan.removed,
            rebuild=plan.rebuild,
        )
    )
    return meta


@contextmanager
def no_cyclic_collection() -> Iterator[None]:
    """Pause the cyclic garbage collector while a build allocates (reference counting goes on).

    Tokenising, chunking and writing create millions of small objects that all stay alive until
    the build ends (token offsets, chunks, columns) and form no cycles; the collector would scan
    them again and again as they pile up (measured: 7 % of a 10k-chunk build's CPU time). It is
    switched back on afterwards if it was on.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def index_documents(
    documents: Sequence[Document],
    store: VectorStore,
    embedder: Embedder,
    *,
    max_tokens: int,
    overlap: int,
    counter: TokenCounter,
    embed: EmbedFunction | None = None,
    skipped: Sequence[Skipped] = (),
    progress: Progress | None = None,
) -> IndexReport:
    """Bring the store in line with ``documents``, re-embedding only new and changed ones.

    A no-op (nothing written) when no document changed. The indexed chunks of ``skipped``
    sources (unreadable this time) are kept. Without an ``embed`` function, an embedder that
    shares the counter's tokenizer (wordllama) embeds the token ids the chunker already has;
    others embed the chunks' search texts in batches, reporting ``progress(done, total)``.

    Raises:
        ValueError: there is no document at all (every source failed, or the corpus is empty).
    """
    started = time.perf_counter()
    chunking = chunking_key(embedder, max_tokens, overlap)
    plan = plan_update(documents, store, embedder, chunking, skipped)
    meta = store.meta()
    if meta is not None and not plan.rebuild and not plan.changed and not plan.removed:
        return IndexReport(meta, len(documents), 0, 0, 0, plan.unchanged, 0, 0.0, tuple(skipped))
    if not documents:
        if skipped:
            raise ValueError(
                f"nothing to index: all {len(skipped)} sources failed, e.g. "
                f"{skipped[0].source}: {skipped[0].reason}"
            )
        raise ValueError("nothing to index: no documents (is the corpus empty?)")
    with_ids = embed is None and reuses_token_ids(embedder, counter)
    chunks = chunk_changed(plan, max_tokens, overlap, counter, token_ids=with_ids)

    def vectors() -> Vectors:
        if with_ids:
            done = cast(TokenIdEmbedder, embedder).embed_token_ids([c.token_ids for c in chunks])
            if progress is not None:
                progress(len(chunks), len(chunks))
            return done
        texts = [chunk.search_text for chunk in chunks]
        return (embed or embed_in_batches(embedder, progress))(texts)

    meta = apply_update(store, plan, chunks, vectors, embedder=embedder, chunking=chunking)
    return IndexReport(
        meta=store.meta() or meta,
        documents=len(documents),
        added=plan.added,
        updated=len(plan.changed) - plan.added,
        removed=len(plan.removed),
        unchanged=plan.unchanged,
        chunks_embedded=len(chunks),
        seconds=time.perf_counter() - started,
        skipped=tuple(skipped),
    )
