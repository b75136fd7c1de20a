from __future__ import annotations

import importlib.util
import json

import httpx
import numpy as np
import pytest
from pydantic import SecretStr

from {{ cookiecutter.package_name }}.rag.embeddings import (
    OpenAIEmbedder,
    WordLlamaEmbedder,
    make_embedder,
    normalise,
)
from {{ cookiecutter.package_name }}.rag.settings import RAGSettings


def test_openai_compatible_endpoint_is_batched_normalised_and_authorised() -> None:
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        texts = json.loads(request.content)["input"]
        data = [{"index": i, "embedding": [3.0, 4.0, float(i)]} for i in range(len(texts))]
        return httpx.Response(200, json={"data": list(reversed(data))})

    settings = RAGSettings(
        embedder="openai",
        embedding_model="nomic-embed",
        embedding_base_url="http://embeddings.internal/v1/",
        embedding_api_key=SecretStr("k3y"),
        embed_batch_size=2,
    )
    embedder = OpenAIEmbedder(settings, transport=httpx.MockTransport(handler))

    vectors = embedder.embed(["a", "b", "c"])

    assert embedder.name == "openai-nomic-embed"
    assert vectors.shape == (3, 3)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
    assert np.allclose(vectors[0], [0.6, 0.8, 0.0])
    assert embedder.dimension == 3
    assert [str(r.url) for r in requests[:2]] == ["http://embeddings.internal/v1/embeddings"] * 2
    assert [json.loads(r.content)["input"] for r in requests[:2]] == [["a", "b"], ["c"]]
    assert requests[0].headers["Authorization"] == "Bearer k3y"


def test_factory_and_zero_vectors() -> None:
    assert isinstance(make_embedder(RAGSettings(embedding_dim=64)), WordLlamaEmbedder)
    assert make_embedder(RAGSettings(embedding_dim=64)).name == "wordllama-l2_supercat-64"
    assert np.array_equal(normalise([[0.0, 0.0]]), np.zeros((1, 2), dtype=np.float32))


@pytest.mark.skipif(
    importlib.util.find_spec("sentence_transformers") is not None,
    reason="sentence-transformers is installed (the extra)",
)
def test_missing_extra_names_the_fix() -> None:
    with pytest.raises(RuntimeError, match="uv sync --extra rerank"):
        make_embedder(RAGSettings(embedder="sentence-transformers"))
