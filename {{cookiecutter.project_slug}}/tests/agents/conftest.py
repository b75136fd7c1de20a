"""Agent test fixtures: no real model request; a fixed clock and fresh memory per test.

The agents pillar requires the LLM pillar, so its fixtures apply here too: real model requests
are blocked in every test (autouse), and ``fake_server`` serves the OpenAI protocol locally.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from {{ cookiecutter.package_name }}.agents.memory import NotesMemory
from {{ cookiecutter.package_name }}.agents.settings import AgentsSettings
from {{ cookiecutter.package_name }}.agents.tools import AgentDeps

from ..llm.conftest import block_model_requests, fake_server  # noqa: F401 (shared fixtures)

NOON = datetime(2025, 1, 31, 12, 0, tzinfo=UTC)


@pytest.fixture
def deps() -> AgentDeps:
    return AgentDeps(memory=NotesMemory.with_defaults(), clock=lambda: NOON)


@pytest.fixture
def limits() -> AgentsSettings:
    return AgentsSettings(max_steps=4, max_tool_calls=5, max_seconds=30)
