"""``/search`` and ``/ask`` over an index of the shipped corpus built by the rag pillar."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from {{ cookiecutter.package_name }}.core.settings import ENV_PREFIX, get_settings
from {{ cookiecutter.package_name }}.rag._pipeline import index_sources
from {{ cookiecutter.package_name }}.serving.routes import rag as endpoints
from {{ cookiecutter.package_name }}.serving.service import AIService

from ..hostile import RAW_BODIES, Case, as_json


@pytest.fixture(scope="module")
def index_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Artifacts folder holding an index of the shipped corpus (built once per module)."""
    root = tmp_path_factory.mktemp("rag-artifacts")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(f"{ENV_PREFIX}ARTIFACTS_DIR", str(root))
        get_settings.cache_clear()
        report = index_sources()
        get_settings.cache_clear()
    assert report
    return root


@pytest.fixture
def indexed(index_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}ARTIFACTS_DIR", str(index_root))
    get_settings.cache_clear()


def test_search_in_process(indexed: None) -> None:
    result = AIService().search(endpoints.SearchRequest(query="on-call rotation", k=3))
    assert 1 <= len(result.hits) <= 3
    assert all(hit.source for hit in result.hits)


def test_search_and_ask_over_http(indexed: None, client: TestClient) -> None:
    search = client.post("/search", json={"query": "How long is data retained?", "k": 2})
    assert search.status_code == 200, search.text
    hits = search.json()["hits"]
    assert len(hits) == 2
    assert {"chunk_id", "doc_id", "text", "source", "title", "section", "score"} <= set(hits[0])
    ask = client.post("/ask", json={"question": "How long is data retained?"})
    assert ask.status_code == 200, ask.text
    body = ask.json()
    assert body["mode"] in {"grounded", "extractive"}
    assert isinstance(body["citations"], list)
    assert "serving_retrieval_seconds_bucket" in client.get("/metrics").text


@pytest.mark.parametrize(
    "body",
    [{"query": ""}, {"query": "x", "k": 0}, {"query": "x", "k": 500}, {"q": "x"}, {"query": 3}],
)
def test_invalid_search_is_422(client: TestClient, body: dict[str, object]) -> None:
    assert client.post("/search", json=body).status_code == 422


def test_without_an_index_search_is_503_and_not_ready(client: TestClient) -> None:
    assert client.post("/search", json={"query": "anything"}).status_code == 503
    assert client.post("/ask", json={"question": "anything"}).status_code == 503
    assert client.get("/readyz").status_code == 503


def search_cases() -> list[Case]:
    """Malformed requests to /search and /ask: each answers 4xx, never 5xx, never a traceback."""
    cases: list[Case] = []
    search: dict[str, object] = {
        "query-number": {"query": 5},
        "k-word": {"query": "a", "k": "many"},
        "filters-list": {"query": "a", "filters": ["x"]},
        "filter-nested": {"query": "a", "filters": {"source": {"x": 1}}},
        "query-too-long": {"query": "q" * 5000},
        "query-empty": {"query": ""},
        "query-null": {"query": None},
        "k-zero": {"query": "a", "k": 0},
        "k-huge": {"query": "a", "k": 10**30},
        "k-fraction": {"query": "a", "k": 2.5},
        "unknown-field": {"query": "a", "rerank": True},
        "filters-number": {"query": "a", "filters": {"source": 1}},
        "filters-string": {"query": "a", "filters": "source=x"},
    }
    ask: dict[str, object] = {
        "empty": {"question": ""},
        "question-number": {"question": 1},
        "question-null": {"question": None},
        "question-too-long": {"question": "q" * 5000},
        "unknown-field": {"question": "a", "k": 3},
        "misspelt": {"query": "a"},
    }
    cases += [Case(f"search/{n}", "/search", as_json(b)) for n, b in search.items()]
    cases += [Case(f"ask/{n}", "/ask", as_json(b)) for n, b in ask.items()]
    cases += [Case(f"search/raw-{n}", "/search", b) for n, b in RAW_BODIES.items()]
    cases += [Case(f"ask/raw-{n}", "/ask", b) for n, b in list(RAW_BODIES.items())[:10]]
    return cases


# Sent by tests/serving/test_bad_inputs.py with the service's own corpus (one app start).
HOSTILE_CASES = search_cases()
