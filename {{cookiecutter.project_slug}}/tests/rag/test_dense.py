"""The LanceDB store's in-memory dense search, against exact search and LanceDB's own paths."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from {{ cookiecutter.package_name }}.embeddings import Vectors, WordLlamaEmbedder, normalise
from {{ cookiecutter.package_name }}.rag._dense import MemoryVectorIndex, sign_bits
from {{ cookiecutter.package_name }}.rag._documents import Document, make_document
from {{ cookiecutter.package_name }}.rag._lance_store import LanceStore
from {{ cookiecutter.package_name }}.rag._retrieval import Retriever

from .conftest import SETTINGS, index

QUESTIONS = [
    "How long are audit logs kept?",
    "hotel price cap in London",
    "who do I page when the primary does not answer",
    "expense receipts deadline",
]


def _clustered(rows: int, seed: int = 3) -> Vectors:
    """Unit vectors in 50 clusters (embeddings are clustered, not uniform)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(50, 256))
    return normalise(centres[rng.integers(0, 50, rows)] + rng.normal(scale=0.6, size=(rows, 256)))


def _exact(vectors: Vectors, query: Vectors, k: int) -> list[int]:
    return [int(i) for i in np.argsort(-(vectors @ query), kind="stable")[:k]]


def test_sign_bits_pack_any_dimension_into_64_bit_words() -> None:
    vectors = np.array([[1.0, -1.0, 0.5] + [-1.0] * 67], dtype=np.float32)  # 70 dimensions

    bits = sign_bits(vectors)

    assert bits.shape == (1, 2)
    assert int(np.bitwise_count(bits).sum()) == 2
    assert sign_bits(vectors[0]).shape == (2,)


def test_sign_bit_candidates_then_exact_rescoring_find_the_true_neighbours(
    embedder: WordLlamaEmbedder, shipped_documents: list[Document]
) -> None:
    words = " ".join(document.text for document in shipped_documents).split()
    rng = np.random.default_rng(5)
    starts = rng.integers(0, len(words) - 40, 4030)
    texts = [" ".join(words[start : start + int(rng.integers(8, 40))]) for start in starts]
    vectors = embedder.embed(texts[:4000])
    index = MemoryVectorIndex(vectors, rescore=200)  # 5% of the rows rescored

    recall = []
    for query in embedder.embed(texts[4000:]):
        positions, scores = index.search(query, 10)
        assert np.allclose(scores, vectors[positions] @ query, atol=1e-5)
        assert list(scores) == sorted(scores, reverse=True)
        recall.append(len(set(positions.tolist()) & set(_exact(vectors, query, 10))) / 10)

    assert np.mean(recall) >= 0.95


def test_small_indexes_are_searched_exactly_and_masks_are_respected() -> None:
    vectors = _clustered(300)
    query = vectors[7]
    index = MemoryVectorIndex(vectors, rescore=1000)

    positions, _ = index.search(query, 20)
    assert positions.tolist() == _exact(vectors, query, 20)

    mask = np.zeros(len(vectors), dtype=bool)
    mask[100:110] = True
    positions, _ = index.search(query, 20, mask)
    assert sorted(positions.tolist()) == list(range(100, 110))  # k above what the mask allows
    assert len(index.search(query, 5, np.zeros(len(vectors), dtype=bool))[0]) == 0
    big = MemoryVectorIndex(_clustered(3000), rescore=50)
    masked = np.arange(3000) % 3 == 0
    assert all(p % 3 == 0 for p in big.search(big.vectors[9], 10, masked)[0])
    everything, _ = big.search(big.vectors[9], 3000)  # k above `rescore`: every row, exactly
    assert everything.tolist() == _exact(big.vectors, big.vectors[9], 3000)


@pytest.fixture
def both_paths(
    tmp_path: Path, embedder: WordLlamaEmbedder, shipped_documents: list[Document]
) -> tuple[LanceStore, LanceStore]:
    """The shipped corpus searched in memory, and through LanceDB's HNSW and full-text paths."""
    memory = LanceStore(tmp_path / "memory", vector_index_min_rows=10**9)
    hnsw = LanceStore(tmp_path / "hnsw", vector_index_min_rows=10)
    for store in (memory, hnsw):
        index(shipped_documents, store, embedder)
    return memory, hnsw


def test_in_memory_search_returns_what_lancedb_returns(
    both_paths: tuple[LanceStore, LanceStore], embedder: WordLlamaEmbedder
) -> None:
    memory, hnsw = both_paths
    for question in QUESTIONS:
        vector = embedder.embed([question])[0]
        in_memory, in_lance = memory.vector_search(vector, 5), hnsw.vector_search(vector, 5)
        assert [c.chunk_id for c in in_memory] == [c.chunk_id for c in in_lance]
        assert np.allclose([c.score for c in in_memory], [c.score for c in in_lance], atol=1e-4)
        assert all(c.vector is not None and c.text for c in in_memory)
        text = memory.text_search(question, 5)
        assert [(c.chunk_id, c.score) for c in text] == [
            (c.chunk_id, c.score) for c in hnsw.text_search(question, 5)
        ]
    live, other = memory._live(), hnsw._live()
    assert live is not None
    assert live.memory() is not None  # served from memory...
    assert other is not None
    assert other.memory() is None  # ...and from LanceDB's indexes


def test_in_memory_filters_and_a_new_build_replaces_the_rows_in_memory(
    both_paths: tuple[LanceStore, LanceStore],
    embedder: WordLlamaEmbedder,
    shipped_documents: list[Document],
) -> None:
    memory, _ = both_paths
    vector = embedder.embed(["zebrafish feeding"])[0]
    filters = {"source": ["expense-rules.md", "on-call-policy.md"]}

    filtered = memory.vector_search(vector, 50, filters)
    assert filtered
    assert {c.source for c in filtered} <= set(filters["source"])
    assert {c.source for c in memory.text_search("policy", 50, filters)} <= set(filters["source"])
    assert "zebrafish" not in memory.vector_search(vector, 1)[0].text

    aquarium = make_document("aquarium.md", "# Aquarium\n\nThe zebrafish are fed flakes daily.\n")
    index([*shipped_documents, aquarium], memory, embedder)

    assert "zebrafish" in memory.vector_search(vector, 1)[0].text
    assert memory.text_search("zebrafish", 1)[0].source == "aquarium.md"


def test_concurrent_searches_during_a_rebuild_each_see_one_whole_build(
    tmp_path: Path, embedder: WordLlamaEmbedder, shipped_documents: list[Document]
) -> None:
    store = LanceStore(tmp_path / "index")
    index(shipped_documents, store, embedder)
    retriever = Retriever(store, embedder, SETTINGS)
    expected = {q: [hit.chunk_id for hit in retriever.search(q, 4)] for q in QUESTIONS}
    store.close()  # the threads race to load the rows again
    old_ids = {c.chunk_id for c in store.vector_search(embedder.embed(["policy"])[0], 10_000)}
    aquarium = make_document("aquarium.md", "# Aquarium\n\nThe zebrafish are fed flakes daily.\n")

    def search(number: int) -> tuple[str, list[str]]:
        question = QUESTIONS[number % len(QUESTIONS)]
        return question, [hit.chunk_id for hit in retriever.search(question, 4)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        before = list(pool.map(search, range(40)))
        rebuild = pool.submit(index, [*shipped_documents, aquarium], store, embedder)
        during = list(pool.map(search, range(40)))
        rebuild.result()

    assert all(found == expected[question] for question, found in before)
    new_ids = {c.chunk_id for c in store.vector_search(embedder.embed(["policy"])[0], 10_000)}
    assert new_ids > old_ids
    for _, found in during:  # no error mid-swap, and every hit a real chunk of one of the builds
        assert len(found) == 4
        assert set(found) <= new_ids
