"""LLM test fixtures: no real model request unless a test asks for the local fake server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic_ai import models

from {{ cookiecutter.package_name }}.llm.settings import LLMSettings
from {{ cookiecutter.package_name }}.llm.testing.fake_server import FakeOpenAIServer

PROJECT_ROOT = Path(__file__).resolve().parents[2]
KEY_VARIABLES = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "GOOGLE_API_KEY")


@pytest.fixture(autouse=True)
def block_model_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any request to a real provider fails the test; TestModel and FunctionModel still work."""
    monkeypatch.setattr(models, "ALLOW_MODEL_REQUESTS", False)
    for name in KEY_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def fake_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAIServer]:
    """A running fake OpenAI server on 127.0.0.1; model requests are allowed for this test."""
    monkeypatch.setattr(models, "ALLOW_MODEL_REQUESTS", True)
    with FakeOpenAIServer() as server:
        yield server


@pytest.fixture
def fake_settings(fake_server: FakeOpenAIServer) -> LLMSettings:
    """Settings pointing at the fake server, priced, with fast SDK retries."""
    return LLMSettings(
        model="fake-echo",
        base_url=fake_server.base_url,
        input_price_per_mtok=1.0,
        output_price_per_mtok=2.0,
        timeout_seconds=5,
    )
