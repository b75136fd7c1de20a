from __future__ import annotations

from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.rag import index as index_module
from {{ cookiecutter.package_name }}.rag.embeddings import WordLlamaEmbedder
from {{ cookiecutter.package_name }}.rag.index import BUILDS_DIR, build_index, read_manifest
from {{ cookiecutter.package_name }}.rag.search import Retriever

from .conftest import corpus_chunks

NEW_DOCUMENT = """# Aquarium care

## Feeding

The office zebrafish are fed flakes twice a day by the facilities team.
"""


def _builds(index_dir: Path) -> set[str]:
    return {path.name for path in (index_dir / BUILDS_DIR).iterdir()}


def test_build_records_embedder_and_counts(tmp_path: Path, embedder: WordLlamaEmbedder) -> None:
    chunks = corpus_chunks()

    result = build_index(chunks, embedder, tmp_path / "index", table_name="handbook")

    manifest = read_manifest(tmp_path / "index")
    assert manifest == result.manifest
    assert not result.reused
    assert (manifest.embedder, manifest.dimension) == (embedder.name, 256)
    assert (manifest.chunks, manifest.documents) == (len(chunks), 6)
    assert manifest.table_name == "handbook"
    assert _builds(tmp_path / "index") == {manifest.build_id}


def test_reindex_is_idempotent(tmp_path: Path, corpus: Path, embedder: WordLlamaEmbedder) -> None:
    index_dir = tmp_path / "index"
    first = build_index(corpus_chunks(corpus), embedder, index_dir)
    hits_before = Retriever(index_dir, embedder).search("expense approval", top_k=3)

    second = build_index(corpus_chunks(corpus), embedder, index_dir)

    assert second.reused
    assert second.manifest == first.manifest
    assert _builds(index_dir) == {first.manifest.build_id}
    assert Retriever(index_dir, embedder).search("expense approval", top_k=3) == hits_before


def test_changed_corpus_swaps_to_a_new_build(
    tmp_path: Path, corpus: Path, embedder: WordLlamaEmbedder
) -> None:
    index_dir = tmp_path / "index"
    first = build_index(corpus_chunks(corpus), embedder, index_dir)
    (corpus / "aquarium.md").write_text(NEW_DOCUMENT, encoding="utf-8")

    second = build_index(corpus_chunks(corpus), embedder, index_dir)

    assert not second.reused
    assert second.manifest.build_id != first.manifest.build_id
    assert second.manifest.documents == first.manifest.documents + 1
    hits = Retriever(index_dir, embedder).search("who feeds the zebrafish", top_k=1)
    assert hits[0].source == "aquarium.md"


def test_failed_rebuild_leaves_previous_index_queryable(
    tmp_path: Path, corpus: Path, embedder: WordLlamaEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    index_dir = tmp_path / "index"
    old = build_index(corpus_chunks(corpus), embedder, index_dir).manifest
    (corpus / "aquarium.md").write_text(NEW_DOCUMENT, encoding="utf-8")
    (index_dir / BUILDS_DIR / "crashed-earlier").mkdir()

    def fail(table: object) -> None:
        raise RuntimeError("disk full while writing the full-text index")

    monkeypatch.setattr(index_module, "_create_text_index", fail)
    with pytest.raises(RuntimeError, match="disk full"):
        build_index(corpus_chunks(corpus), embedder, index_dir)

    assert read_manifest(index_dir) == old
    assert _builds(index_dir) == {old.build_id, "crashed-earlier"}
    retriever = Retriever(index_dir, embedder)
    assert retriever.search("zebrafish", top_k=3, mode="text") == []
    assert retriever.search("blue-green deployment", top_k=1)[0].source == "deployment-process.md"

    monkeypatch.undo()
    new = build_index(corpus_chunks(corpus), embedder, index_dir).manifest
    assert _builds(index_dir) == {old.build_id, new.build_id}
    assert Retriever(index_dir, embedder).search("zebrafish", top_k=1)[0].source == "aquarium.md"


def test_empty_corpus_is_refused(tmp_path: Path, embedder: WordLlamaEmbedder) -> None:
    with pytest.raises(ValueError, match="nothing to index"):
        build_index([], embedder, tmp_path / "index")
    assert read_manifest(tmp_path / "index") is None
