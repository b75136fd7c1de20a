"""Agent test fixtures: no real model request; a fixed clock and fresh memory per test."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic_ai import models

from {{ cookiecutter.package_name }}.agents.memory import NotesMemory
from {{ cookiecutter.package_name }}.agents.settings import AgentsSettings
from {{ cookiecutter.package_name }}.agents.tools import AgentDeps

NOON = datetime(2025, 1, 31, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def block_model_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(models, "ALLOW_MODEL_REQUESTS", False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)


@pytest.fixture
def deps() -> AgentDeps:
    return AgentDeps(memory=NotesMemory.with_defaults(), clock=lambda: NOON)


@pytest.fixture
def limits() -> AgentsSettings:
    return AgentsSettings(max_steps=4, max_tool_calls=5, max_seconds=30)
