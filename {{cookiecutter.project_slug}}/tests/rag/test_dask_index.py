"""The indexing flow on a local Dask cluster (the `dask` extra) builds the serial flow's index."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from {{ cookiecutter.package_name }}.core.settings import ENV_PREFIX, get_settings
from {{ cookiecutter.package_name }}.embeddings import Vectors
from {{ cookiecutter.package_name }}.rag import _flows as flows
from {{ cookiecutter.package_name }}.rag._api import search
from {{ cookiecutter.package_name }}.rag._indexer import IndexReport
from {{ cookiecutter.package_name }}.rag._pipeline import open_store

from .conftest import SHIPPED_CORPUS
from .test_flows import no_closed_log_streams  # noqa: F401 - autouse fixture

pytest.importorskip("prefect_dask", reason="needs the `dask` extra: `uv sync --extra dask`")

# Enough chunks for several embedding batches of the flow (one chunk per generated section).
EXTRA_DOCUMENTS = 84
SECTIONS_PER_DOCUMENT = 50
_SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "ta", "vo", "zi", "pe", "sha", "dor", "fen", "gil"]


def _write_extra_documents(folder: Path) -> None:
    """Markdown files of pseudo-words (no overlap with the shipped corpus's topics)."""
    rng = np.random.default_rng(6)
    words = ["".join(rng.choice(_SYLLABLES, size=rng.integers(2, 5))) for _ in range(400)]
    for number in range(EXTRA_DOCUMENTS):
        sections = [
            f"## Part {part}\n\n" + " ".join(rng.choice(words, size=40)) + "."
            for part in range(SECTIONS_PER_DOCUMENT)
        ]
        text = f"# Generated note {number}\n\n" + "\n\n".join(sections) + "\n"
        (folder / f"generated-{number:03}.md").write_text(text, encoding="utf-8")


def _index_contents() -> dict[str, Vectors]:
    """Every chunk id of the configured index with its vector (LanceDB searches exactly here)."""
    store = open_store()
    try:
        meta = store.meta()
        assert meta is not None
        probe = np.full(meta.dimension, 1.0, dtype=np.float32)
        candidates = store.vector_search(probe, meta.chunks)
    finally:
        store.close()
    assert len(candidates) == meta.chunks
    return {c.chunk_id: c.vector for c in candidates if c.vector is not None}


@pytest.fixture
def dask_log() -> Iterator[list[str]]:
    """Messages of the Dask task runner (Prefect's loggers do not propagate to pytest's)."""
    messages: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            messages.append(record.getMessage())

    handler = Collect(logging.INFO)
    logger = logging.getLogger("prefect.task_runner")
    logger.addHandler(handler)
    yield messages
    logger.removeHandler(handler)


def _build(
    artifacts: Path, corpus: Path, use_dask: bool, monkeypatch: pytest.MonkeyPatch
) -> tuple[IndexReport, dict[str, Vectors]]:
    """Run the flow with its LanceDB index under ``artifacts``; the report and the index."""
    monkeypatch.setenv(f"{ENV_PREFIX}ARTIFACTS_DIR", str(artifacts))
    get_settings.cache_clear()
    report = flows.index_flow(corpus_dir=corpus, use_dask=use_dask)
    return report, _index_contents()


@pytest.mark.slow
def test_dask_flow_builds_the_same_index_as_the_serial_flow(
    prefect_harness: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    dask_log: list[str],
) -> None:
    # The store is LanceDB whatever the project's default: the Dask option only changes where
    # embeddings are computed, and LanceDB below its vector-index threshold returns every chunk.
    monkeypatch.setenv(f"{ENV_PREFIX}RAG__VECTOR_STORE", "lancedb")
    monkeypatch.setenv(f"{ENV_PREFIX}RAG__DASK_WORKERS", "2")
    corpus = Path(shutil.copytree(SHIPPED_CORPUS, tmp_path / "corpus"))
    _write_extra_documents(corpus)

    serial, expected = _build(tmp_path / "serial", corpus, False, monkeypatch)
    assert dask_log == []
    parallel, built = _build(tmp_path / "dask", corpus, True, monkeypatch)

    assert any("Creating a new Dask cluster" in message for message in dask_log), dask_log
    shipped = len(list(SHIPPED_CORPUS.glob("*.md")))
    assert parallel.meta.documents == serial.meta.documents == EXTRA_DOCUMENTS + shipped
    # Several of the flow's embedding batches (2048 texts each).
    assert parallel.chunks_embedded == serial.chunks_embedded > 2 * 2048
    assert (parallel.meta.embedder, parallel.meta.chunking) == (
        serial.meta.embedder,
        serial.meta.chunking,
    )
    assert sorted(built) == sorted(expected)
    ids = sorted(expected)
    np.testing.assert_allclose(
        np.stack([built[i] for i in ids]), np.stack([expected[i] for i in ids]), atol=1e-6
    )
    hits = search("home office budget for a desk", k=3)
    assert hits[0].source == "remote-work.md"
    assert hits[0].section.endswith("Home office equipment")


def test_the_dask_cluster_has_the_configured_number_of_single_threaded_workers() -> None:
    runner = flows._dask_runner(3)

    assert runner.cluster_kwargs == {"n_workers": 3, "processes": True, "threads_per_worker": 1}
