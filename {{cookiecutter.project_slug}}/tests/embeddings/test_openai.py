"""The OpenAI-protocol embedder over HTTP (an in-memory transport; the wire test is in llm)."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import numpy as np
import pytest

from {{ cookiecutter.package_name }}.embeddings import OpenAIEmbedder, build_embedder

Handler = Callable[[httpx.Request], httpx.Response]


def _vectors(request: httpx.Request) -> httpx.Response:
    texts = json.loads(request.content)["input"]
    data = [{"index": i, "embedding": [3.0, 4.0, float(i)]} for i in range(len(texts))]
    return httpx.Response(200, json={"data": list(reversed(data))})


def _embedder(
    handler: Handler, *, api_key: str = "", batch_size: int = 32, max_retries: int = 2
) -> OpenAIEmbedder:
    return OpenAIEmbedder(
        "nomic-embed",
        base_url="http://embeddings.internal/v1/",
        api_key=api_key,
        batch_size=batch_size,
        max_retries=max_retries,
        transport=httpx.MockTransport(handler),
    )


def test_texts_are_sent_in_batches_and_come_back_in_order_normalised() -> None:
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return _vectors(request)

    embedder = _embedder(handler, api_key="k3y", batch_size=2)
    vectors = embedder.embed(["a", "b", "c"])
    assert embedder.name == "openai-nomic-embed"
    assert vectors.shape == (3, 3)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
    assert np.allclose(vectors[0], [0.6, 0.8, 0.0])
    assert embedder.dimension == 3
    assert [str(r.url) for r in requests] == ["http://embeddings.internal/v1/embeddings"] * 2
    assert [json.loads(r.content) for r in requests] == [
        {"model": "nomic-embed", "input": ["a", "b"]},
        {"model": "nomic-embed", "input": ["c"]},
    ]
    assert requests[0].headers["Authorization"] == "Bearer k3y"


def test_the_dimension_is_asked_once_and_no_texts_send_nothing() -> None:
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return _vectors(request)

    embedder = _embedder(handler)
    assert embedder.embed([]).shape == (0, 0)
    assert (embedder.dimension, embedder.dimension) == (3, 3)
    assert embedder.embed([]).shape == (0, 3)
    assert len(requests) == 1
    assert "Authorization" not in requests[0].headers


def test_rate_limits_are_retried_after_the_servers_delay() -> None:
    answers = iter([httpx.Response(429, headers={"Retry-After": "0"}), None])

    def handler(request: httpx.Request) -> httpx.Response:
        return next(answers) or _vectors(request)

    assert _embedder(handler, max_retries=1).embed(["a"]).shape == (1, 3)


def test_an_error_that_persists_is_raised_with_its_status() -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(503, headers={"Retry-After": "0"})

    with pytest.raises(httpx.HTTPStatusError, match="503"):
        _embedder(handler, max_retries=2).embed(["a"])
    assert len(calls) == 3


def test_a_client_error_is_not_retried() -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(401, json={"error": "bad key"})

    with pytest.raises(httpx.HTTPStatusError, match="401"):
        _embedder(handler, max_retries=2).embed(["a"])
    assert len(calls) == 1


def test_only_openais_own_api_falls_back_to_the_openai_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "from-env")
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return _vectors(request)

    OpenAIEmbedder(transport=httpx.MockTransport(handler)).embed(["a"])
    _embedder(handler).embed(["a"])
    assert str(seen[0].url) == "https://api.openai.com/v1/embeddings"
    assert seen[0].headers["Authorization"] == "Bearer from-env"
    assert "Authorization" not in seen[1].headers


def test_the_factory_passes_the_options_on() -> None:
    embedder = build_embedder("openai", model="", base_url="http://localhost:1/v1")
    assert isinstance(embedder, OpenAIEmbedder)
    assert embedder.name == "openai-text-embedding-3-small"
