"""On-disk LanceDB index of chunks: atomic builds, embedder checks and hybrid search.

Layout of ``index_dir``::

    manifest.json          # which build is live, and the embedder it was built with
    builds/<build_id>/     # one LanceDB database per build, holding the chunk table

A build writes a new database under ``builds/`` and only then replaces ``manifest.json`` (write to a
temporary file, then an atomic rename). A build that fails or is interrupted never touches the live
index; its leftovers are removed (at once on an exception, by the next build after a crash).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from .chunking import Chunk, section_path
from .embeddings import Embedder

MANIFEST_FILE = "manifest.json"
BUILDS_DIR = "builds"
TEXT_COLUMN = "search_text"


class IndexNotFoundError(FileNotFoundError):
    """No index has been built at this location yet."""


class EmbedderMismatchError(ValueError):
    """The query embedder differs from the one the index was built with."""


class IndexManifest(BaseModel):
    """What ``manifest.json`` records about the live build."""

    format_version: int = 1
    build_id: str
    table_name: str
    embedder: str
    dimension: int
    fingerprint: str
    documents: int
    chunks: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class BuildResult:
    """Outcome of :func:`build_index`; ``reused`` is true when the live build already matched."""

    manifest: IndexManifest
    reused: bool


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One retrieved chunk with what is needed to cite it."""

    chunk_id: str
    source: str
    title: str
    section: tuple[str, ...]
    text: str
    score: float

    @property
    def citation(self) -> str:
        """``source § section path [chunk id prefix]``."""
        return f"{self.source} § {section_path(self.section, self.title)} [{self.chunk_id[:8]}]"


def fingerprint(chunks: Sequence[Chunk], embedder: Embedder, table_name: str) -> str:
    """Hash of everything that determines the index content: chunk ids, embedder, table name."""
    digest = hashlib.sha256(f"{embedder.name}\x00{embedder.dimension}\x00{table_name}".encode())
    for chunk in chunks:
        digest.update(f"\x00{chunk.id}".encode())
    return digest.hexdigest()


def read_manifest(index_dir: Path) -> IndexManifest | None:
    """The live build's manifest, or ``None`` when no index was built in ``index_dir``."""
    path = index_dir / MANIFEST_FILE
    if not path.is_file():
        return None
    return IndexManifest.model_validate_json(path.read_text(encoding="utf-8"))


def _write_manifest(index_dir: Path, manifest: IndexManifest) -> None:
    temporary = index_dir / f".{MANIFEST_FILE}.{uuid.uuid4().hex}.tmp"
    temporary.write_text(manifest.model_dump_json(indent=2), encoding="utf-8")
    os.replace(temporary, index_dir / MANIFEST_FILE)


def _schema(dimension: int) -> Any:
    import pyarrow as pa  # noqa: PLC0415 - heavy import, only when building

    return pa.schema(
        [
            pa.field("id", pa.string(), nullable=False),
            pa.field("document_id", pa.string()),
            pa.field("source", pa.string()),
            pa.field("title", pa.string()),
            pa.field("section", pa.list_(pa.string())),
            pa.field("position", pa.int32()),
            pa.field("text", pa.string()),
            pa.field(TEXT_COLUMN, pa.string()),
            pa.field("vector", pa.list_(pa.float32(), dimension)),
        ]
    )


def _rows(chunks: Sequence[Chunk], vectors: list[list[float]]) -> list[dict[str, Any]]:
    return [
        {
            "id": chunk.id,
            "document_id": chunk.document_id,
            "source": chunk.source,
            "title": chunk.title,
            "section": list(chunk.section),
            "position": chunk.position,
            "text": chunk.text,
            TEXT_COLUMN: chunk.search_text,
            "vector": vector,
        }
        for chunk, vector in zip(chunks, vectors, strict=True)
    ]


def _create_text_index(table: Any) -> None:
    from lancedb.index import FTS  # noqa: PLC0415 - heavy import, only when building

    table.create_index(TEXT_COLUMN, config=FTS(), replace=True)


def _write_build(build_dir: Path, chunks: Sequence[Chunk], embedder: Embedder, name: str) -> None:
    import lancedb  # noqa: PLC0415 - heavy import, only when building
    import pyarrow as pa  # noqa: PLC0415

    vectors = embedder.embed([chunk.search_text for chunk in chunks])
    if any(len(vector) != embedder.dimension for vector in vectors):
        raise ValueError(
            f"embedder {embedder.name} returned vectors not of size {embedder.dimension}"
        )
    data = pa.Table.from_pylist(_rows(chunks, vectors), schema=_schema(embedder.dimension))
    table = lancedb.connect(build_dir).create_table(name, data=data)
    _create_text_index(table)


def _remove_stale_builds(index_dir: Path, keep: set[str]) -> None:
    for build in (index_dir / BUILDS_DIR).iterdir():
        if build.name not in keep:
            shutil.rmtree(build, ignore_errors=True)


def build_index(
    chunks: Sequence[Chunk], embedder: Embedder, index_dir: Path, table_name: str = "chunks"
) -> BuildResult:
    """Embed ``chunks`` and make them the live index in ``index_dir``, atomically.

    Nothing is rebuilt when the live build has the same fingerprint (same chunks, embedder and
    table). The previous build is kept for readers that opened it before the swap.

    Raises:
        ValueError: ``chunks`` is empty.
    """
    if not chunks:
        raise ValueError("nothing to index: no chunks (is the corpus empty?)")
    index_dir.mkdir(parents=True, exist_ok=True)
    current = read_manifest(index_dir)
    digest = fingerprint(chunks, embedder, table_name)
    if (
        current
        and current.fingerprint == digest
        and (index_dir / BUILDS_DIR / current.build_id).is_dir()
    ):
        return BuildResult(current, reused=True)
    created = datetime.now(UTC)
    build_id = f"{created:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    build_dir = index_dir / BUILDS_DIR / build_id
    try:
        _write_build(build_dir, chunks, embedder, table_name)
    except BaseException:
        shutil.rmtree(build_dir, ignore_errors=True)
        raise
    manifest = IndexManifest(
        build_id=build_id,
        table_name=table_name,
        embedder=embedder.name,
        dimension=embedder.dimension,
        fingerprint=digest,
        documents=len({chunk.document_id for chunk in chunks}),
        chunks=len(chunks),
        created_at=created,
    )
    _write_manifest(index_dir, manifest)
    _remove_stale_builds(index_dir, keep={build_id, current.build_id if current else build_id})
    return BuildResult(manifest, reused=False)
