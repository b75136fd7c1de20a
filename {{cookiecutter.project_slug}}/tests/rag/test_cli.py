from __future__ import annotations

import itertools
import json
import sys
import tomllib
from importlib import resources
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from {{ cookiecutter.package_name }}.cli import build_app
from {{ cookiecutter.package_name }}.core.settings import ENV_PREFIX, get_settings
from {{ cookiecutter.package_name }}.rag import _api as api
from {{ cookiecutter.package_name }}.rag._lance_store import LanceStore
from {{ cookiecutter.package_name }}.rag._pg_store import PgVectorStore
from {{ cookiecutter.package_name }}.rag._pipeline import open_store, resolve_paths
from {{ cookiecutter.package_name }}.rag.cli import demo
from {{ cookiecutter.package_name }}.rag.settings import RAGSettings

from .conftest import LocalServer

runner = CliRunner()
RAG = f"{ENV_PREFIX}RAG__"
_tables = itertools.count()


@pytest.fixture(autouse=True)
def extractive_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    """CLI tests answer without a model (the grounded path is tested in test_answer)."""
    monkeypatch.setenv(f"{RAG}ANSWER_MODE", "extractive")


def test_index_search_ask_eval_from_the_command_line(tmp_path: Path) -> None:
    app = build_app()

    built = runner.invoke(app, ["rag", "index", "--no-progress"])
    again = runner.invoke(app, ["rag", "index", "--no-progress"])
    found = runner.invoke(app, ["rag", "search", "How long are backups kept?", "-k", "2"])
    filtered = runner.invoke(
        app, ["rag", "search", "approval", "--filter", "source=expense-rules.md"]
    )
    naive = runner.invoke(app, ["rag", "search", "backups", "--naive", "-k", "1"])
    asked = runner.invoke(app, ["rag", "ask", "What is the hotel cap in London?"])
    evaluated = runner.invoke(app, ["rag", "eval", "-k", "3"])

    assert built.exit_code == 0, built.output
    assert "index updated: 6 documents" in built.output
    assert "+6 new" in built.output
    assert "index unchanged" in again.output
    assert "0 chunks embedded" in again.output
    assert found.exit_code == 0, found.output
    assert "data-retention.md § Data retention > " in found.output
    assert filtered.output.count("expense-rules.md §") == filtered.output.count(" § ") > 0
    assert naive.exit_code == 0, naive.output
    assert asked.exit_code == 0, asked.output
    assert asked.output.startswith("[extractive] Extractive answer")
    assert "260 euros" in asked.output
    assert "expense-rules.md § Expense rules > Limits and approvals" in asked.output
    assert evaluated.exit_code == 0, evaluated.output
    assert "44 labelled questions" in evaluated.output
    assert "hybrid         recall@3" in evaluated.output
    assert "naive dense    recall@3" in evaluated.output
    assert resolve_paths().index_dir == tmp_path / "artifacts" / "rag" / "index"


def test_pgvector_is_chosen_by_settings_alone(
    monkeypatch: pytest.MonkeyPatch, postgres_dsn: str
) -> None:
    monkeypatch.setenv(f"{RAG}VECTOR_STORE", "pgvector")
    monkeypatch.setenv(f"{RAG}POSTGRES_DSN", postgres_dsn)
    monkeypatch.setenv(f"{RAG}TABLE_NAME", f"cli{next(_tables)}")

    built = runner.invoke(build_app(), ["rag", "index", "--no-progress"])
    hits = api.search("weekly allowance for being on call", k=2)
    store = open_store()

    assert built.exit_code == 0, built.output
    assert isinstance(store, PgVectorStore)
    store.close()
    assert hits[0].source == "on-call-policy.md"
    assert api.answer("How fast must the primary acknowledge a page?").mode == "extractive"


def test_generated_default_store_and_env_override(monkeypatch: pytest.MonkeyPatch) -> None:
    package = RAGSettings.__module__.rsplit(".", 1)[0]
    shipped = resources.files(package).joinpath("defaults.toml").read_text("utf-8")
    generated = tomllib.loads(shipped)["vector_store"]

    assert RAGSettings().vector_store == generated
    monkeypatch.setenv(f"{RAG}VECTOR_STORE", "lancedb")
    assert isinstance(open_store(), LanceStore)


def test_web_sources_from_settings_and_the_ssrf_guard(
    monkeypatch: pytest.MonkeyPatch, http_server: LocalServer
) -> None:
    url = http_server.route(
        "/faq", "<h1>Parking FAQ</h1><p>Visitor parking is on level minus two.</p>"
    )
    monkeypatch.setenv(f"{RAG}WEB_URLS", json.dumps([url]))

    refused = runner.invoke(build_app(), ["rag", "index", "--no-progress"])
    strict = runner.invoke(build_app(), ["rag", "index", "--no-progress", "--strict"])
    monkeypatch.setenv(f"{RAG}ALLOW_PRIVATE_URLS", "true")
    get_settings.cache_clear()
    allowed = runner.invoke(build_app(), ["rag", "index", "--no-progress"])

    # A refused URL is skipped with the reason; the files are still indexed.
    assert refused.exit_code == 0, refused.output
    assert f"warning: skipped {url}: refusing" in refused.output
    assert "allow_private_urls" in refused.output
    assert "6 documents" in refused.output
    assert "1 sources skipped" in refused.output
    assert strict.exit_code == 1
    assert allowed.exit_code == 0, allowed.output
    assert "7 documents" in allowed.output
    hits = api.search("where can visitors park?", k=1, filters={"kind": "web"})
    assert hits[0].source == url


def test_a_missing_embedder_extra_is_reported_with_the_fix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)  # import fails
    monkeypatch.setenv(f"{RAG}EMBEDDER", "sentence-transformers")

    result = runner.invoke(build_app(), ["rag", "index", "--no-progress"])

    assert result.exit_code == 1
    assert "uv sync --extra sentence-transformers" in result.output
    assert "Traceback" not in result.output


def test_errors_are_reported_cleanly(tmp_path: Path) -> None:
    app = build_app()
    no_index = runner.invoke(app, ["rag", "search", "backups"])
    no_corpus = runner.invoke(app, ["rag", "index", "--corpus", str(tmp_path / "nowhere")])
    bad_mode = runner.invoke(app, ["rag", "search", "backups", "--mode", "fuzzy"])
    bad_filter = runner.invoke(app, ["rag", "search", "backups", "--filter", "source"])

    assert no_index.exit_code == 1
    assert "no RAG index" in no_index.output
    assert "make rag-index" in no_index.output
    assert no_corpus.exit_code == 1
    assert "does not exist" in no_corpus.output
    assert bad_mode.exit_code != 0
    assert "mode must be hybrid, vector or text" in bad_mode.output
    assert bad_filter.exit_code != 0
    assert "key=value" in bad_filter.output


def test_unsupported_embedding_dim_is_rejected_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(f"{RAG}EMBEDDING_DIM", "100")

    with pytest.raises(ValidationError, match="embedding_dim must be one of"):
        resolve_paths()


def test_search_with_another_embedding_size_asks_for_a_rebuild(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert runner.invoke(build_app(), ["rag", "index", "--no-progress"]).exit_code == 0
    monkeypatch.setenv(f"{RAG}EMBEDDING_DIM", "64")
    get_settings.cache_clear()

    result = runner.invoke(build_app(), ["rag", "search", "backups"])

    assert result.exit_code == 1
    assert "built with embedder 'wordllama-l2_supercat-256'" in result.output
    assert "rebuild the index" in result.output


def test_demo_indexes_answers_and_evaluates(capsys: pytest.CaptureFixture[str]) -> None:
    demo()

    output = capsys.readouterr().out
    assert "rag: 6 documents" in output
    assert "on-call-policy.md § On-call policy > Response times" in output
    assert "expense-rules.md § Expense rules > Limits and approvals" in output
    assert "hybrid" in output
    assert "naive" in output
