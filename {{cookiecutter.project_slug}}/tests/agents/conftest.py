"""Agent test fixtures: no real model request; a fixed clock, fresh memory and a temporary store.

The agents pillar requires the LLM pillar, so its fixtures apply here too: real model requests
are blocked in every test (autouse), and ``fake_server`` serves the OpenAI protocol locally.
Workflow tests script each role with a ``FunctionModel``: :func:`respond` builds a role's typed
output, :class:`Script` counts calls per role and lets a test replace one role's behaviour.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic_ai.messages import ModelMessage, ModelResponse, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from {{ cookiecutter.package_name }}.agents._memory import NotesMemory
from {{ cookiecutter.package_name }}.agents._runner import AgentRunner
from {{ cookiecutter.package_name }}.agents._store import RunStore
from {{ cookiecutter.package_name }}.agents._tools import AgentDeps
from {{ cookiecutter.package_name }}.agents.settings import AgentsSettings
from {{ cookiecutter.package_name }}.agents.testing.scripted_roles import scripted_roles
from {{ cookiecutter.package_name }}.embeddings import HashingEmbedder

from ..llm.conftest import block_model_requests, fake_server  # noqa: F401 (shared fixtures)

NOON = datetime(2025, 1, 31, 12, 0, tzinfo=UTC)
RoleFn = Callable[[list[ModelMessage], AgentInfo], ModelResponse]


def respond(info: AgentInfo, **args: Any) -> ModelResponse:
    """The role's final, typed output (through pydantic-ai's output tool)."""
    return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, args)])


@dataclass
class Script:
    """Scripted roles (the offline defaults unless replaced) that count their model calls."""

    overrides: dict[str, RoleFn] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)

    def models(self) -> dict[str, FunctionModel]:
        defaults = scripted_roles()
        return {role: FunctionModel(self._counted(role, defaults[role])) for role in defaults}

    def _counted(self, role: str, default: FunctionModel) -> RoleFn:
        def call(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
            self.calls[role] = self.calls.get(role, 0) + 1
            function = self.overrides.get(role)
            if function is not None:
                return function(messages, info)
            assert default.function is not None
            response = default.function(messages, info)
            assert isinstance(response, ModelResponse)
            return response

        return call


RunnerFactory = Callable[..., AgentRunner]


@pytest.fixture
def deps() -> AgentDeps:
    return AgentDeps(memory=NotesMemory.with_defaults(), clock=lambda: NOON)


@pytest.fixture
def limits() -> AgentsSettings:
    return AgentsSettings(max_requests_per_step=4, max_tool_calls=5, max_seconds=30)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[RunStore]:
    runs = RunStore(tmp_path / "runs.sqlite")
    yield runs
    runs.close()


@pytest.fixture
def make_runner(store: RunStore) -> RunnerFactory:
    """``make_runner(script, tools=..., approver=..., **settings)``: a runner on the test store."""

    def make(script: Script | None = None, **kwargs: Any) -> AgentRunner:
        options = {k: kwargs.pop(k) for k in ("tools", "approver", "notes") if k in kwargs}
        return AgentRunner(
            AgentsSettings(**kwargs),
            models=(script or Script()).models(),
            store=store,
            embedder=HashingEmbedder(),
            clock=lambda: NOON,
            **options,
        )

    return make
