"""LLM test fixtures: no real model request unless a test asks for the local fake server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic_ai import models

from {{ cookiecutter.package_name }}.llm.fake_server import FakeOpenAIServer


@pytest.fixture(autouse=True)
def block_model_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any request to a real provider fails the test; TestModel and FunctionModel still work."""
    monkeypatch.setattr(models, "ALLOW_MODEL_REQUESTS", False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)


@pytest.fixture
def fake_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAIServer]:
    """A running fake OpenAI server on 127.0.0.1; model requests are allowed for this test."""
    monkeypatch.setattr(models, "ALLOW_MODEL_REQUESTS", True)
    with FakeOpenAIServer() as server:
        yield server
