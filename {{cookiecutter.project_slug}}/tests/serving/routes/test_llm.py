"""The OpenAI-compatible API, driven by the official ``openai`` SDK (llm pillar's fake upstream)."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

import httpx2
import pytest
from openai import APIError, APIStatusError, AsyncOpenAI, NotFoundError, OpenAI
from openai.types.chat import ChatCompletionMessageParam
from starlette.testclient import TestClient

from {{ cookiecutter.package_name }}.core.settings import ENV_PREFIX, get_settings
from {{ cookiecutter.package_name }}.llm import FakeOpenAIServer, LLMSettings, Scripted
from {{ cookiecutter.package_name }}.serving import _budgets as budgets
from {{ cookiecutter.package_name }}.serving._budgets import estimate_tokens
from {{ cookiecutter.package_name }}.serving.routes import llm as endpoints
from {{ cookiecutter.package_name }}.serving.service import asgi_app
from tests.conftest import PROJECT_ROOT

from ..conftest import API_KEY, AUTH, OTHER_KEY
from ..hostile import RAW_BODIES, Case, as_json

MESSAGES: list[ChatCompletionMessageParam] = [
    {"role": "system", "content": "Answer briefly."},
    {"role": "user", "content": "Say hello to the service"},
]


@pytest.fixture
def upstream(fake_llm: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Settings pointing the llm pillar at the fake server; a fresh answer cache."""
    monkeypatch.setenv(f"{ENV_PREFIX}LLM__BASE_URL", fake_llm)
    get_settings.cache_clear()
    endpoints._cache.cache_clear()
    yield fake_llm
    endpoints._cache.cache_clear()


def sdk() -> AsyncOpenAI:
    """The official async SDK talking to the in-process app."""
    transport = httpx2.ASGITransport(app=asgi_app())
    return AsyncOpenAI(
        base_url="http://testserver/v1",
        api_key=API_KEY,
        http_client=httpx2.AsyncClient(transport=transport, base_url="http://testserver"),
        max_retries=0,
    )


def test_sdk_lists_the_served_model(upstream: str) -> None:
    async def ids() -> list[str]:
        return [model.id async for model in sdk().models.list()]

    assert asyncio.run(ids()) == ["fake-echo"]


def test_sdk_chat_completion_with_usage_and_cache(upstream: str, client: TestClient) -> None:
    async def ask() -> tuple[str | None, int]:
        answer = await sdk().chat.completions.create(model="fake-echo", messages=MESSAGES)
        assert answer.usage is not None
        return answer.choices[0].message.content, answer.usage.total_tokens

    first, tokens = asyncio.run(ask())
    assert first
    assert tokens > 0
    second, cached_tokens = asyncio.run(ask())
    assert (second, cached_tokens) == (first, 0)
    metrics = client.get("/metrics").text
    assert 'serving_llm_cache_total{result="hit"}' in metrics
    assert "serving_llm_tokens_total" in metrics


def test_sdk_streams_deltas(upstream: str) -> None:
    async def stream() -> list[str]:
        chunks = await sdk().chat.completions.create(
            model="fake-echo",
            messages=MESSAGES,
            stream=True,
            temperature=0.7,
        )
        return [c.choices[0].delta.content or "" async for c in chunks if c.choices]

    parts = asyncio.run(stream())
    assert len(parts) >= 2
    assert "".join(parts)


def test_a_stream_cut_mid_way_is_charged_its_prompt_and_the_words_sent(upstream: str) -> None:
    """The client goes away after the first words: no usage arrives, the key is still charged."""
    day = budgets.DailyBudgets(budgets.MemoryCounters(), 100_000, None)
    chat = endpoints.ChatRequest.model_validate(
        {"model": "fake-echo", "messages": MESSAGES, "stream": True}
    )

    async def charged(events_read: int | None) -> tuple[int, str]:
        """What the key is charged for a stream read ``events_read`` events far (None: all)."""
        reservation = await day.reserve("key", budgets.Spend(5_000))
        events = endpoints.stream_events(chat, "fake-echo", settle=(day, reservation))
        read = [event async for event in events] if events_read is None else []
        for _ in range(events_read or 0):
            read.append(await anext(events))
        await events.aclose()  # what the server does when the client hangs up
        counter = day._names("key", reservation.day)[0]
        chunks = [json.loads(e.removeprefix("data: ")) for e in read if "chat.completion" in e]
        words = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks)
        return await day.counters.add(counter, 0), words

    cut, words = asyncio.run(charged(2))  # the role, then the model's first words
    before_the_model, _ = asyncio.run(charged(1))
    whole, _ = asyncio.run(charged(None))

    assert words
    prompt = estimate_tokens(chat.prompt_chars())
    assert cut == prompt + estimate_tokens(len(words))  # was 0: the reservation given back
    assert before_the_model - cut == 0  # the model was not asked yet: nothing charged
    assert whole - before_the_model > 0  # a whole stream: its usage, as the provider reports it
    endpoints._cache.cache_clear()


@pytest.mark.parametrize("stream", [False, True])
def test_a_failing_provider_is_a_502_that_says_which_failure(
    monkeypatch: pytest.MonkeyPatch, stream: bool
) -> None:
    with FakeOpenAIServer() as refusing:
        refusing.script(Scripted(status=401))
        monkeypatch.setenv(f"{ENV_PREFIX}LLM__BASE_URL", refusing.base_url)
        monkeypatch.setenv(f"{ENV_PREFIX}LLM__MAX_RETRIES", "0")
        get_settings.cache_clear()
        endpoints._cache.cache_clear()
        said = "the model provider refused the API key (fake-echo, HTTP 401)"
        if stream:

            async def first_error() -> str:
                chunks = await sdk().chat.completions.create(
                    model="fake-echo", messages=MESSAGES, stream=True
                )
                async for _ in chunks:
                    pass
                return ""

            with pytest.raises(APIError, match=re.escape(said)):
                asyncio.run(first_error())
        else:
            with pytest.raises(APIStatusError) as caught:
                asyncio.run(sdk().chat.completions.create(model="fake-echo", messages=MESSAGES))
            assert caught.value.status_code == 502
            assert said in caught.value.message
            assert "scripted 401" not in str(caught.value.body)
    endpoints._cache.cache_clear()


@dataclass(frozen=True)
class ProviderFailure:
    """An upstream failure and what the official SDK should see of it."""

    upstream: Scripted
    status: int
    said: str  # the category the message names
    code: str | None = None
    retry_after: str | None = None


PROVIDER_FAILURES = [
    ProviderFailure(Scripted(status=429), 503, "is rate limiting this key", retry_after="10"),
    ProviderFailure(Scripted(status=503), 503, "unavailable or overloaded", retry_after="10"),
    ProviderFailure(Scripted(status=500), 503, "failed with a server error", retry_after="10"),
    ProviderFailure(Scripted(status=404), 502, "does not know this model"),
    ProviderFailure(
        Scripted(status=400, code="context_length_exceeded"),
        400,
        "longer than the model's context window",
        code="context_length_exceeded",
    ),
]


@pytest.mark.parametrize("case", PROVIDER_FAILURES, ids=lambda case: str(case.upstream.status))
def test_each_provider_failure_gets_the_status_a_client_can_act_on(
    monkeypatch: pytest.MonkeyPatch, case: ProviderFailure
) -> None:
    """Busy or down: 503 with Retry-After (the SDKs retry it); too long: 400 (they do not)."""
    with FakeOpenAIServer() as failing:
        failing.script(case.upstream)
        monkeypatch.setenv(f"{ENV_PREFIX}LLM__BASE_URL", failing.base_url)
        monkeypatch.setenv(f"{ENV_PREFIX}LLM__MAX_RETRIES", "0")
        get_settings.cache_clear()
        endpoints._cache.cache_clear()
        with pytest.raises(APIStatusError) as caught:
            asyncio.run(sdk().chat.completions.create(model="fake-echo", messages=MESSAGES))
    failure = caught.value
    assert (failure.status_code, failure.code) == (case.status, case.code)
    assert failure.response.headers.get("retry-after") == case.retry_after
    assert case.said in failure.message
    assert "scripted" not in str(failure.body)  # the provider's words stay in the log
    endpoints._cache.cache_clear()


def test_a_provider_without_a_key_is_a_503_not_a_500(monkeypatch: pytest.MonkeyPatch) -> None:
    """A server started without the provider's key answers chat and /v1/models with a reason."""
    monkeypatch.setenv(f"{ENV_PREFIX}LLM__PROVIDER", "openai")
    monkeypatch.setenv(f"{ENV_PREFIX}LLM__MODEL", "gpt-4o-mini")
    monkeypatch.delenv(f"{ENV_PREFIX}LLM__BASE_URL", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    get_settings.cache_clear()
    endpoints._cache.cache_clear()

    async def first_page() -> object:
        return await sdk().models.list()

    try:
        with pytest.raises(APIStatusError) as chat:
            asyncio.run(sdk().chat.completions.create(model="gpt-4o-mini", messages=MESSAGES))
        with pytest.raises(APIStatusError) as listing:
            asyncio.run(first_page())
    finally:
        endpoints._cache.cache_clear()
    for refused in (chat.value, listing.value):
        assert refused.status_code == 503
        assert "the model provider is not configured on this server" in refused.message
        assert "OPENAI_API_KEY" not in refused.message, "setting names stay in the log"


def test_unknown_model_is_404_in_openai_shape(upstream: str) -> None:
    with pytest.raises(NotFoundError, match="not served"):
        asyncio.run(sdk().chat.completions.create(model="gpt-9", messages=MESSAGES))


@pytest.mark.parametrize(
    "body",
    [
        {"model": "fake-echo", "messages": []},
        {"model": "fake-echo", "messages": [{"role": "wizard", "content": "hi"}]},
        {"model": "fake-echo", "messages": [{"role": "user", "content": "hi"}], "n": 3},
        {"model": "fake-echo", "messages": [{"role": "user", "content": "hi"}], "temperature": 9},
        {"model": "fake-echo", "messages": [{"role": "assistant", "content": "last"}]},
        {"messages": [{"role": "user", "content": "hi"}]},
    ],
)
def test_invalid_chat_requests_are_422(client: TestClient, body: dict[str, object]) -> None:
    response = client.post("/v1/chat/completions", json=body)
    assert response.status_code == 422
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_chat_needs_an_api_key(anonymous: TestClient) -> None:
    assert anonymous.get("/v1/models").status_code == 401
    assert anonymous.get("/v1/models", headers=AUTH).status_code == 200


@pytest.mark.slow
def test_live_server_speaks_openai(live_server: str) -> None:
    client = OpenAI(base_url=f"{live_server}/v1", api_key=API_KEY, max_retries=0, timeout=30)
    assert [m.id for m in client.models.list().data] == ["fake-echo"]
    answer = client.chat.completions.create(model="fake-echo", messages=MESSAGES)
    assert answer.choices[0].message.content
    stream = client.chat.completions.create(model="fake-echo", messages=MESSAGES, stream=True)
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert text


USER = [{"role": "user", "content": "hello"}]


@pytest.fixture
def chat_budget(monkeypatch: pytest.MonkeyPatch, fake_llm: str) -> Iterator[None]:
    monkeypatch.setenv(f"{ENV_PREFIX}LLM__BASE_URL", fake_llm)
    monkeypatch.setenv(f"{ENV_PREFIX}SERVING__DAILY_TOKENS_PER_KEY", "1500")
    monkeypatch.setenv(f"{ENV_PREFIX}SERVING__LLM_CACHE_SIZE", "0")
    get_settings.cache_clear()
    budgets._budgets.cache_clear()
    endpoints._base_client.cache_clear()
    yield
    budgets._budgets.cache_clear()
    endpoints._base_client.cache_clear()


def test_chat_refuses_with_429_once_the_key_spent_its_day(
    chat_budget: None, client: TestClient
) -> None:
    model = endpoints.served_model()
    first = client.post(
        "/v1/chat/completions", json={"model": model, "messages": USER, "max_tokens": 1000}
    )
    assert first.status_code == 200, first.text  # reserved ~1,010 tokens, settled to what it used
    spent = first.json()["usage"]["total_tokens"]
    assert 0 < spent < 100
    # A request whose worst case (prompt estimate + max_tokens) is one token more than what
    # is left today is refused before the model is called; the same fits another key's day.
    prompt = estimate_tokens(endpoints.ChatRequest(model=model, messages=USER).prompt_chars())
    body = {"model": model, "messages": USER, "max_tokens": 1500 - spent - prompt + 1}
    refused = client.post("/v1/chat/completions", json=body)
    assert refused.status_code == 429, refused.text
    assert refused.json()["error"]["type"] == "insufficient_quota"
    assert "daily token budget" in refused.json()["error"]["message"]
    other = client.post(
        "/v1/chat/completions", json=body, headers={"authorization": f"Bearer {OTHER_KEY}"}
    )
    assert other.status_code == 200, other.text  # another key's budget is untouched


def test_reservations_are_priced_as_the_client_charges() -> None:
    """The provider's price list when it knows the model, else the llm settings' prices."""
    settings = LLMSettings(input_price_per_mtok=1.0, output_price_per_mtok=2.0)
    listed = endpoints.call_price(settings, "gpt-4o-mini", "openai", 1_000_000, 1_000_000)
    assert listed is not None  # OpenAI's list price (0.75 in 2025), not the settings' 3.0
    assert 0 < listed != pytest.approx(3.0)
    unlisted = endpoints.call_price(settings, "fake-echo", "openai", 1_000_000, 1_000_000)
    assert unlisted == pytest.approx(3.0)
    assert endpoints.call_price(LLMSettings(), "fake-echo", "openai", 10, 10) is None
    assert endpoints.call_price(settings, "", "", 1_000_000, 0) == pytest.approx(1.0)


def test_an_oversized_prompt_is_refused_before_the_model_is_called(
    chat_budget: None, client: TestClient
) -> None:
    big = [{"role": "user", "content": "word " * 60_000}]  # ~300 KB, far over 20k tokens
    response = client.post(
        "/v1/chat/completions", json={"model": endpoints.served_model(), "messages": big}
    )
    assert response.status_code == 413
    assert "LLM__MAX_TOKENS_PER_CALL" in response.json()["error"]["message"]


def chat_cases() -> list[Case]:
    """Malformed requests to /v1/chat/completions: each answers 4xx, never 5xx or a traceback."""
    cases: list[Case] = []
    chat: dict[str, object] = {
        "no-messages": {"model": "fake-echo"},
        "messages-string": {"model": "fake-echo", "messages": "hi"},
        "content-number": {"model": "fake-echo", "messages": [{"role": "user", "content": 1}]},
        "image-part": {
            "model": "fake-echo",
            "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}],
        },
        "stream-word": {
            "model": "fake-echo",
            "messages": [{"role": "user", "content": "a"}],
            "stream": "maybe",
        },
        "max-tokens-zero": {
            "model": "fake-echo",
            "messages": [{"role": "user", "content": "a"}],
            "max_tokens": 0,
        },
    }
    user = [{"role": "user", "content": "a"}]
    chat.update(
        {
            "unknown-field": {"model": "fake-echo", "messages": user, "tools": []},
            "unknown-model": {"model": "gpt-99", "messages": user},
            "messages-empty": {"model": "fake-echo", "messages": []},
            "messages-too-many": {"model": "fake-echo", "messages": user * 257},
            "role-unknown": {"model": "fake-echo", "messages": [{"role": "root", "content": "a"}]},
            "last-from-assistant": {
                "model": "fake-echo",
                "messages": [{"role": "assistant", "content": "a"}],
            },
            "n-two": {"model": "fake-echo", "messages": user, "n": 2},
            "temperature-high": {"model": "fake-echo", "messages": user, "temperature": 9},
            "max-tokens-huge": {"model": "fake-echo", "messages": user, "max_tokens": 10**30},
            "model-null": {"model": None, "messages": user},
            "content-null": {"model": "fake-echo", "messages": [{"role": "user", "content": None}]},
            "message-extra": {
                "model": "fake-echo",
                "messages": [{"role": "user", "content": "a", "secret": 1}],
            },
            "prompt-over-budget": {
                "model": "fake-echo",
                "messages": [{"role": "user", "content": [{"type": "text", "text": "x" * 99_000}]}],
                "max_tokens": 131_072,
            },
            "stream-options-word": {
                "model": "fake-echo",
                "messages": user,
                "stream_options": "yes",
            },
        }
    )
    path = "/v1/chat/completions"
    cases += [Case(f"chat/{n}", path, as_json(b)) for n, b in chat.items()]
    cases += [Case(f"chat/raw-{n}", path, b) for n, b in RAW_BODIES.items()]
    lone = b'{"model": "fake-echo", "messages": [{"role": "user", "content": "\\ud800"}]}'
    deep = b'{"model": "fake-echo", "messages": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    cases += [
        Case("chat/lone-surrogate-message", path, lone),
        Case("chat/deep-nesting", path, deep),
        Case("chat/key-in-query", f"{path}?api_key=test-key-0123456789abcdef", as_json({})),
        Case("models/post", "/v1/models", b"{}"),
    ]
    return cases


def test_info_lists_the_chat_route(client: TestClient) -> None:
    assert "/v1/chat/completions" in client.post("/info").json()["routes"]


def test_cache_settings_come_from_the_serving_section(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}SERVING__LLM_CACHE_SIZE", "3")
    monkeypatch.setenv(f"{ENV_PREFIX}SERVING__LLM_CACHE_TTL_S", "7.5")
    get_settings.cache_clear()
    endpoints._cache.cache_clear()
    cache = endpoints.answer_cache()
    endpoints._cache.cache_clear()
    assert (cache.max_entries, cache.ttl_s) == (3, 7.5)


def test_env_example_documents_the_route_settings() -> None:
    example = (PROJECT_ROOT / ".env.example").read_text(encoding="utf-8")
    for field in endpoints.ChatRouteSettings.model_fields:
        assert f"{ENV_PREFIX}SERVING__LLM_{field.upper()}=" in example


# Sent by tests/serving/test_bad_inputs.py with the service's own corpus (one app start).
HOSTILE_CASES = chat_cases()
