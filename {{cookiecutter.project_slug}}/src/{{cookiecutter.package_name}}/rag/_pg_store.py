"""PostgreSQL + pgvector store: HNSW cosine index, BM25 over an inverted index, one transaction.

Tables (``<t>`` is the ``table_name`` setting): ``<t>`` (chunks and vectors), ``<t>_postings``
(lexeme, chunk, term frequency, chunk length, from ``to_tsvector('english', search_text)``),
``<t>_lexicon`` (per lexeme: document and collection frequency, packed posting list),
``<t>_documents`` (content hash per document) and ``<t>_meta`` (index metadata, BM25 statistics).
PostgreSQL's ``ts_rank`` has no inverse document frequency: lexical ranking is BM25 over these
tables (:mod:`._pg_bm25`), with no extension beyond pgvector.

An incremental update is a single transaction: chunks, postings, lexicon and statistics change
together, concurrent readers keep seeing the previous index until it commits, and an interrupted
update rolls back. A rebuild (a new index, or a new embedder or chunking) writes a complete index
beside the live one under the ``<t>__next`` names, in two halves on two connections at once (two
cores): one derives the postings and lexicon from the chunks' texts, sent to it as soon as the
chunks exist; the other waits for the chunks' vectors (they are embedded meanwhile), loads the
chunks and documents and builds the HNSW graph. One short transaction then drops the live tables
and renames the new ones. Until that commits the live index answers as before; an interrupted
rebuild leaves only ``__next`` tables, which the next rebuild drops first.
"""

from __future__ import annotations

import json
import threading
import weakref
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import numpy as np
import psycopg
from pgvector.psycopg import register_vector
from psycopg import sql
from psycopg.types.json import Jsonb

from ..embeddings import Vectors
from ._chunking import Chunk
from ._pg_bm25 import LEXICON, LOOKUP, POSTINGS, RANKED, bm25_ranking
from ._store import (
    Candidate,
    Filters,
    IndexMeta,
    IndexUpdate,
    check_filters,
    lexical_text,
    query_words,
)

_COLUMNS = (
    "num, id, document_id, source, title, section, position, text, search_text, kind, fetched_at, "
    "metadata, vector"
)
# The types of _COLUMNS, in order, for the binary COPY.
_COLUMN_TYPES = (
    ("int8",)
    + ("text",) * 4
    + ("text[]", "int4")
    + ("text",) * 3
    + ("timestamptz", "jsonb", "vector")
)
# The HNSW build is much slower once its graph outgrows maintenance_work_mem (64 MB by default,
# about 50k chunks of 256 dimensions): raised for the build transactions only.
_BUILD_MEMORY = "512MB"
# A rebuild's chunk numbers and full texts (as the full-text index reads them).
_Texts = tuple[list[int], list[str]]
# A rebuild's tables until they replace the live ones.
STAGING_SUFFIX = "__next"
_PARTS = ("chunks", "postings", "lexicon", "documents", "meta")
_ALL = sql.SQL("true")
_SELECT = (
    "c.id, c.document_id, c.source, c.title, c.section, c.text, c.kind, c.fetched_at, c.vector"
)
_DROP = "DROP TABLE IF EXISTS {chunks}, {postings}, {lexicon}, {documents}, {meta}"
_SCHEMA = (
    _DROP,
    # Chunk numbers come from a sequence that outlives rebuilds: a search that read posting
    # lists just before a rebuild committed can miss chunks, never get another chunk's row.
    "CREATE SEQUENCE IF NOT EXISTS {numbers}",
    "CREATE TABLE {chunks} (num bigint NOT NULL DEFAULT nextval({numbers_name}) UNIQUE,"
    " id text PRIMARY KEY,"
    " document_id text NOT NULL, source text, title text, section text[], position int,"
    " text text, search_text text, kind text, fetched_at timestamptz, metadata jsonb,"
    " vector vector({dim}))",
    "CREATE INDEX ON {chunks} (document_id)",
    "CREATE INDEX ON {chunks} (source)",  # the usual selective filter
    "CREATE TABLE {postings} (lexeme text NOT NULL, chunk bigint NOT NULL, tf int NOT NULL,"
    " length int NOT NULL)",
    "CREATE TABLE {lexicon} (lexeme text PRIMARY KEY, df int NOT NULL, cf bigint NOT NULL,"
    " chunks bytea NOT NULL, tfs bytea NOT NULL, lengths bytea NOT NULL)",
    # Posting lists are read whole at every query: store them uncompressed.
    "ALTER TABLE {lexicon} ALTER chunks SET STORAGE EXTERNAL, ALTER tfs SET STORAGE EXTERNAL,"
    " ALTER lengths SET STORAGE EXTERNAL",
    "CREATE TABLE {documents} (id text PRIMARY KEY, content_hash text NOT NULL)",
    "CREATE TABLE {meta} (key text PRIMARY KEY, value jsonb NOT NULL)",
)
# Built after the bulk load of a new index (faster, and a better HNSW graph), in two halves run
# at once on two connections: the vector index, and the lexical tables.
_VECTOR_INDEX = (
    "CREATE INDEX ON {chunks} USING hnsw (vector vector_cosine_ops)"
    " WITH (m = {hnsw_m}, ef_construction = {hnsw_ef_construction})",
    "ANALYZE {chunks}",
)
# Fresh tables have no planner statistics: without them the BM25 query scans every posting
# instead of using the lexeme index.
_LEXICAL_TABLES = (
    POSTINGS,
    "CREATE INDEX ON {postings} (lexeme)",
    "CREATE INDEX ON {postings} (chunk)",
    LEXICON,
    "ANALYZE {postings}, {lexicon}",
)


class PgVectorStore:
    """:class:`.store.VectorStore` on a PostgreSQL database with the ``vector`` extension."""

    def __init__(
        self,
        dsn: str,
        table_name: str = "chunks",
        ef_search: int = 80,
        hnsw_m: int = 16,
        hnsw_ef_construction: int = 64,
    ) -> None:
        self._dsn = dsn
        self.table_name = table_name
        self._ef_search = ef_search
        self._hnsw = {
            "hnsw_m": sql.Literal(int(hnsw_m)),
            "hnsw_ef_construction": sql.Literal(int(hnsw_ef_construction)),
        }
        # One connection per thread: the retriever runs the full-text search on a worker thread
        # while the dense one runs, and a server searches from many threads; one shared
        # connection would serialise them all. A finished thread's connection goes with it.
        self._local = threading.local()
        self._connections: weakref.WeakSet[psycopg.Connection[Any]] = weakref.WeakSet()
        self._lock = threading.Lock()

    def __str__(self) -> str:
        return f"postgres table {self.table_name}"

    def _conn(self) -> psycopg.Connection[Any]:
        connection: psycopg.Connection[Any] | None = getattr(self._local, "connection", None)
        if connection is None or connection.closed:
            connection = psycopg.connect(self._dsn, autocommit=True)
            connection.execute("CREATE EXTENSION IF NOT EXISTS vector")
            register_vector(connection)
            connection.execute(f"SET hnsw.ef_search = {int(self._ef_search)}")
            # Filtered queries keep scanning the HNSW graph until k rows pass the filter.
            connection.execute("SET hnsw.iterative_scan = relaxed_order")
            self._local.connection = connection
            with self._lock:
                self._connections.add(connection)
        return connection

    def _name(self, suffix: str = "") -> sql.Identifier:
        return sql.Identifier(f"{self.table_name}{suffix}")

    def _sql(self, template: str, base: str | None = None, **extra: sql.Composable) -> sql.Composed:
        """``template`` with the table names (``{chunks}``, ``{postings}``...) filled in.

        The live index's names, or with ``base`` those of the index it names (a rebuild's).
        """
        base = base or self.table_name
        names: dict[str, sql.Composable] = {
            part: sql.Identifier(_table(base, part)) for part in _PARTS
        }
        return sql.SQL(template).format(**(names | extra))

    def _exists(self) -> bool:
        # The lexicon is the newest table: an index written before it existed reads as absent,
        # so the indexer rebuilds it in the current layout.
        row = self._conn().execute("SELECT to_regclass(%s)", (_table(self.table_name, "lexicon"),))
        found = row.fetchone()
        return found is not None and found[0] is not None

    def meta(self) -> IndexMeta | None:
        """The metadata row, ``None`` before the first build."""
        if not self._exists():
            return None
        row = self._conn().execute(self._sql("SELECT value FROM {meta} WHERE key = 'meta'"))
        found = row.fetchone()
        return IndexMeta.model_validate(found[0]) if found else None

    def document_hashes(self) -> dict[str, str]:
        """Content hash of every indexed document."""
        if not self._exists():
            return {}
        query = self._sql("SELECT id, content_hash FROM {documents}")
        return dict(self._conn().execute(query).fetchall())

    def apply(self, update: IndexUpdate) -> None:
        """Apply ``update``: a rebuild beside the live index, else one transaction."""
        if update.rebuild or not self._exists():
            self._rebuild(update)
            return
        vectors = update.embed()
        connection = self._conn()
        with connection.transaction(), connection.cursor() as cursor:
            self._patch(cursor, update, vectors)
            self._write_meta(cursor, update.meta)

    def _rebuild(self, update: IndexUpdate) -> None:
        """A new index under the staging names, swapped in when complete (see the module)."""
        staging = f"{self.table_name}{STAGING_SUFFIX}"
        connection = self._conn()
        # One rebuild of this index at a time: another would drop these staging tables.
        lock = sql.SQL("SELECT pg_advisory_lock(hashtext({}))").format(sql.Literal(staging))
        connection.execute(lock)
        try:
            with connection.transaction(), connection.cursor() as cursor:
                self._create(cursor, update, staging)
                numbered = self._numbered(cursor, update.chunks)
            self._fill(connection, update, staging, numbered)
            with connection.transaction(), connection.cursor() as cursor:
                self._write_meta(cursor, update.meta, staging)
                self._swap(cursor, staging)
        finally:  # a lost connection released its session's lock already
            if not connection.broken:
                unlock = sql.SQL("SELECT pg_advisory_unlock(hashtext({}))")
                connection.execute(unlock.format(sql.Literal(staging)))

    def _create(self, cursor: psycopg.Cursor[Any], update: IndexUpdate, staging: str) -> None:
        """The staging tables (an interrupted rebuild's dropped first)."""
        numbers = self._name("_numbers")
        names = {"numbers": numbers, "numbers_name": sql.Literal(numbers.as_string(cursor))}
        dim = sql.Literal(update.meta.dimension)
        for statement in _SCHEMA:
            cursor.execute(self._sql(statement, staging, dim=dim, **names))

    def _numbered(self, cursor: psycopg.Cursor[Any], chunks: Sequence[Chunk]) -> _Texts:
        """A number for each chunk, from the index's sequence, and each chunk's full text."""
        sequence = sql.Literal(self._name("_numbers").as_string(cursor))
        reserve = sql.SQL("SELECT array_agg(nextval({})) FROM generate_series(1, %s)")
        cursor.execute(reserve.format(sequence), (len(chunks),))
        row = cursor.fetchone()
        return list(row[0] or []) if row else [], _full_texts(chunks)

    def _fill(
        self,
        connection: psycopg.Connection[Any],
        update: IndexUpdate,
        staging: str,
        numbered: _Texts,
    ) -> None:
        """The staging tables' rows and indexes, in two halves at once.

        A second connection derives the postings and lexicon from the chunks' texts while this
        one waits for their vectors (``update.embed``), loads the chunks and builds their HNSW
        graph. If this half fails, the other one is stopped.
        """
        stop = threading.Event()
        with (
            psycopg.connect(self._dsn, autocommit=True) as other,
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="pg-lexical") as pool,
        ):
            lexical = pool.submit(self._build_lexical, other, numbered, staging, stop)
            try:
                vectors = update.embed()
                with connection.transaction(), connection.cursor() as cursor:
                    self._copy_chunks(cursor, update.chunks, vectors, numbered, staging)
                    self._insert_documents(cursor, update, staging)
                self._build_vector_index(connection, staging)
            except BaseException:  # the lexical half's work is lost anyway
                stop.set()
                other.cancel_safe()
                raise
            lexical.result()

    def _build_lexical(
        self,
        connection: psycopg.Connection[Any],
        numbered: _Texts,
        staging: str,
        stop: threading.Event,
    ) -> None:
        """A rebuild's postings and lexicon, from its chunks' numbers and full texts.

        Runs on ``connection`` while the chunks are embedded and loaded on another: the texts go
        to a temporary table, so it need not wait for the chunks table. ``stop``: give up before
        the next statement (the rebuild failed).
        """
        with _building(connection) as cursor:
            cursor.execute(
                "CREATE TEMP TABLE lexical_texts (num bigint, search_text text) ON COMMIT DROP"
            )
            with cursor.copy("COPY lexical_texts (num, search_text) FROM STDIN") as copy:
                for row in zip(*numbered, strict=True):
                    copy.write_row(row)
            source = sql.Identifier("lexical_texts")
            for statement in _LEXICAL_TABLES:
                if stop.is_set():
                    raise RuntimeError("rebuild abandoned")
                cursor.execute(self._sql(statement, staging, which=_ALL, chunks=source))

    def _build_vector_index(self, connection: psycopg.Connection[Any], staging: str) -> None:
        """The HNSW graph of a rebuild's chunks, and their planner statistics."""
        with _building(connection) as cursor:
            for statement in _VECTOR_INDEX:
                cursor.execute(self._sql(statement, staging, **self._hnsw))

    def _swap(self, cursor: psycopg.Cursor[Any], staging: str) -> None:
        """Drop the live tables and give the staging ones their names (one transaction)."""
        cursor.execute(self._sql(_DROP))
        for part in _PARTS:
            rename = sql.SQL("ALTER TABLE {} RENAME TO {}").format(
                sql.Identifier(_table(staging, part)), sql.Identifier(_table(self.table_name, part))
            )
            cursor.execute(rename)

    def _patch(self, cursor: psycopg.Cursor[Any], update: IndexUpdate, vectors: Vectors) -> None:
        """Swap the chunks and postings of changed and removed documents for the new ones.

        The lexicon rows of every lexeme the dropped or added postings hold are recounted.
        """
        dropped = [*update.removed, *(document.id for document in update.documents)]
        cursor.execute("CREATE TEMP TABLE touched (lexeme text) ON COMMIT DROP")
        cursor.execute(
            self._sql(
                "WITH gone AS (DELETE FROM {postings} WHERE chunk IN (SELECT num FROM {chunks}"
                " WHERE document_id = ANY(%s)) RETURNING lexeme)"
                " INSERT INTO touched SELECT DISTINCT lexeme FROM gone"
            ),
            (dropped,),
        )
        for statement in (
            "DELETE FROM {chunks} WHERE document_id = ANY(%s)",
            "DELETE FROM {documents} WHERE id = ANY(%s)",
        ):
            cursor.execute(self._sql(statement), (dropped,))
        self._copy_chunks(cursor, update.chunks, vectors, self._numbered(cursor, update.chunks))
        new = [document.id for document in update.documents]
        cursor.execute(self._sql(POSTINGS, which=sql.SQL("c.document_id = ANY(%s)")), (new,))
        cursor.execute(
            self._sql(
                "INSERT INTO touched SELECT DISTINCT lexeme FROM {postings} WHERE chunk IN"
                " (SELECT num FROM {chunks} WHERE document_id = ANY(%s))"
            ),
            (new,),
        )
        touched = sql.SQL("lexeme IN (SELECT lexeme FROM touched)")
        cursor.execute(self._sql("DELETE FROM {lexicon} WHERE {which}", which=touched))
        cursor.execute(self._sql(LEXICON, which=touched))
        self._insert_documents(cursor, update)

    def _insert_documents(
        self, cursor: psycopg.Cursor[Any], update: IndexUpdate, base: str | None = None
    ) -> None:
        # COPY: one statement, where an INSERT per document took 40 ms for 2,231 documents.
        statement = self._sql("COPY {documents} (id, content_hash) FROM STDIN", base)
        with cursor.copy(statement) as copy:
            for document in update.documents:
                copy.write_row((document.id, document.content_hash))

    def _write_meta(
        self, cursor: psycopg.Cursor[Any], meta: IndexMeta, base: str | None = None
    ) -> None:
        """The index metadata with its counts, and the BM25 statistics (N, mean length)."""
        cursor.execute(
            self._sql(
                "SELECT (SELECT count(*) FROM {chunks}), (SELECT count(*) FROM {documents}),"
                " (SELECT coalesce(sum(cf), 0) FROM {lexicon})",
                base,
            )
        )
        n_chunks, n_documents, occurrences = cursor.fetchone() or (0, 0, 0)
        counted = meta.model_copy(update={"chunks": n_chunks, "documents": n_documents})
        bm25 = {"chunks": n_chunks, "avg_length": float(occurrences) / max(n_chunks, 1)}
        upsert = self._sql(
            "INSERT INTO {meta} (key, value) VALUES (%s, %s) "
            "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            base,
        )
        cursor.executemany(
            upsert,
            [("meta", json.dumps(counted.model_dump(mode="json"))), ("bm25", json.dumps(bm25))],
        )

    def _copy_chunks(
        self,
        cursor: psycopg.Cursor[Any],
        chunks: Sequence[Chunk],
        vectors: Vectors,
        numbered: _Texts,
        base: str | None = None,
    ) -> None:
        """Binary COPY of ``chunks`` with their ``numbered`` numbers and full texts.

        Vectors go as float32 bytes instead of formatted decimal text.
        """
        numbers, texts = numbered
        statement = self._sql(
            "COPY {chunks} ({columns}) FROM STDIN (FORMAT BINARY)",
            base,
            columns=sql.SQL(_COLUMNS),
        )
        with cursor.copy(statement) as copy:
            copy.set_types(_COLUMN_TYPES)
            rows = zip(numbers, chunks, np.asarray(vectors, dtype=np.float32), texts, strict=True)
            for number, chunk, vector, text in rows:
                copy.write_row(
                    (
                        number,
                        chunk.id,
                        chunk.document_id,
                        chunk.source,
                        chunk.title,
                        list(chunk.section),
                        chunk.position,
                        chunk.text,
                        text,
                        chunk.kind,
                        chunk.fetched_at,
                        Jsonb(dict(chunk.metadata)),
                        vector,
                    )
                )

    def _where(self, filters: Filters | None) -> tuple[sql.Composable, dict[str, list[str]]]:
        """`` AND c.<key> = ANY(%(f<i>)s)...`` for ``filters``, and its parameters."""
        clauses: list[sql.Composable] = []
        params: dict[str, list[str]] = {}
        for i, (key, values) in enumerate(check_filters(filters).items()):
            clauses.append(
                sql.SQL(" AND c.{} = ANY({})").format(sql.Identifier(key), sql.Placeholder(f"f{i}"))
            )
            params[f"f{i}"] = values
        return sql.Composed(clauses), params

    def vector_search(self, vector: Any, k: int, filters: Filters | None = None) -> list[Candidate]:
        """Cosine nearest neighbours through the HNSW index."""
        where, params = self._where(filters)
        query = self._sql(
            "SELECT {cols}, 1 - (c.vector <=> %(probe)s) AS score FROM {chunks} c WHERE true{where}"
            " ORDER BY c.vector <=> %(probe)s LIMIT %(k)s",
            cols=sql.SQL(_SELECT),
            where=where,
        )
        arguments = {"probe": np.asarray(vector, dtype=np.float32), "k": k, **params}
        return [_candidate(row) for row in self._rows(query, arguments)]

    def text_search(self, query: str, k: int, filters: Filters | None = None) -> list[Candidate]:
        """Okapi BM25 (k1 = 1.2, b = 0.75) over the posting lists of the query's lexemes.

        The query goes through the same ``english`` text search configuration as the chunks
        (stemmed, stop words dropped); chunks holding none of its lexemes are not returned.
        Scores are summed with numpy over the packed posting lists (one lexicon row per query
        lexeme), then the best chunks that pass the filters are read back.
        """
        words = query_words(query)
        where, params = self._where(filters)
        lists = self._rows(self._sql(LOOKUP), {"words": words}) if words else []
        nums, scores = bm25_ranking(lists, None if params else k)
        if not len(nums):
            return []
        statement = self._sql(RANKED, cols=sql.SQL(_SELECT), where=where)
        literal = "{" + ",".join(map(str, nums.tolist())) + "}"
        # Filtered: planned per query (a cached generic plan cannot see how many chunks pass).
        rows = self._rows(statement, {"nums": literal, "k": k, **params}, prepare=not params)
        return [_candidate((*row[:-1], scores[row[-1] - 1])) for row in rows]

    def _rows(
        self, statement: sql.Composed, arguments: dict[str, Any], prepare: bool | None = None
    ) -> list[Any]:
        """The rows of a search (binary transfer); none before the first build."""
        try:
            cursor = self._conn().execute(statement, arguments, prepare=prepare, binary=True)
            return cursor.fetchall()
        except psycopg.errors.UndefinedTable:  # checked here, not by a round trip per search
            return []

    def close(self) -> None:
        """Close every thread's connection (a later call opens a new one)."""
        with self._lock:
            connections = list(self._connections)
            self._connections.clear()
        for connection in connections:
            connection.close()


@contextmanager
def _building(connection: psycopg.Connection[Any]) -> Iterator[psycopg.Cursor[Any]]:
    """A transaction on ``connection`` with the build's ``maintenance_work_mem``; its cursor."""
    with connection.transaction(), connection.cursor() as cursor:
        memory = sql.SQL("SET LOCAL maintenance_work_mem = {}")
        cursor.execute(memory.format(sql.Literal(_BUILD_MEMORY)))
        yield cursor


def _full_texts(chunks: Sequence[Chunk]) -> list[str]:
    return [lexical_text(chunk.search_text) for chunk in chunks]


def _table(base: str, part: str) -> str:
    """The name of one of the tables of the index named ``base``."""
    return base if part == "chunks" else f"{base}_{part}"


def _candidate(row: tuple[Any, ...]) -> Candidate:
    chunk_id, document_id, source, title, section, text, kind, fetched_at, vector, score = row
    return Candidate(
        chunk_id=chunk_id,
        document_id=document_id,
        source=source,
        title=title,
        section=tuple(section or ()),
        text=text,
        kind=kind,
        fetched_at=fetched_at.astimezone(UTC) if fetched_at else datetime.now(UTC),
        score=float(score),
        vector=np.asarray(vector.to_numpy(), dtype=np.float32),
    )
