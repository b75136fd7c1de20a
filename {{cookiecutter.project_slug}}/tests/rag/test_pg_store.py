"""The pgvector store beyond the shared contract: BM25 over its own inverted index, kept in step."""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import pytest
from pydantic import SecretStr

from {{ cookiecutter.package_name }}.embeddings import WordLlamaEmbedder
from {{ cookiecutter.package_name }}.rag import _pg_store as pg_store
from {{ cookiecutter.package_name }}.rag._chunking import Chunk
from {{ cookiecutter.package_name }}.rag._documents import Document, make_document
from {{ cookiecutter.package_name }}.rag._pg_bm25 import PostingList, bm25_ranking
from {{ cookiecutter.package_name }}.rag._pipeline import RAGPaths, open_store
from {{ cookiecutter.package_name }}.rag._store import IndexMeta, IndexUpdate, VectorStore
from {{ cookiecutter.package_name }}.rag.settings import RAGSettings

from .conftest import index

# One chunk per document; every word is its own lexeme under the `english` configuration.
TINY = {
    "rare": "zebra coral",
    "common": "coral reef",
    "repeated": "coral coral coral coral coral coral",
    "short": "kelp reef",
    "long": "kelp reef lagoon lagoon lagoon lagoon lagoon lagoon lagoon lagoon",
}


def _pg(make_store: Callable[[str], VectorStore]) -> pg_store.PgVectorStore:
    store = make_store("pgvector")
    assert isinstance(store, pg_store.PgVectorStore)
    return store


def _update(texts: dict[str, str], removed: list[str], rebuild: bool) -> IndexUpdate:
    """One single-chunk document per text (2-d vectors: only the lexical side matters here)."""
    documents = [make_document(f"{name}.txt", text, title="") for name, text in texts.items()]
    chunks = [
        Chunk(
            id=f"{d.id}#0",
            document_id=d.id,
            source=d.source,
            title="",
            section=(),
            position=0,
            text=d.text,
            n_tokens=len(d.text.split()),
            kind="api" if d.id.startswith("short") else "file",
        )
        for d in documents
    ]
    meta = IndexMeta(
        build_id=datetime.now(UTC).isoformat(),
        embedder="none",
        dimension=2,
        chunking="one chunk per document",
        documents=0,
        chunks=0,
        updated_at=datetime.now(UTC),
    )
    vectors = np.ones((len(chunks), 2), dtype=np.float32)
    return IndexUpdate(meta, documents, chunks, lambda: vectors, removed, rebuild)


def _bm25(texts: dict[str, str], query: str) -> dict[str, float]:
    """Okapi BM25 of every text holding a query word, computed by hand (k1 = 1.2, b = 0.75)."""
    bags = {f"{name}.txt": Counter(text.split()) for name, text in texts.items()}
    average = sum(bag.total() for bag in bags.values()) / len(bags)
    scores: dict[str, float] = {}
    for word in query.split():
        holding = [name for name, bag in bags.items() if word in bag]
        idf = math.log(1 + (len(bags) - len(holding) + 0.5) / (len(holding) + 0.5))
        for name in holding:
            tf, norm = bags[name][word], 1 - 0.75 + 0.75 * bags[name].total() / average
            scores[name] = scores.get(name, 0.0) + idf * tf * 2.2 / (tf + 1.2 * norm)
    return scores


def _ranked(
    store: pg_store.PgVectorStore, query: str, **filters: str | list[str]
) -> dict[str, float]:
    return {c.document_id: c.score for c in store.text_search(query, 10, filters or None)}


def test_bm25_scores_and_order_match_a_hand_computation(
    make_store: Callable[[str], VectorStore],
) -> None:
    store = _pg(make_store)
    store.apply(_update(TINY, [], rebuild=True))

    for query in ("zebra coral", "zebra reef", "coral", "kelp", "reef lagoon kelp"):
        found = _ranked(store, query)
        expected = _bm25(TINY, query)
        assert found == pytest.approx(expected, rel=1e-9)
        assert list(found) == sorted(expected, key=lambda name: -expected[name])
    # A rare word outweighs a common one: "zebra" (1 chunk) beats "reef" (3 chunks).
    rare_first = _ranked(store, "zebra reef")
    assert next(iter(rare_first)) == "rare.txt"
    assert rare_first["rare.txt"] > 2 * rare_first["common.txt"]
    # Term frequency saturates: six "coral" score far less than six times one "coral".
    coral = _ranked(store, "coral")
    assert coral["common.txt"] < coral["repeated.txt"] < 2 * coral["common.txt"]
    # Length normalisation: the same single "kelp" counts more in a shorter chunk.
    assert list(_ranked(store, "kelp")) == ["short.txt", "long.txt"]
    # Equal scores ("coral reef" and "kelp reef") keep a stable order, also when k cuts them.
    assert [c.document_id for c in store.text_search("reef", 1)] == ["common.txt"]
    assert [c.document_id for c in store.text_search("reef", 2)] == ["common.txt", "short.txt"]
    assert store.text_search("the of and", 5) == []  # stop words only: no lexeme
    assert store.text_search("narwhal", 5) == []


def test_text_search_filters_before_ranking(make_store: Callable[[str], VectorStore]) -> None:
    store = _pg(make_store)
    store.apply(_update(TINY, [], rebuild=True))

    everywhere = _ranked(store, "reef coral")
    only_file = _ranked(store, "reef coral", kind="file")
    assert list(only_file) == [name for name in everywhere if name != "short.txt"]
    assert only_file == pytest.approx({n: everywhere[n] for n in only_file}, rel=1e-9)
    assert list(_ranked(store, "reef coral", kind="api", source="short.txt")) == ["short.txt"]
    assert list(_ranked(store, "reef", document_id=["long.txt", "rare.txt"])) == ["long.txt"]


def _lexical_state(store: pg_store.PgVectorStore) -> dict[str, Any]:
    """Postings by chunk id (chunk numbers differ between builds), lexicon and BM25 statistics.

    ``stale`` counts lexicon rows whose packed posting list differs from the postings table
    (or lexemes missing from either side), ``orphans`` postings of no chunk.
    """
    connection = store._conn()
    postings = connection.execute(
        store._sql(
            "SELECT p.lexeme, c.id, p.tf, p.length FROM {postings} p"
            " JOIN {chunks} c ON c.num = p.chunk ORDER BY 1, 2"
        )
    ).fetchall()
    lexicon = connection.execute(store._sql("SELECT lexeme, df, cf FROM {lexicon} ORDER BY 1"))
    stats = connection.execute(store._sql("SELECT value FROM {meta} WHERE key = 'bm25'"))
    stale = connection.execute(
        store._sql(
            "SELECT count(*) FROM {lexicon} l FULL JOIN (SELECT lexeme, string_agg(int8send(chunk),"
            " ''::bytea ORDER BY chunk) AS chunks, string_agg(int4send(tf), ''::bytea ORDER BY"
            " chunk) AS tfs FROM {postings} GROUP BY lexeme) p USING (lexeme)"
            " WHERE l.chunks IS DISTINCT FROM p.chunks OR l.tfs IS DISTINCT FROM p.tfs"
        )
    ).fetchone()
    orphans = connection.execute(
        store._sql("SELECT count(*) FROM {postings} WHERE chunk NOT IN (SELECT num FROM {chunks})")
    ).fetchone()
    return {
        "postings": postings,
        "lexicon": lexicon.fetchall(),
        "bm25": stats.fetchone(),
        "stale": stale,
        "orphans": orphans,
    }


def test_incremental_updates_keep_postings_equal_to_a_fresh_build(
    make_store: Callable[[str], VectorStore],
    embedder: WordLlamaEmbedder,
    shipped_documents: list[Document],
) -> None:
    store, fresh = _pg(make_store), _pg(make_store)
    index(shipped_documents, store, embedder)
    assert store.text_search("phishing", 3)[0].source == "security-basics.md"
    changed = [
        make_document(d.source, d.text.replace("lifted", "quarantined"))
        if d.source == "data-retention.md"
        else d
        for d in shipped_documents
        if d.source != "security-basics.md"
    ]

    index(changed, store, embedder)
    index(changed, fresh, embedder)

    state = _lexical_state(store)
    assert state == _lexical_state(fresh)
    assert state["orphans"] == state["stale"] == (0,)
    assert store.text_search("phishing", 3) == []  # its only document was removed
    assert store.text_search("lifted", 3) == []  # its only chunk changed
    assert store.text_search("quarantined", 3)[0].section[-1] == "Legal hold"


def test_failed_update_leaves_postings_and_lexicon_untouched(
    make_store: Callable[[str], VectorStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = _pg(make_store)
    store.apply(_update(TINY, [], rebuild=True))
    before = _lexical_state(store)

    def fail(self: pg_store.PgVectorStore, cursor: object, update: object) -> None:
        raise RuntimeError("connection lost after the postings were written")

    monkeypatch.setattr(pg_store.PgVectorStore, "_insert_documents", fail)
    edited = {"rare": "narwhal coral", "extra": "narwhal kelp"}
    with pytest.raises(RuntimeError, match="connection lost"):
        store.apply(_update(edited, ["long.txt"], rebuild=False))

    assert _lexical_state(store) == before
    assert store.text_search("narwhal", 5) == []
    assert _ranked(store, "zebra coral") == pytest.approx(_bm25(TINY, "zebra coral"), rel=1e-9)
    monkeypatch.undo()
    store.apply(_update(edited, ["long.txt"], rebuild=False))
    now = {**{k: v for k, v in TINY.items() if k != "long"}, **edited}
    assert _ranked(store, "narwhal lagoon") == pytest.approx(_bm25(now, "narwhal lagoon"))


def _tables(store: pg_store.PgVectorStore) -> set[str]:
    rows = store._conn().execute(
        "SELECT tablename FROM pg_tables WHERE tablename LIKE %s", (f"{store.table_name}%",)
    )
    return {name for (name,) in rows.fetchall()}


def _built_tiny(
    make_store: Callable[[str], VectorStore],
) -> tuple[pg_store.PgVectorStore, set[str], dict[str, Any]]:
    """A pgvector index of TINY; its tables and lexical state."""
    store = _pg(make_store)
    store.apply(_update(TINY, [], rebuild=True))
    return store, _tables(store), _lexical_state(store)


def test_a_failed_rebuild_leaves_the_live_index_and_the_next_one_replaces_it(
    make_store: Callable[[str], VectorStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, live, before = _built_tiny(make_store)
    assert not any(name.startswith(store.table_name + pg_store.STAGING_SUFFIX) for name in live)

    def fail_lexical(self: pg_store.PgVectorStore, *args: Any) -> None:
        raise RuntimeError("connection lost while writing the postings")  # the second connection

    monkeypatch.setattr(pg_store.PgVectorStore, "_build_lexical", fail_lexical)
    edited = {"rare": "narwhal coral", "extra": "narwhal kelp"}
    with pytest.raises(RuntimeError, match="connection lost"):
        store.apply(_update(edited, [], rebuild=True))

    assert _lexical_state(store) == before  # the live index answers as before
    assert _ranked(store, "zebra coral") == pytest.approx(_bm25(TINY, "zebra coral"), rel=1e-9)
    assert store.text_search("narwhal", 5) == []
    assert len(_tables(store)) > len(live)  # the interrupted rebuild's staging tables
    monkeypatch.undo()

    store.apply(_update(edited, [], rebuild=True))

    assert _tables(store) == live  # staging dropped, renamed, nothing left over
    assert _ranked(store, "narwhal") == pytest.approx(_bm25(edited, "narwhal"), rel=1e-9)
    assert store.text_search("zebra", 5) == []
    meta = store.meta()
    assert meta is not None
    assert (meta.chunks, meta.documents) == (2, 2)
    assert store.vector_search(np.ones(2, np.float32), 5)  # the HNSW index came along


def _wait_for_statement(store: pg_store.PgVectorStore, marker: str) -> None:
    """Until another connection runs a statement ending with ``marker`` (at most 20 s)."""
    running = (
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE state = 'active' AND pid <> pg_backend_pid() AND query LIKE %s"
    )
    deadline = time.monotonic() + 20
    while store._conn().execute(running, (f"%{marker}",)).fetchone() != (1,):
        assert time.monotonic() < deadline, f"no statement ending with {marker!r} ran"
        time.sleep(0.01)


def test_a_rebuild_embeds_while_its_lexical_half_runs_and_a_failure_cancels_it(
    make_store: Callable[[str], VectorStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, live, before = _built_tiny(make_store)
    errors: list[BaseException] = []
    original = pg_store.PgVectorStore._build_lexical

    def slow_lexical(self: pg_store.PgVectorStore, connection: Any, *args: Any) -> None:
        try:  # a long statement on the lexical connection, as on a large corpus
            connection.execute("SELECT pg_sleep(60) -- lexical half")
            original(self, connection, *args)
        except BaseException as error:
            errors.append(error)
            raise

    def embed() -> Any:  # called once the lexical half runs, as it should be
        _wait_for_statement(store, "-- lexical half")
        raise RuntimeError("the embedding API is down")

    monkeypatch.setattr(pg_store.PgVectorStore, "_build_lexical", slow_lexical)
    update = _update({"rare": "narwhal coral"}, [], rebuild=True)
    failing = IndexUpdate(update.meta, update.documents, update.chunks, embed, [], True)
    with pytest.raises(RuntimeError, match="embedding API is down"):
        store.apply(failing)

    assert [type(error) for error in errors] == [psycopg.errors.QueryCanceled]
    assert _lexical_state(store) == before  # the live index answers as before
    assert store.text_search("narwhal", 5) == []
    monkeypatch.undo()
    store.apply(update)
    assert _tables(store) == live
    assert list(_ranked(store, "narwhal")) == ["rare.txt"]


def test_searches_during_a_rebuild_keep_answering_from_the_live_index(
    make_store: Callable[[str], VectorStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = _pg(make_store)
    store.apply(_update(TINY, [], rebuild=True))
    expected = _ranked(store, "coral reef")
    seen: list[dict[str, float]] = []
    lock = threading.Lock()  # the two halves run at once

    def search_after(name: str) -> None:
        original = getattr(pg_store.PgVectorStore, name)

        def search_meanwhile(self: pg_store.PgVectorStore, *args: Any) -> None:
            original(self, *args)
            with ThreadPoolExecutor(max_workers=1) as pool:  # another connection, like a server's
                found = pool.submit(_ranked, store, "coral reef").result()
            with lock:
                seen.append(found)

        monkeypatch.setattr(pg_store.PgVectorStore, name, search_meanwhile)

    search_after("_build_lexical")
    search_after("_build_vector_index")
    store.apply(_update({"other": "kelp lagoon"}, [], rebuild=True))

    assert seen == [expected, expected]  # after each half of the build: still the old index
    assert _ranked(store, "coral reef") == {}
    assert list(_ranked(store, "kelp")) == ["other.txt"]


def test_an_index_without_the_lexical_tables_is_rebuilt(
    make_store: Callable[[str], VectorStore],
    embedder: WordLlamaEmbedder,
    shipped_documents: list[Document],
) -> None:
    store = _pg(make_store)
    assert store.text_search("legal hold", 5) == []  # no tables yet
    assert store.vector_search(np.ones(256, np.float32), 5) == []
    index(shipped_documents, store, embedder)
    numbers = store._sql("SELECT min(num), max(num) FROM {chunks}")
    first = store._conn().execute(numbers).fetchone()
    # An index written before the postings and lexicon existed (an older layout).
    store._conn().execute(store._sql("DROP TABLE {lexicon}, {postings}"))
    assert store.meta() is None

    report = index(shipped_documents, store, embedder)

    assert report.added == len(shipped_documents)
    rebuilt = store._conn().execute(numbers).fetchone()
    assert first is not None
    assert rebuilt is not None
    assert rebuilt[0] > first[1]  # chunk numbers are never reused
    assert store.text_search("legal hold", 1)[0].section[-1] == "Legal hold"


def test_each_thread_searches_on_its_own_connection(
    make_store: Callable[[str], VectorStore],
) -> None:
    store = _pg(make_store)
    store.apply(_update(TINY, [], rebuild=True))

    with ThreadPoolExecutor(max_workers=2) as pool:
        other = pool.submit(store._conn).result()
        rankings = list(pool.map(lambda query: _ranked(store, query), ["coral reef"] * 4))

    assert other is not store._conn()
    assert rankings == [_ranked(store, "coral reef")] * 4
    store.close()
    assert other.closed
    assert _ranked(store, "zebra") == pytest.approx(_bm25(TINY, "zebra"))  # reconnects


def test_sparse_chunk_numbers_rank_like_dense_ones() -> None:
    def packed(chunks: list[int], tfs: list[int], lengths: list[int]) -> PostingList:
        return (
            len(chunks),
            np.asarray(chunks, ">i8").tobytes(),
            np.asarray(tfs, ">i4").tobytes(),
            np.asarray(lengths, ">i4").tobytes(),
            10.0,
            4.0,
        )

    dense = [packed([3, 4, 5], [1, 2, 1], [2, 6, 4]), packed([4, 6], [3, 1], [6, 2])]
    shift = 10**12  # far apart: the sort path instead of the dense count
    sparse = [packed([3, 4, 5 + shift], [1, 2, 1], [2, 6, 4]), packed([4, 6], [3, 1], [6, 2])]

    dense_nums, dense_scores = bm25_ranking(dense, None)
    sparse_nums, sparse_scores = bm25_ranking(sparse, None)

    assert dense_nums.tolist() == [4, 6, 3, 5]
    assert sparse_nums.tolist() == [4, 6, 3, 5 + shift]
    assert sparse_scores.tolist() == pytest.approx(dense_scores.tolist(), rel=1e-12)
    assert bm25_ranking([], 5)[0].tolist() == []


def test_hnsw_settings_reach_the_index_and_the_searches(
    postgres_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = RAGSettings(
        vector_store="pgvector",
        postgres_dsn=SecretStr(postgres_dsn),
        table_name="tuned",
        pg_hnsw_ef_search=123,
        pg_hnsw_m=24,
        pg_hnsw_ef_construction=100,
    )
    store = open_store(RAGPaths(settings, tmp_path, tmp_path / "index", tmp_path / "eval.jsonl"))
    assert isinstance(store, pg_store.PgVectorStore)
    store.apply(_update(TINY, [], rebuild=True))

    connection = store._conn()
    definitions = [
        row[0]
        for row in connection.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'tuned' AND indexdef LIKE '%hnsw%'"
        )
    ]
    searched = connection.execute("SHOW hnsw.ef_search").fetchone()
    store.close()

    assert len(definitions) == 1
    assert "m='24'" in definitions[0]
    assert "ef_construction='100'" in definitions[0]
    assert searched == ("123",)
