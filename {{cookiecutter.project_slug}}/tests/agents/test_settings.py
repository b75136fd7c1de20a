from __future__ import annotations

import pytest
from pydantic import ValidationError

from {{ cookiecutter.package_name }}.agents._agent import usage_limits
from {{ cookiecutter.package_name }}.agents.settings import AgentsSettings
from {{ cookiecutter.package_name }}.core.settings import ENV_PREFIX, load_settings


def test_environment_sets_the_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}AGENTS__MAX_REQUESTS_PER_STEP", "3")
    monkeypatch.setenv(f"{ENV_PREFIX}AGENTS__MAX_TOOL_CALLS", "7")
    settings = load_settings().section("agents", AgentsSettings)
    limits = usage_limits(settings)
    assert (limits.request_limit, limits.tool_calls_limit) == (3, 7)
    assert limits.total_tokens_limit == settings.max_total_tokens


def test_non_positive_step_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}AGENTS__MAX_STEPS", "0")
    with pytest.raises(ValidationError, match="max_steps"):
        load_settings()


def test_mcp_servers_and_allowlists_come_from_json(monkeypatch: pytest.MonkeyPatch) -> None:
    server = '[{"name": "files", "command": "uvx", "args": ["mcp-files", "/data"]}]'
    monkeypatch.setenv(f"{ENV_PREFIX}AGENTS__MCP_SERVERS", server)
    monkeypatch.setenv(f"{ENV_PREFIX}AGENTS__ROLE_TOOLS", '{"researcher": ["rag_search"]}')
    settings = load_settings().section("agents", AgentsSettings)
    assert settings.mcp_servers[0].args == ["mcp-files", "/data"]
    assert settings.mcp_servers[0].side_effects  # external tools need approval by default
    assert settings.role_tools == {"researcher": ["rag_search"]}
