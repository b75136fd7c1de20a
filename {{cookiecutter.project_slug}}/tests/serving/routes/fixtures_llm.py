"""Fixtures of the LLM routes (loaded for the session by ``tests/conftest.py``): a fake model."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from {{ cookiecutter.package_name }}.llm import FakeOpenAIServer

# A model that can be built without a provider key. Nothing listens there: tests that call the
# model point LLM__BASE_URL at the fake server (fixture ``fake_llm``).
OFFLINE_LLM = {"LLM__MODEL": "fake-echo", "LLM__BASE_URL": "http://127.0.0.1:9/v1"}


@pytest.fixture(scope="session")
def fake_llm() -> Iterator[str]:
    """The llm pillar's fake OpenAI-protocol server; yields its base URL."""
    with FakeOpenAIServer() as server:
        yield str(server.base_url)


def pytest_service_environment(request: pytest.FixtureRequest, live: bool) -> dict[str, str]:
    """The service's LLM: the fake server for a live service, an offline model in process."""
    if not live:
        return dict(OFFLINE_LLM)
    return {"LLM__MODEL": "fake-echo", "LLM__BASE_URL": request.getfixturevalue("fake_llm")}
