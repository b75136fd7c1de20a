"""Prefect indexing flow: load -> diff by hash -> chunk -> embed -> upsert -> report.

The tasks wrap the plain functions of :mod:`._indexer` and :mod:`._pipeline`; only the I/O tasks
(loading sources, writing the store) retry. ``use_dask=True`` embeds the batches on a local Dask
cluster (the `dask` extra); :func:`refresh_deployment` serves the flow on a schedule.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
from prefect import flow, task, unmapped

from ..embeddings import Vectors
from ._chunking import Chunk, token_counter
from ._documents import Loaded
from ._indexer import IndexReport, Plan, apply_update, chunk_changed, chunking_key, plan_update
from ._pipeline import load_sources, open_store, resolve_paths
from ._retrieval import make_embedder
from .settings import RAGSettings

EMBED_BATCH = 2048


@task(retries=2, retry_delay_seconds=1)
def load_task(settings: RAGSettings, corpus_dir: Path | None) -> Loaded:
    """Read files, web pages and API records (retried: remote; unreadable sources skipped)."""
    return load_sources(settings, corpus_dir)


@task
def chunk_task(plan: Plan, settings: RAGSettings) -> list[Chunk]:
    """Chunk new and changed documents."""
    return chunk_changed(
        plan, settings.chunk_max_tokens, settings.chunk_overlap_tokens, token_counter(settings)
    )


@task
def embed_task(texts: Sequence[str], settings: RAGSettings) -> Vectors:
    """Embed one batch (runs on a Dask worker with ``use_dask``)."""
    return make_embedder(settings).embed(texts)


def _dask_runner(workers: int) -> Any:
    try:
        from prefect_dask.task_runners import DaskTaskRunner  # noqa: PLC0415
    except ImportError as error:
        raise RuntimeError(
            "embedding on Dask needs the `dask` extra: `uv sync --extra dask`"
        ) from error
    cluster = {"n_workers": workers, "processes": True, "threads_per_worker": 1}
    return DaskTaskRunner(cluster_kwargs=cluster)


@flow(name="rag-index", log_prints=True)
def _index_flow(corpus_dir: Path | None = None) -> IndexReport:
    started = time.perf_counter()
    paths = resolve_paths()
    settings = paths.settings
    embedder = make_embedder(settings)
    chunking = chunking_key(embedder, settings.chunk_max_tokens, settings.chunk_overlap_tokens)
    loaded = load_task(settings, corpus_dir or paths.corpus_dir)
    documents = loaded.documents
    store = open_store(paths)
    try:
        plan = plan_update(documents, store, embedder, chunking, loaded.skipped)
        meta = store.meta()
        if meta is not None and not (plan.rebuild or plan.changed or plan.removed):
            skipped = tuple(loaded.skipped)
            return IndexReport(meta, len(documents), 0, 0, 0, plan.unchanged, 0, 0.0, skipped)
        chunks = chunk_task(plan, settings)
        texts = [chunk.search_text for chunk in chunks]
        batches = [texts[i : i + EMBED_BATCH] for i in range(0, len(texts), EMBED_BATCH)]
        futures = embed_task.map(batches, settings=unmapped(settings))

        def vectors() -> Vectors:  # the store waits for the embedding tasks when it needs them
            return np.concatenate(
                [np.zeros((0, embedder.dimension), np.float32), *futures.result()]
            )

        apply_update(store, plan, chunks, vectors, embedder=embedder, chunking=chunking)
        meta = store.meta() or meta
    finally:
        store.close()
    if meta is None:
        raise RuntimeError("the store has no index after the update")
    report = IndexReport(
        meta=meta,
        documents=len(documents),
        added=plan.added,
        updated=len(plan.changed) - plan.added,
        removed=len(plan.removed),
        unchanged=plan.unchanged,
        chunks_embedded=len(chunks),
        seconds=time.perf_counter() - started,
        skipped=tuple(loaded.skipped),
    )
    print(f"rag index: {report}")
    return report


def index_flow(corpus_dir: Path | None = None, use_dask: bool = False) -> IndexReport:
    """Run the indexing flow (on a local Dask cluster with ``use_dask``)."""
    if not use_dask:
        return _index_flow(corpus_dir=corpus_dir)
    workers = resolve_paths().settings.dask_workers
    return _index_flow.with_options(task_runner=_dask_runner(workers))(corpus_dir=corpus_dir)


def refresh_deployment(every: timedelta, name: str = "rag-refresh") -> Any:
    """A deployment running the flow every ``every``; ``.serve()`` it or ``prefect deploy``."""
    return _index_flow.to_deployment(name=name, interval=every)
