"""``/search`` and ``/ask`` over an index of the shipped corpus built by the rag pillar."""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from {{ cookiecutter.package_name }} import rag
from {{ cookiecutter.package_name }}.core.settings import ENV_PREFIX, get_settings
from {{ cookiecutter.package_name }}.rag._pipeline import index_sources
from {{ cookiecutter.package_name }}.serving import _budgets as budgets
from {{ cookiecutter.package_name }}.serving import routes
from {{ cookiecutter.package_name }}.serving._budgets import estimate_tokens
from {{ cookiecutter.package_name }}.serving.routes import rag as endpoints
from {{ cookiecutter.package_name }}.serving.service import AIService

from ..conftest import _server_environment, free_port, serve
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


def _context() -> Any:
    """What a route reads of BentoML's request context (set by BentoML per request)."""
    return SimpleNamespace(response=SimpleNamespace(status_code=200, metadata={}))


def test_search_in_process(indexed: None) -> None:
    result = AIService().search(endpoints.SearchRequest(query="on-call rotation", k=3), _context())
    assert isinstance(result, endpoints.SearchResponse)
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


def test_without_an_index_search_and_ask_say_so(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}ARTIFACTS_DIR", str(tmp_path))
    get_settings.cache_clear()
    for path, body in (("/search", {"query": "anything"}), ("/ask", {"question": "anything"})):
        answer = client.post(path, json=body)
        assert answer.status_code == 503, path
        said = answer.json()
        assert said["error"] == (
            "no RAG index has been built on this server yet: build it with `rag index`"
        )
        assert said["request_id"] == answer.headers["x-request-id"]
        assert answer.headers["retry-after"] == str(endpoints.RETRY_AFTER_S)
        assert str(tmp_path) not in answer.text  # the server's paths stay in its log
    assert client.get("/readyz").status_code == 503


def test_an_index_of_another_embedder_is_503_with_the_reason(
    index_root: Path, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}ARTIFACTS_DIR", str(index_root))
    monkeypatch.setenv(f"{ENV_PREFIX}RAG__EMBEDDING_DIM", "64")  # built with 256
    get_settings.cache_clear()
    for path, body in (("/search", {"query": "anything"}), ("/ask", {"question": "anything"})):
        answer = client.post(path, json=body)
        assert answer.status_code == 503, path
        assert "built with another embedder" in answer.json()["error"]


@pytest.fixture
def one_token_a_day(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv(f"{ENV_PREFIX}SERVING__DAILY_TOKENS_PER_KEY", "1")
    get_settings.cache_clear()
    budgets._budgets.cache_clear()
    yield
    budgets._budgets.cache_clear()


# (the provider's status, the status /ask answers in grounded mode, its Retry-After)
MODEL_FAILURES = [(429, 503, str(endpoints.MODEL_RETRY_AFTER_S)), (401, 502, None)]


@pytest.mark.parametrize("case", MODEL_FAILURES, ids=lambda case: str(case[0]))
def test_ask_whose_model_fails_says_what_failed_never_a_500(
    indexed: None,
    client: TestClient,
    monkeypatch: pytest.MonkeyPatch,
    case: tuple[int, int, str | None],
) -> None:
    """``answer_mode=grounded``: 503 + Retry-After (busy) or 502; ``auto``: the quoted answer.

    Either way the caller reads what failed, never the provider's own words.
    """
    llm = pytest.importorskip(f"{rag.__name__.rsplit('.', 1)[0]}.llm", reason="/ask calls no model")
    upstream, status, retry_after = case
    question = {"question": "How long is data retained?"}
    with llm.FakeOpenAIServer() as failing:
        failing.script(*[llm.Scripted(status=upstream)] * 2)
        monkeypatch.setenv(f"{ENV_PREFIX}LLM__BASE_URL", failing.base_url)
        monkeypatch.setenv(f"{ENV_PREFIX}LLM__MAX_RETRIES", "0")
        monkeypatch.setenv(f"{ENV_PREFIX}RAG__ANSWER_MODE", "grounded")
        get_settings.cache_clear()
        grounded = client.post("/ask", json=question)
        monkeypatch.setenv(f"{ENV_PREFIX}RAG__ANSWER_MODE", "auto")
        get_settings.cache_clear()
        auto = client.post("/ask", json=question)
        assert len(failing.requests) == 2  # both asked the model

    assert grounded.status_code == status, grounded.text
    assert grounded.headers.get("retry-after") == retry_after
    said = grounded.json()
    assert said["error"].startswith("the model provider ")
    assert said["error"].endswith("; see the service log")
    assert said["request_id"] == grounded.headers["x-request-id"]
    assert auto.status_code == 200, auto.text
    answer = auto.json()
    assert answer["mode"] == "extractive"
    assert answer["reason"].startswith("LLM unavailable: the model provider ")
    assert "scripted" not in grounded.text + auto.text  # the fake provider's error body


def test_grounded_ask_without_a_configured_model_is_a_503_that_keeps_the_settings_in_the_log(
    indexed: None, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip(f"{rag.__name__.rsplit('.', 1)[0]}.llm", reason="/ask calls no model")
    monkeypatch.setenv(f"{ENV_PREFIX}LLM__PROVIDER", "openai")
    for name in (f"{ENV_PREFIX}LLM__BASE_URL", f"{ENV_PREFIX}LLM__MODEL", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)  # OpenAI's own API, and no key for it
    monkeypatch.setenv(f"{ENV_PREFIX}RAG__ANSWER_MODE", "grounded")
    get_settings.cache_clear()

    answer = client.post("/ask", json={"question": "How long is data retained?"})

    assert answer.status_code == 503, answer.text
    assert answer.json()["error"] == (
        "the model provider is not configured on this server; see the service log"
    )
    assert "API_KEY" not in answer.text
    assert "retry-after" not in answer.headers  # waiting will not set the key


@pytest.mark.usefixtures("indexed", "one_token_a_day")
def test_ask_is_budgeted_only_when_it_calls_a_model(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    if budgets.model_pricing() is not None:  # the llm pillar answers: it would spend tokens
        refused = client.post("/ask", json={"question": QUESTION})
        assert refused.status_code == 429, refused.text
        assert refused.json()["budget"] == "daily_tokens"
    monkeypatch.setenv(f"{ENV_PREFIX}RAG__ANSWER_MODE", "extractive")
    get_settings.cache_clear()
    for _ in range(2):  # extractive answers call no model: nothing to refuse
        answer = client.post("/ask", json={"question": QUESTION})
        assert answer.status_code == 200, answer.text
        assert answer.json()["mode"] == "extractive"


def _route(pillar: str) -> ModuleType | None:
    """The service's route module of ``pillar``, or ``None`` when the project has none."""
    name = f"{routes.__name__}.{pillar}"
    return importlib.import_module(name) if importlib.util.find_spec(name) else None


BUDGET_KEYS = {
    name: f"{name}-key-0123456789abcdef"
    for name in ("spender", "racer", "fresh-ask", "fresh-chat", "fresh-agents")
}
QUESTION = "How long is data retained?"


@dataclass
class BudgetServer:
    """A real ``bentoml serve`` whose keys have a daily budget of one grounded ``/ask``."""

    url: str
    llm: Any  # the llm pillar (imported only when the project has it)
    model: Any  # its FakeOpenAIServer, behind the service
    tokens: int  # the daily budget per key: the worst case of asking QUESTION

    def post(self, key: str, path: str, body: dict[str, Any]) -> httpx.Response:
        headers = {"authorization": f"Bearer {BUDGET_KEYS[key]}"}
        return httpx.post(f"{self.url}{path}", json=body, headers=headers, timeout=60)


@pytest.fixture(scope="module")
def budget_server(
    request: pytest.FixtureRequest,
    index_root: Path,
    redis_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[BudgetServer]:
    """The service over the indexed corpus, a fake model of its own and budgets in Redis."""
    llm = pytest.importorskip(f"{rag.__name__.rsplit('.', 1)[0]}.llm", reason="/ask calls no model")
    pricing = budgets.model_pricing()
    assert pricing is not None  # the llm route provides it when the service is built
    tokens = endpoints.ask_worst_case(QUESTION, pricing).tokens
    root = tmp_path_factory.mktemp("budget-server")
    port = free_port()
    with llm.FakeOpenAIServer() as model:
        env = _server_environment(request, root, port, model=False)  # scores nothing
        env.update(
            {
                f"{ENV_PREFIX}ARTIFACTS_DIR": str(index_root),
                f"{ENV_PREFIX}LLM__BASE_URL": model.base_url,
                f"{ENV_PREFIX}SERVING__API_KEYS": json.dumps(BUDGET_KEYS),
                f"{ENV_PREFIX}SERVING__DAILY_TOKENS_PER_KEY": str(tokens),
                f"{ENV_PREFIX}SERVING__RATE_LIMIT_BACKEND": "redis",
                f"{ENV_PREFIX}SERVING__REDIS_URL": redis_url,
                f"{ENV_PREFIX}SERVING__LLM_CACHE_SIZE": "0",
            }
        )
        with serve(env, root, port) as url:
            yield BudgetServer(url, llm, model, tokens)


def _chat(server: BudgetServer, key: str, worst_case: int, text: str = "hello") -> httpx.Response:
    """A chat request whose worst case (prompt estimate + max_tokens) is ``worst_case`` tokens."""
    messages = [{"role": "user", "content": text}]
    prompt = estimate_tokens(len(text) + len("user") + 4)
    body = {"model": "fake-echo", "messages": messages, "max_tokens": worst_case - prompt}
    return server.post(key, "/v1/chat/completions", body)


def _spenders() -> list[str]:
    """The model-spending endpoints of this project."""
    return ["ask", "chat"] + (["agents"] if _route("agents") is not None else [])


def _whole_day(server: BudgetServer, key: str, endpoint: str) -> httpx.Response:
    """A request to ``endpoint`` that needs exactly the key's whole day."""
    if endpoint == "ask":
        return server.post(key, "/ask", {"question": QUESTION})
    if endpoint == "chat":
        return _chat(server, key, server.tokens)
    agents = _route("agents")
    assert agents is not None
    # A run needs at least its first model call: the task's estimate, the role's prompt around
    # it and the most the model may generate (the llm setting max_tokens, 1024 by default).
    least = estimate_tokens(0) + agents.PROMPT_OVERHEAD_TOKENS + 1024
    return server.post(key, "/agent/runs", {"task": "t" * (3 * (server.tokens - least))})


@pytest.mark.slow
def test_a_key_that_spent_its_day_on_ask_is_refused_everywhere(budget_server: BudgetServer) -> None:
    """One budget per key and day, whichever endpoint spends it; other keys are untouched."""
    server = budget_server
    first = server.post("spender", "/ask", {"question": QUESTION})
    assert first.status_code == 200, first.text
    assert first.json()["mode"] == "grounded"  # the model answered: real tokens were spent
    calls = len(server.model.requests)

    refused = {endpoint: _whole_day(server, "spender", endpoint) for endpoint in _spenders()}

    assert {name: answer.status_code for name, answer in refused.items()} == dict.fromkeys(
        refused, 429
    )
    assert len(server.model.requests) == calls  # refused before the model was called
    for answer in refused.values():
        body = answer.json()
        assert body["budget"] == "daily_tokens"
        assert body["resets_at"].endswith("T00:00:00Z")  # the next UTC midnight
        assert body["request_id"] == answer.headers["x-request-id"]
        assert 0 < int(answer.headers["retry-after"]) <= 86_400
    assert "daily token budget" in refused["ask"].json()["error"]
    # The same requests, each on a key of its own that spent nothing today, go through.
    for endpoint in refused:
        answer = _whole_day(server, f"fresh-{endpoint}", endpoint)
        assert answer.status_code in {200, 202}, (endpoint, answer.text)
        if endpoint == "agents":  # let the run end: its model calls would mix with later tests'
            _wait_for_run(server, f"fresh-{endpoint}", answer.json()["status_url"])


def _wait_for_run(server: BudgetServer, key: str, url: str) -> None:
    headers = {"authorization": f"Bearer {BUDGET_KEYS[key]}"}
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        record = httpx.get(f"{server.url}{url}", headers=headers, timeout=30).json()
        if record["status"] not in {"pending", "running"}:
            return
        time.sleep(0.2)


def _racing(request: dict[str, Any]) -> bool:
    return any(str(m.get("content", "")).startswith("race ") for m in request["messages"])


@pytest.mark.slow
def test_concurrent_requests_cannot_reserve_more_than_the_day(budget_server: BudgetServer) -> None:
    """Twelve chat requests at once, each a quarter of the day, on a slow model: four get in."""
    server = budget_server
    quarter = server.tokens // 4
    server.model.script(*[server.llm.Scripted(delay=3.0) for _ in range(4)])
    calls = len(server.model.requests)

    async def race() -> list[int]:
        headers = {"authorization": f"Bearer {BUDGET_KEYS['racer']}"}
        async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=60) as client:
            bodies = []
            for n in range(12):
                text = f"race {n}"
                prompt = estimate_tokens(len(text) + len("user") + 4)
                messages = [{"role": "user", "content": text}]
                bodies.append(
                    {"model": "fake-echo", "messages": messages, "max_tokens": quarter - prompt}
                )
            answers = await asyncio.gather(
                *(client.post("/v1/chat/completions", json=body) for body in bodies)
            )
        return sorted(answer.status_code for answer in answers)

    if _route("llm") is None:
        pytest.skip("no chat route")
    statuses = asyncio.run(race())
    assert statuses == [200] * 4 + [429] * 8
    raced = [r for r in server.model.requests[calls:] if _racing(r)]
    assert len(raced) == 4  # the refused ones never reached the model


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
