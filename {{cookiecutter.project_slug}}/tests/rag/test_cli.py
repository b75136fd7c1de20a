from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from {{ cookiecutter.package_name }}.core.cli import build_app
from {{ cookiecutter.package_name }}.core.settings import ENV_PREFIX, get_settings
from {{ cookiecutter.package_name }}.rag.cli import demo
from {{ cookiecutter.package_name }}.rag.index import read_manifest
from {{ cookiecutter.package_name }}.rag.pipeline import resolve_paths

runner = CliRunner()


def test_index_then_search_from_the_command_line(tmp_path: Path) -> None:
    app = build_app()

    built = runner.invoke(app, ["rag", "index"])
    again = runner.invoke(app, ["rag", "index"])
    found = runner.invoke(app, ["rag", "search", "How long are backups kept?", "--top-k", "2"])

    assert built.exit_code == 0, built.output
    assert "index built: 6 documents" in built.output
    assert "index unchanged" in again.output
    assert found.exit_code == 0, found.output
    assert "data-retention.md § Data retention > " in found.output
    assert resolve_paths().index_dir == tmp_path / "artifacts" / "rag" / "index"


def test_search_without_index_explains_how_to_build_it() -> None:
    result = runner.invoke(build_app(), ["rag", "search", "backups"])

    assert result.exit_code == 1
    assert "no RAG index" in result.output
    assert "make rag-index" in result.output


def test_index_of_missing_corpus_fails_cleanly(tmp_path: Path) -> None:
    result = runner.invoke(build_app(), ["rag", "index", "--corpus", str(tmp_path / "nowhere")])

    assert result.exit_code == 1
    assert "does not exist" in result.output


def test_search_rejects_unknown_mode() -> None:
    result = runner.invoke(build_app(), ["rag", "search", "backups", "--mode", "fuzzy"])

    assert result.exit_code != 0
    assert "mode must be hybrid, vector or text" in result.output


def test_settings_from_environment_change_the_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}RAG__INDEX_DIR", str(tmp_path / "idx"))
    monkeypatch.setenv(f"{ENV_PREFIX}RAG__CHUNK_MAX_TOKENS", "40")
    monkeypatch.setenv(f"{ENV_PREFIX}RAG__CHUNK_OVERLAP_TOKENS", "8")

    result = runner.invoke(build_app(), ["rag", "index"])

    assert result.exit_code == 0, result.output
    manifest = read_manifest(tmp_path / "idx")
    assert manifest is not None
    assert manifest.chunks > 40


def test_demo_indexes_and_answers_with_citations(capsys: pytest.CaptureFixture[str]) -> None:
    demo()

    output = capsys.readouterr().out
    assert "indexed 6 documents" in output
    assert "on-call-policy.md § On-call policy > Response times" in output
    assert "expense-rules.md § Expense rules > Limits and approvals" in output


def test_unsupported_embedding_dim_is_rejected_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}RAG__EMBEDDING_DIM", "100")

    with pytest.raises(ValidationError, match="embedding_dim must be one of"):
        resolve_paths()


def test_search_with_another_embedding_size_asks_for_a_rebuild(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert runner.invoke(build_app(), ["rag", "index"]).exit_code == 0
    monkeypatch.setenv(f"{ENV_PREFIX}RAG__EMBEDDING_DIM", "64")
    get_settings.cache_clear()

    result = runner.invoke(build_app(), ["rag", "search", "backups"])

    assert result.exit_code == 1
    assert "built with embedder 'wordllama-l2_supercat-256'" in result.output
    assert "rebuild the index" in result.output
