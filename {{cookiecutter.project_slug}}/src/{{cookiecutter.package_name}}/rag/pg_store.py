"""PostgreSQL + pgvector store: HNSW cosine index, tsvector full text, one transaction per update.

Tables (``<t>`` is the ``table_name`` setting): ``<t>`` (chunks, vector and generated tsvector
columns), ``<t>_documents`` (content hash per document), ``<t>_meta`` (one JSON row). An update is
a single transaction: concurrent readers keep seeing the previous index until it commits, and an
interrupted update rolls back.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

import numpy as np
import psycopg
from pgvector.psycopg import register_vector
from psycopg import sql

from .store import Candidate, Filters, IndexMeta, IndexUpdate, check_filters, query_words

_COLUMNS = (
    "id, document_id, source, title, section, position, text, search_text, kind, fetched_at, "
    "metadata, vector"
)
_SELECT = "id, document_id, source, title, section, text, kind, fetched_at, vector"


class PgVectorStore:
    """:class:`.store.VectorStore` on a PostgreSQL database with the ``vector`` extension."""

    def __init__(self, dsn: str, table_name: str = "chunks", ef_search: int = 80) -> None:
        self._dsn = dsn
        self.table_name = table_name
        self._ef_search = ef_search
        self._connection: psycopg.Connection[Any] | None = None
        self._df_cache: dict[str, int] = {}
        self._df_build: str | None = None

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

    def _exists(self) -> bool:
        row = self._conn().execute("SELECT to_regclass(%s)", (f"{self.table_name}_meta",))
        found = row.fetchone()
        return found is not None and found[0] is not None

    def meta(self) -> IndexMeta | None:
        """The metadata row, ``None`` before the first build."""
        if not self._exists():
            return None
        query = sql.SQL("SELECT value FROM {} WHERE key = 'meta'").format(self._name("_meta"))
        row = self._conn().execute(query).fetchone()
        return IndexMeta.model_validate(row[0]) if row else None

    def document_hashes(self) -> dict[str, str]:
        """Content hash of every indexed document."""
        if not self._exists():
            return {}
        query = sql.SQL("SELECT id, content_hash FROM {}").format(self._name("_documents"))
        return dict(self._conn().execute(query).fetchall())

    def _create(self, cursor: psycopg.Cursor[Any], dimension: int) -> None:
        chunks, documents, meta = self._name(), self._name("_documents"), self._name("_meta")
        for statement in (
            "DROP TABLE IF EXISTS {chunks}, {documents}, {meta}",
            "CREATE TABLE {chunks} (id text PRIMARY KEY, document_id text NOT NULL, source text,"
            " title text, section text[], position int, text text, search_text text, kind text,"
            " fetched_at timestamptz, metadata jsonb, vector vector({dim}),"
            " tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', search_text)) STORED)",
            "CREATE INDEX ON {chunks} (document_id)",
            "CREATE TABLE {documents} (id text PRIMARY KEY, content_hash text NOT NULL)",
            "CREATE TABLE {meta} (key text PRIMARY KEY, value jsonb NOT NULL)",
        ):
            cursor.execute(
                sql.SQL(statement).format(
                    chunks=chunks, documents=documents, meta=meta, dim=sql.Literal(dimension)
                )
            )

    def apply(self, update: IndexUpdate) -> None:
        """Apply ``update`` in one transaction (DDL included, PostgreSQL DDL is transactional)."""
        connection = self._conn()
        dropped = [*update.removed, *(document.id for document in update.documents)]
        with connection.transaction(), connection.cursor() as cursor:
            created = update.rebuild or not self._exists()
            if created:
                self._create(cursor, update.meta.dimension)
            else:
                for suffix, column in (("", "document_id"), ("_documents", "id")):
                    cursor.execute(
                        sql.SQL("DELETE FROM {} WHERE {} = ANY(%s)").format(
                            self._name(suffix), sql.Identifier(column)
                        ),
                        (dropped,),
                    )
            self._copy_chunks(cursor, update)
            if created:  # indexes built after the bulk load: faster, and a better HNSW graph
                for statement in (
                    "CREATE INDEX ON {} USING hnsw (vector vector_cosine_ops)",
                    "CREATE INDEX ON {} USING gin (tsv)",
                ):
                    cursor.execute(sql.SQL(statement).format(self._name()))
            cursor.executemany(
                sql.SQL("INSERT INTO {} (id, content_hash) VALUES (%s, %s)").format(
                    self._name("_documents")
                ),
                [(document.id, document.content_hash) for document in update.documents],
            )
            counts = sql.SQL("SELECT (SELECT count(*) FROM {}), (SELECT count(*) FROM {})")
            cursor.execute(counts.format(self._name(), self._name("_documents")))
            n_chunks, n_documents = cursor.fetchone() or (0, 0)
            meta = update.meta.model_copy(update={"chunks": n_chunks, "documents": n_documents})
            cursor.execute(
                sql.SQL(
                    "INSERT INTO {} (key, value) VALUES ('meta', %s) "
                    "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"
                ).format(self._name("_meta")),
                (json.dumps(meta.model_dump(mode="json")),),
            )

    def _copy_chunks(self, cursor: psycopg.Cursor[Any], update: IndexUpdate) -> None:
        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(self._name(), sql.SQL(_COLUMNS))
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

    def _where(self, filters: Filters | None) -> tuple[sql.Composable, list[Any]]:
        clauses: list[sql.Composable] = []
        params: list[Any] = []
        for key, values in check_filters(filters).items():
            clauses.append(sql.SQL("{} = ANY(%s)").format(sql.Identifier(key)))
            params.append(values)
        if not clauses:
            return sql.SQL(""), params
        return sql.SQL(" AND ") + sql.SQL(" AND ").join(clauses), params

    def vector_search(self, vector: Any, k: int, filters: Filters | None = None) -> list[Candidate]:
        """Cosine nearest neighbours through the HNSW index."""
        if not self._exists():
            return []
        where, params = self._where(filters)
        query = sql.SQL(
            "SELECT {cols}, 1 - (vector <=> %s) AS score FROM {t} WHERE true{where} "
            "ORDER BY vector <=> %s LIMIT %s"
        ).format(cols=sql.SQL(_SELECT), t=self._name(), where=where)
        probe = np.asarray(vector, dtype=np.float32)
        rows = self._conn().execute(query, [probe, *params, probe, k]).fetchall()
        return [_candidate(row) for row in rows]

    def _idf(self, words: str) -> dict[str, float]:
        """BM25 inverse document frequency of each query lexeme, corpus-common ones dropped.

        PostgreSQL's ``ts_rank`` has no IDF, so a common word would rank like a rare one.
        Lexemes in more than a fifth of the chunks are dropped (unless nothing else is left);
        document frequencies are cached per index build.
        """
        connection = self._conn()
        meta = self.meta()
        if meta is None:
            return {}
        if self._df_build != meta.build_id:
            self._df_cache, self._df_build = {}, meta.build_id
        lexemes = connection.execute(
            "SELECT unnest(tsvector_to_array(to_tsvector('english', %s)))", (words,)
        ).fetchall()
        count = sql.SQL("SELECT count(*) FROM {} WHERE tsv @@ %s::tsquery").format(self._name())
        for (lexeme,) in lexemes:
            if lexeme not in self._df_cache:
                row = connection.execute(count, (_quoted(lexeme),)).fetchone()
                self._df_cache[lexeme] = int(row[0]) if row else 0
        total = max(meta.chunks, 1)
        found = {lex: self._df_cache[lex] for (lex,) in lexemes if self._df_cache[lex] > 0}
        idf = {lex: math.log(1 + (total - df + 0.5) / (df + 0.5)) for lex, df in found.items()}
        rare = {lex: weight for lex, weight in idf.items() if found[lex] <= total * 0.2}
        return rare or dict(sorted(idf.items(), key=lambda item: -item[1])[:2])

    def text_search(self, query: str, k: int, filters: Filters | None = None) -> list[Candidate]:
        """Chunks holding any informative query word, scored by the IDF of the words they hold.

        Score = sum of the BM25 IDF of the matched lexemes + ``ts_rank_cd`` (term frequency and
        proximity) as a tie-breaker; see :meth:`_idf`.
        """
        words = query_words(query)
        if not words or not self._exists():
            return []
        idf = self._idf(words)
        if not idf:
            return []
        where, params = self._where(filters)
        matched = sql.SQL(" + ").join(
            sql.SQL("CASE WHEN tsv @@ {}::tsquery THEN {} ELSE 0 END").format(
                sql.Literal(_quoted(lexeme)), sql.Literal(weight)
            )
            for lexeme, weight in idf.items()
        )
        statement = sql.SQL(
            "SELECT {cols}, {matched} + ts_rank_cd(tsv, {q}::tsquery) AS score FROM {t} "
            "WHERE tsv @@ {q}::tsquery{where} ORDER BY score DESC LIMIT %s"
        ).format(
            cols=sql.SQL(_SELECT),
            matched=matched,
            q=sql.Literal(" | ".join(_quoted(lexeme) for lexeme in idf)),
            t=self._name(),
            where=where,
        )
        rows = self._conn().execute(statement, [*params, k]).fetchall()
        return [_candidate(row) for row in rows]

    def close(self) -> None:
        """Close the connection."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def _quoted(lexeme: str) -> str:
    """A lexeme as a tsquery operand: ``'it''s'``."""
    return "'" + lexeme.replace("'", "''") + "'"


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
