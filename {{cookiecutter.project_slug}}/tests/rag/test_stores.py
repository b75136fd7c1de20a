"""Both vector stores behind one interface: build, search, filter, incremental, atomic, checks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from {{ cookiecutter.package_name }}.embeddings import HashingEmbedder, WordLlamaEmbedder, wordllama_token_counter
from {{ cookiecutter.package_name }}.rag import _lance_store as lance_store
from {{ cookiecutter.package_name }}.rag import _pg_store as pg_store
from {{ cookiecutter.package_name }}.rag._chunking import chunk_documents, count_words
from {{ cookiecutter.package_name }}.rag._documents import Document, make_document
from {{ cookiecutter.package_name }}.rag._indexer import reuses_token_ids
from {{ cookiecutter.package_name }}.rag._retrieval import Retriever
from {{ cookiecutter.package_name }}.rag._store import (
    EmbedderMismatchError,
    IndexNotFoundError,
    VectorStore,
)

from .conftest import SETTINGS, CountingEmbedder, index

AQUARIUM = make_document(
    "aquarium.md",
    "# Aquarium care\n\n## Feeding\n\nThe office zebrafish are fed flakes twice a day by the "
    "facilities team.\n",
)


def _edited(documents: list[Document], source: str, old: str, new: str) -> list[Document]:
    return [
        make_document(d.source, d.text.replace(old, new)) if d.source == source else d
        for d in documents
    ]


def test_build_then_hybrid_search_finds_the_section(
    store: VectorStore, embedder: WordLlamaEmbedder, shipped_documents: list[Document]
) -> None:
    report = index(shipped_documents, store, embedder)
    retriever = Retriever(store, embedder, SETTINGS)

    hits = retriever.search("How long are audit logs kept?", k=3)

    meta = store.meta()
    assert meta is not None
    assert (meta.documents, meta.chunks) == (6, report.chunks_embedded)
    assert (meta.embedder, meta.dimension) == (embedder.name, 256)
    assert hits[0].source == "data-retention.md"
    assert hits[0].section.endswith("Retention periods")
    assert len({hit.chunk_id for hit in hits}) == 3


def test_dense_and_text_rankings_and_filters(
    store: VectorStore, embedder: WordLlamaEmbedder, shipped_documents: list[Document]
) -> None:
    index(shipped_documents, store, embedder)
    vector = embedder.embed(["hotel price cap in London"])[0]

    dense = store.vector_search(vector, 5)
    text = store.text_search("legal hold", 3)
    only = store.vector_search(vector, 5, {"source": ["remote-work.md", "security-basics.md"]})
    by_text = store.text_search("rollback release", 5, {"kind": "api"})

    assert dense[0].source == "expense-rules.md"
    assert all(-1.0 <= c.score <= 1.0 for c in dense)
    assert dense[0].vector is not None
    assert dense[0].vector.shape == (256,)
    assert text[0].section[-1] == "Legal hold"
    assert {c.source for c in only} <= {"remote-work.md", "security-basics.md"}
    assert only
    assert by_text == []
    with pytest.raises(ValueError, match="unknown filter 'colour'"):
        store.vector_search(vector, 5, {"colour": "blue"})


def test_reindex_embeds_only_changed_documents(
    store: VectorStore, shipped_documents: list[Document]
) -> None:
    embedder = CountingEmbedder()
    first = index(shipped_documents, store, embedder)
    embedder.texts.clear()

    unchanged = index(shipped_documents, store, embedder)
    assert unchanged.noop
    assert embedder.texts == []

    edited = _edited(shipped_documents, "remote-work.md", "600 euros", "650 euros")
    edited = [d for d in edited if d.source != "security-basics.md"] + [AQUARIUM]
    report = index(edited, store, embedder)

    assert (report.added, report.updated, report.removed) == (1, 1, 1)
    assert embedder.texts
    assert all("Aquarium" in t or "Remote work" in t for t in embedder.texts)
    meta = store.meta()
    assert meta is not None
    assert meta.documents == 6
    assert meta.build_id != first.meta.build_id
    retriever = Retriever(store, embedder, SETTINGS)
    assert retriever.search("who feeds the zebrafish", k=1)[0].source == "aquarium.md"
    assert retriever.search("home office budget for a desk", k=1)[0].text.count("650 euros") == 1
    assert "security-basics.md" not in store.document_hashes()
    assert not [h for h in retriever.search("phishing button", k=5) if h.source.startswith("sec")]


def test_chunks_are_embedded_from_the_chunkers_token_ids(
    store: VectorStore, shipped_documents: list[Document], embedder: WordLlamaEmbedder
) -> None:
    """wordllama embeds the token ids the chunker already has: each stored vector is the one
    embedding the chunk's search text gives; an embedder of another tokenizer embeds texts."""
    counter = wordllama_token_counter()
    assert reuses_token_ids(embedder, counter)
    assert not reuses_token_ids(HashingEmbedder(64), count_words)
    assert not reuses_token_ids(embedder, count_words)
    index(shipped_documents, store, embedder)
    chunks = chunk_documents(
        shipped_documents, SETTINGS.chunk_max_tokens, SETTINGS.chunk_overlap_tokens, counter
    )

    vectors = embedder.embed([chunk.search_text for chunk in chunks])
    for chunk, vector in zip(chunks, vectors, strict=True):
        best = store.vector_search(vector, 1)[0]
        assert (best.chunk_id, round(float(best.vector @ vector), 5)) == (chunk.id, 1.0)


def _fail_lance(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(self: object, table: object, rows: int) -> None:
        raise RuntimeError("disk full while writing the full-text index")

    monkeypatch.setattr(lance_store.LanceStore, "_create_indexes", fail)


def _fail_pg(monkeypatch: pytest.MonkeyPatch) -> None:
    original = pg_store.PgVectorStore._copy_chunks

    def fail(self: pg_store.PgVectorStore, *args: Any) -> None:
        original(self, *args)
        raise RuntimeError("disk full while writing the full-text index")

    monkeypatch.setattr(pg_store.PgVectorStore, "_copy_chunks", fail)


BREAKERS = {"lancedb": _fail_lance, "pgvector": _fail_pg}


@pytest.mark.parametrize("kind", BREAKERS)
def test_interrupted_update_leaves_previous_index_queryable(
    kind: str,
    make_store: Callable[[str], VectorStore],
    embedder: WordLlamaEmbedder,
    shipped_documents: list[Document],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = make_store(kind)
    old = index(shipped_documents, store, embedder).meta
    BREAKERS[kind](monkeypatch)

    with pytest.raises(RuntimeError, match="disk full"):
        index([*shipped_documents[1:], AQUARIUM], store, embedder)

    assert store.meta() == old
    retriever = Retriever(store, embedder, SETTINGS)
    assert retriever.search("zebrafish flakes", k=3, mode="text") == []
    assert retriever.search("blue-green deployment canary", k=1)[0].source == (
        "deployment-process.md"
    )
    assert retriever.search("audit logs retention", k=1)[0].source == "data-retention.md"
    monkeypatch.undo()
    index([*shipped_documents, AQUARIUM], store, embedder)
    assert retriever.search("zebrafish flakes", k=1)[0].source == "aquarium.md"


def test_lance_table_name_changed_after_a_build_keeps_the_index(
    tmp_path: Path, embedder: WordLlamaEmbedder, shipped_documents: list[Document]
) -> None:
    index(shipped_documents, lance_store.LanceStore(tmp_path / "index"), embedder)

    renamed = lance_store.LanceStore(tmp_path / "index", table_name="handbook")
    assert renamed.document_hashes()  # the live build still opens (was: table not found)
    assert Retriever(renamed, embedder, SETTINGS).search("legal hold", k=1)
    report = index([*shipped_documents, AQUARIUM], renamed, embedder)

    assert report.added == 1  # an update of the live index, not a rebuild
    build = tmp_path / "index" / lance_store.BUILDS_DIR / report.meta.build_id
    assert (build / "handbook.lance").is_dir(), sorted(path.name for path in build.iterdir())
    hits = Retriever(renamed, embedder, SETTINGS).search("zebrafish flakes", k=1)
    assert hits[0].source == "aquarium.md"


def test_lance_keeps_only_live_and_previous_builds(
    make_store: Callable[[str], VectorStore],
    embedder: WordLlamaEmbedder,
    shipped_documents: list[Document],
) -> None:
    store = make_store("lancedb")
    assert isinstance(store, lance_store.LanceStore)
    builds = []
    for extra in ([], [AQUARIUM], [replace(AQUARIUM, id="b", content_hash="x")]):
        builds.append(index([*shipped_documents, *extra], store, embedder).meta.build_id)

    on_disk = {p.name for p in (store.index_dir / lance_store.BUILDS_DIR).iterdir()}
    assert on_disk == set(builds[1:])


def test_other_embedder_is_refused_and_changing_it_rebuilds(
    store: VectorStore, embedder: WordLlamaEmbedder, shipped_documents: list[Document]
) -> None:
    index(shipped_documents, store, embedder)
    smaller = WordLlamaEmbedder(dimension=64)

    with pytest.raises(EmbedderMismatchError) as caught:
        Retriever(store, smaller, SETTINGS)
    message = str(caught.value)
    assert "wordllama-l2_supercat-256" in message
    assert "wordllama-l2_supercat-64" in message
    assert "rebuild" in message

    report = index(shipped_documents, store, smaller)
    assert report.added == 6
    assert Retriever(store, smaller, SETTINGS).search("legal hold", k=1)[0].source == (
        "data-retention.md"
    )


def test_empty_store_says_how_to_build_it(store: VectorStore, embedder: WordLlamaEmbedder) -> None:
    assert store.meta() is None
    assert store.document_hashes() == {}
    with pytest.raises(IndexNotFoundError, match="rag-index"):
        Retriever(store, embedder, SETTINGS)
    with pytest.raises(ValueError, match="nothing to index"):
        index([], store, embedder)
    with pytest.raises(ValueError, match="duplicate document ids"):
        index([AQUARIUM, AQUARIUM], store, embedder)


def test_lance_builds_a_vector_index_above_the_row_threshold(
    tmp_path: Path, embedder: WordLlamaEmbedder, shipped_documents: list[Document]
) -> None:
    store = lance_store.LanceStore(tmp_path / "index", vector_index_min_rows=10)
    index(shipped_documents, store, embedder)

    tables = store._tables()
    assert tables is not None
    kinds = {config.index_type for config in tables[0].list_indices()}
    assert kinds == {"FTS", "IvfHnswSq"}
    hits = Retriever(store, embedder, SETTINGS).search("How long are audit logs kept?", k=2)
    assert hits[0].source == "data-retention.md"


def test_an_index_of_documents_without_text_searches_to_nothing(
    store: VectorStore, embedder: WordLlamaEmbedder
) -> None:
    report = index([make_document("empty.md", "# Only a title\n")], store, embedder)

    assert report.meta.chunks == 0
    assert Retriever(store, embedder, SETTINGS).search("anything at all") == []
    assert store.vector_search(embedder.embed(["anything"])[0], 5) == []
    assert store.text_search("anything", 5) == []
