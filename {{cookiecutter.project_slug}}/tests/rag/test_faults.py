"""One bad source never stops a run: it is skipped, named, counted, and its old chunks kept."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from {{ cookiecutter.package_name }}.cli import build_app
from {{ cookiecutter.package_name }}.core.settings import ENV_PREFIX
from {{ cookiecutter.package_name }}.embeddings import WordLlamaEmbedder, wordllama_token_counter
from {{ cookiecutter.package_name }}.rag._documents import scan_documents
from {{ cookiecutter.package_name }}.rag._indexer import index_documents
from {{ cookiecutter.package_name }}.rag._pipeline import load_sources
from {{ cookiecutter.package_name }}.rag._store import VectorStore
from {{ cookiecutter.package_name }}.rag.settings import ApiSource, RAGSettings

from .conftest import SETTINGS, LocalServer, index
from .test_documents import minimal_pdf

runner = CliRunner()
RAG = f"{ENV_PREFIX}RAG__"
GOOD = "# Backups\n\nBackups are kept for thirty days.\n"


def _bad_corpus(folder: Path) -> Path:
    """Two good files and one of each kind of bad file."""
    folder.mkdir()
    (folder / "good.md").write_text(GOOD, encoding="utf-8")
    (folder / "also-good.txt").write_text("Invoices are paid within a week.", encoding="utf-8")
    (folder / "latin1.md").write_bytes("Caf\xe9 opening hours".encode("latin-1"))
    (folder / "image.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (folder / "broken.pdf").write_bytes(minimal_pdf("Hello")[:60])
    return folder


def test_unreadable_files_are_skipped_and_named(tmp_path: Path) -> None:
    loaded = scan_documents(_bad_corpus(tmp_path / "c"), ["**/*.md", "**/*.txt", "**/*.pdf"])

    assert sorted(d.source for d in loaded.documents) == ["also-good.txt", "good.md"]
    reasons = {skipped.source: skipped.reason for skipped in loaded.skipped}
    assert set(reasons) == {"latin1.md", "image.md", "broken.pdf"}
    assert "not valid UTF-8 (byte 0xe9 at offset 3)" in reasons["latin1.md"]
    assert "binary" in reasons["image.md"]
    assert "PDF" in reasons["broken.pdf"]


def test_symlinks_out_of_the_corpus_are_not_followed_unless_allowed(tmp_path: Path) -> None:
    secret = tmp_path / "outside" / "secret.md"
    secret.parent.mkdir()
    secret.write_text("# Secret\n\nThe root password.\n", encoding="utf-8")
    corpus = tmp_path / "corpus"
    (corpus / "sub").mkdir(parents=True)
    (corpus / "sub" / "inside.md").write_text(GOOD, encoding="utf-8")
    (corpus / "leak.md").symlink_to(secret)
    (corpus / "alias.md").symlink_to(corpus / "sub" / "inside.md")
    (corpus / "linked-dir").symlink_to(secret.parent, target_is_directory=True)
    # A sibling folder whose name starts with the corpus's is outside it all the same.
    sibling = tmp_path / "corpus-old" / "old.md"
    sibling.parent.mkdir()
    sibling.write_text("# Old\n\nThe old root password.\n", encoding="utf-8")
    (corpus / "old.md").symlink_to(sibling)

    default = scan_documents(corpus, ["**/*.md"])
    allowed = scan_documents(corpus, ["**/*.md"], follow_external_symlinks=True)

    assert sorted(d.source for d in default.documents) == ["alias.md", "sub/inside.md"]
    assert all("The root password" not in d.text for d in default.documents)
    assert {s.source for s in default.skipped} >= {"leak.md", "old.md"}
    assert all("outside the corpus" in s.reason for s in default.skipped)
    assert {"leak.md", "old.md"} <= {d.source for d in allowed.documents}
    assert allowed.skipped == []


def test_a_skipped_file_keeps_its_indexed_chunks(
    make_store: Callable[[str], VectorStore], embedder: WordLlamaEmbedder, tmp_path: Path
) -> None:
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "good.md").write_text(GOOD, encoding="utf-8")
    (corpus / "policy.md").write_text("# Policy\n\nLaptops are encrypted.\n", encoding="utf-8")
    store = make_store("lancedb")
    index(scan_documents(corpus).documents, store, embedder)
    (corpus / "policy.md").write_bytes(b"\xff\xfe broken now")

    loaded = scan_documents(corpus)
    report = index_documents(
        loaded.documents,
        store,
        embedder,
        max_tokens=SETTINGS.chunk_max_tokens,
        overlap=SETTINGS.chunk_overlap_tokens,
        counter=wordllama_token_counter(),
        skipped=loaded.skipped,
    )

    assert report.removed == 0
    assert [s.source for s in report.skipped] == ["policy.md"]
    assert set(store.document_hashes()) == {"good.md", "policy.md"}


def test_one_bad_url_or_api_does_not_fail_the_others(http_server: LocalServer) -> None:
    page = http_server.route("/ok", "<html><body><main><h1>Ok</h1><p>Fine text.</p></main>")
    http_server.route("/robots.txt", "User-agent: *\nAllow: /\n", content_type="text/plain")
    api = http_server.route("/api", json.dumps({"items": []}), content_type="application/json")
    settings = RAGSettings(
        allow_private_urls=True,
        web_urls=[page, http_server.base_url + "/missing"],
        api_sources=[
            ApiSource(name="tickets", url=api),
            ApiSource(name="down", url=http_server.base_url + "/gone"),
        ],
    )

    loaded = load_sources(settings, None)

    assert [d.source for d in loaded.documents] == [page]
    skipped = {s.source: s for s in loaded.skipped}
    assert set(skipped) == {http_server.base_url + "/missing", "api:down"}
    assert skipped["api:down"].covers("api:down/42")
    assert not skipped["api:down"].covers("api:downtime/1")


@pytest.fixture
def cli_corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty corpus folder the CLI indexes, with its own index folder."""
    corpus = tmp_path / "corpus"
    monkeypatch.setenv(f"{RAG}CORPUS_DIR", str(corpus))
    monkeypatch.setenv(f"{RAG}INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv(f"{RAG}INCLUDE", '["**/*.md", "**/*.txt", "**/*.pdf"]')
    return corpus


def test_cli_indexes_the_rest_warns_and_counts(cli_corpus: Path) -> None:
    _bad_corpus(cli_corpus)
    app = build_app()

    result = runner.invoke(app, ["rag", "index", "--no-progress"])
    strict = runner.invoke(app, ["rag", "index", "--no-progress", "--strict"])

    assert result.exit_code == 0, result.output
    assert "warning: skipped latin1.md: not valid UTF-8" in result.output
    assert "warning: skipped image.md" in result.output
    assert "2 documents" in result.output
    assert "3 sources skipped" in result.output
    assert strict.exit_code == 1
    assert "3 sources skipped (--strict)" in strict.output


def test_cli_fails_when_every_file_failed(cli_corpus: Path) -> None:
    cli_corpus.mkdir()
    (cli_corpus / "only.md").write_bytes(b"\xff\xff\xff")

    result = runner.invoke(build_app(), ["rag", "index", "--no-progress"])

    assert result.exit_code == 1
    assert "all 1 sources failed, e.g. only.md: not valid UTF-8" in result.output
