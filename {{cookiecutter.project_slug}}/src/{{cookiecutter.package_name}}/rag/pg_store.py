"""PostgreSQL + pgvector store: HNSW cosine index, BM25 over a postings table, one transaction.

Tables (``<t>`` is the ``table_name`` setting): ``<t>`` (chunks and vectors), ``<t>_postings``
(lexeme, chunk, term frequency, chunk length: an inverted index built from
``to_tsvector('english', search_text)``), ``<t>_lexicon`` (document and collection frequency per
lexeme), ``<t>_documents`` (content hash per document) and ``<t>_meta`` (index metadata and BM25
statistics). PostgreSQL's own ``ts_rank`` has no inverse document frequency, so lexical ranking is
BM25 computed in SQL from these tables, needing no extension beyond pgvector.

An update is a single transaction: chunks, postings, lexicon and statistics change together,
concurrent readers keep seeing the previous index until it commits, and an interrupted update
rolls back.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import numpy as np
import psycopg
from pgvector.psycopg import register_vector
from psycopg import sql

from .store import Candidate, Filters, IndexMeta, IndexUpdate, check_filters, query_words

BM25_K1 = 1.2
BM25_B = 0.75
_COLUMNS = (
    "id, document_id, source, title, section, position, text, search_text, kind, fetched_at, "
    "metadata, vector"
)
_SELECT = (
    "c.id, c.document_id, c.source, c.title, c.section, c.text, c.kind, c.fetched_at, c.vector"
)
_SCHEMA = (
    "DROP TABLE IF EXISTS {chunks}, {postings}, {lexicon}, {documents}, {meta}",
    "CREATE TABLE {chunks} (num bigint GENERATED ALWAYS AS IDENTITY UNIQUE, id text PRIMARY KEY,"
    " document_id text NOT NULL, source text, title text, section text[], position int,"
    " text text, search_text text, kind text, fetched_at timestamptz, metadata jsonb,"
    " vector vector({dim}))",
    "CREATE INDEX ON {chunks} (document_id)",
    "CREATE TABLE {postings} (lexeme text NOT NULL, chunk bigint NOT NULL, tf int NOT NULL,"
    " length int NOT NULL)",
    "CREATE TABLE {lexicon} (lexeme text PRIMARY KEY, df int NOT NULL, cf bigint NOT NULL)",
    "CREATE TABLE {documents} (id text PRIMARY KEY, content_hash text NOT NULL)",
    "CREATE TABLE {meta} (key text PRIMARY KEY, value jsonb NOT NULL)",
)
# Indexes built after the bulk load of a new index: faster, and a better HNSW graph.
_INDEXES = (
    "CREATE INDEX ON {chunks} USING hnsw (vector vector_cosine_ops)",
    "CREATE INDEX ON {postings} (lexeme)",
    "CREATE INDEX ON {postings} (chunk)",
)
# One row per (lexeme, chunk) of the chunks selected by ``{which}``; tf = number of positions,
# length = the chunk's number of lexeme occurrences (stop words excluded), as BM25 counts it.
_POSTINGS = """
INSERT INTO {postings} (lexeme, chunk, tf, length)
SELECT lexeme, num, tf, sum(tf) OVER (PARTITION BY num)
FROM (SELECT c.num, t.lexeme, greatest(cardinality(t.positions), 1) AS tf
      FROM {chunks} c, unnest(to_tsvector('english', c.search_text)) AS t
      WHERE {which}) AS occurrences
ORDER BY lexeme
"""
_LEXICON = """
INSERT INTO {lexicon} (lexeme, df, cf)
SELECT lexeme, count(*), sum(tf) FROM {postings} WHERE {which} GROUP BY lexeme
"""
# BM25 with idf = ln(1 + (N - df + 0.5) / (df + 0.5)), summed over the query's lexemes.
_BM25 = """
WITH stats AS (
    SELECT (value->>'chunks')::float8 AS n, greatest((value->>'avg_length')::float8, 1) AS avgdl
    FROM {meta} WHERE key = 'bm25'
), terms AS MATERIALIZED (
    SELECT l.lexeme, ln(1 + (s.n - l.df + 0.5) / (l.df + 0.5::float8)) AS idf
    FROM {lexicon} l, stats s
    WHERE l.lexeme = ANY(tsvector_to_array(to_tsvector('english', %(words)s)))
), top AS (
    SELECT p.chunk, sum(
        t.idf * p.tf * (%(k1)s::float8 + 1) / (p.tf + %(k1)s::float8 * (1 - %(b)s::float8
            + %(b)s::float8 * p.length / s.avgdl))
    ) AS score
    FROM terms t JOIN {postings} p ON p.lexeme = t.lexeme CROSS JOIN stats s
    WHERE true{allowed}
    GROUP BY p.chunk ORDER BY score DESC, p.chunk LIMIT %(k)s
)
SELECT {cols}, top.score FROM top JOIN {chunks} c ON c.num = top.chunk
ORDER BY top.score DESC, top.chunk
"""


class PgVectorStore:
    """:class:`.store.VectorStore` on a PostgreSQL database with the ``vector`` extension."""

    def __init__(self, dsn: str, table_name: str = "chunks", ef_search: int = 80) -> None:
        self._dsn = dsn
        self.table_name = table_name
        self._ef_search = ef_search
        self._connection: psycopg.Connection[Any] | None = None

    def __str__(self) -> str:
        return f"postgres table {self.table_name}"

    def _conn(self) -> psycopg.Connection[Any]:
        if self._connection is None or self._connection.closed:
            connection = psycopg.connect(self._dsn, autocommit=True)
            connection.execute("CREATE EXTENSION IF NOT EXISTS vector")
            register_vector(connection)
            connection.execute(f"SET hnsw.ef_search = {int(self._ef_search)}")
            # Filtered queries keep scanning the HNSW graph until k rows pass the filter.
            connection.execute("SET hnsw.iterative_scan = relaxed_order")
            self._connection = connection
        return self._connection

    def _name(self, suffix: str = "") -> sql.Identifier:
        return sql.Identifier(f"{self.table_name}{suffix}")

    def _sql(self, template: str, **extra: sql.Composable) -> sql.Composed:
        """``template`` with the table names (``{chunks}``, ``{postings}``...) filled in."""
        names = {
            part: self._name("" if part == "chunks" else f"_{part}")
            for part in ("chunks", "postings", "lexicon", "documents", "meta")
        }
        return sql.SQL(template).format(**names, **extra)

    def _exists(self) -> bool:
        # The lexicon is the newest table: an index written before it existed reads as absent,
        # so the indexer rebuilds it in the current layout.
        row = self._conn().execute("SELECT to_regclass(%s)", (f"{self.table_name}_lexicon",))
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
        """Apply ``update`` in one transaction (DDL included, PostgreSQL DDL is transactional)."""
        connection = self._conn()
        with connection.transaction(), connection.cursor() as cursor:
            if update.rebuild or not self._exists():
                self._build(cursor, update)
            else:
                self._patch(cursor, update)
            self._write_meta(cursor, update.meta)

    def _build(self, cursor: psycopg.Cursor[Any], update: IndexUpdate) -> None:
        """A new index: tables, bulk load, postings and lexicon, then the indexes."""
        for statement in _SCHEMA:
            cursor.execute(self._sql(statement, dim=sql.Literal(update.meta.dimension)))
        self._copy_chunks(cursor, update)
        cursor.execute(self._sql(_POSTINGS, which=sql.SQL("true")))
        for statement in _INDEXES:
            cursor.execute(self._sql(statement))
        cursor.execute(self._sql(_LEXICON, which=sql.SQL("true")))
        # Fresh tables have no planner statistics: without them the BM25 query scans every
        # posting instead of using the lexeme index.
        cursor.execute(self._sql("ANALYZE {chunks}, {postings}, {lexicon}"))
        self._insert_documents(cursor, update)

    def _patch(self, cursor: psycopg.Cursor[Any], update: IndexUpdate) -> None:
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
        self._copy_chunks(cursor, update)
        new = [document.id for document in update.documents]
        cursor.execute(self._sql(_POSTINGS, which=sql.SQL("c.document_id = ANY(%s)")), (new,))
        cursor.execute(
            self._sql(
                "INSERT INTO touched SELECT DISTINCT lexeme FROM {postings} WHERE chunk IN"
                " (SELECT num FROM {chunks} WHERE document_id = ANY(%s))"
            ),
            (new,),
        )
        touched = sql.SQL("lexeme IN (SELECT lexeme FROM touched)")
        cursor.execute(self._sql("DELETE FROM {lexicon} WHERE {which}", which=touched))
        cursor.execute(self._sql(_LEXICON, which=touched))
        self._insert_documents(cursor, update)

    def _insert_documents(self, cursor: psycopg.Cursor[Any], update: IndexUpdate) -> None:
        cursor.executemany(
            self._sql("INSERT INTO {documents} (id, content_hash) VALUES (%s, %s)"),
            [(document.id, document.content_hash) for document in update.documents],
        )

    def _write_meta(self, cursor: psycopg.Cursor[Any], meta: IndexMeta) -> None:
        """The index metadata with its counts, and the BM25 statistics (N, mean length)."""
        cursor.execute(
            self._sql(
                "SELECT (SELECT count(*) FROM {chunks}), (SELECT count(*) FROM {documents}),"
                " (SELECT coalesce(sum(cf), 0) FROM {lexicon})"
            )
        )
        n_chunks, n_documents, occurrences = cursor.fetchone() or (0, 0, 0)
        counted = meta.model_copy(update={"chunks": n_chunks, "documents": n_documents})
        bm25 = {"chunks": n_chunks, "avg_length": float(occurrences) / max(n_chunks, 1)}
        upsert = self._sql(
            "INSERT INTO {meta} (key, value) VALUES (%s, %s) "
            "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"
        )
        cursor.executemany(
            upsert,
            [("meta", json.dumps(counted.model_dump(mode="json"))), ("bm25", json.dumps(bm25))],
        )

    def _copy_chunks(self, cursor: psycopg.Cursor[Any], update: IndexUpdate) -> None:
        statement = self._sql("COPY {chunks} ({columns}) FROM STDIN", columns=sql.SQL(_COLUMNS))
        with cursor.copy(statement) as copy:
            for chunk, vector in zip(update.chunks, update.vectors, strict=True):
                copy.write_row(
                    (
                        chunk.id,
                        chunk.document_id,
                        chunk.source,
                        chunk.title,
                        list(chunk.section),
                        chunk.position,
                        chunk.text,
                        chunk.search_text,
                        chunk.kind,
                        chunk.fetched_at,
                        json.dumps(dict(chunk.metadata)),
                        "[" + ",".join(f"{x:.7g}" for x in vector.tolist()) + "]",
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
        if not self._exists():
            return []
        where, params = self._where(filters)
        query = self._sql(
            "SELECT {cols}, 1 - (c.vector <=> %(probe)s) AS score FROM {chunks} c WHERE true{where}"
            " ORDER BY c.vector <=> %(probe)s LIMIT %(k)s",
            cols=sql.SQL(_SELECT),
            where=where,
        )
        arguments = {"probe": np.asarray(vector, dtype=np.float32), "k": k, **params}
        rows = self._conn().execute(query, arguments, binary=True).fetchall()
        return [_candidate(row) for row in rows]

    def text_search(self, query: str, k: int, filters: Filters | None = None) -> list[Candidate]:
        """Okapi BM25 (k1 = 1.2, b = 0.75) over the postings of the query's lexemes.

        The query goes through the same ``english`` text search configuration as the chunks
        (stemmed, stop words dropped); chunks holding none of its lexemes are not returned.
        """
        words = query_words(query)
        if not words or not self._exists():
            return []
        where, params = self._where(filters)
        allowed: sql.Composable = sql.SQL("")
        if params:
            allowed = self._sql(
                " AND p.chunk IN (SELECT c.num FROM {chunks} c WHERE true{where})", where=where
            )
        statement = self._sql(_BM25, cols=sql.SQL(_SELECT), allowed=allowed)
        arguments = {"words": words, "k": k, "k1": BM25_K1, "b": BM25_B, **params}
        rows = self._conn().execute(statement, arguments, binary=True).fetchall()
        return [_candidate(row) for row in rows]

    def close(self) -> None:
        """Close the connection."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None


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
