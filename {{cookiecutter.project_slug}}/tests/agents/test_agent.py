from __future__ import annotations

import asyncio

import pytest
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
)
from pydantic_ai.models.function import AgentInfo, FunctionModel

from {{ cookiecutter.package_name }}.agents import (
    AgentDeps,
    AgentLimitExceededError,
    AgentsSettings,
    build_agent,
    run_agent,
)
from {{ cookiecutter.package_name }}.core.settings import ENV_PREFIX
from {{ cookiecutter.package_name }}.llm import FakeOpenAIServer


def _returns(messages: list[ModelMessage], outcome: str = "success") -> list[ToolReturnPart]:
    last = messages[-1]
    parts = last.parts if isinstance(last, ModelRequest) else []
    return [p for p in parts if isinstance(p, ToolReturnPart) and p.outcome == outcome]


def test_tool_calls_then_answer(deps: AgentDeps, limits: AgentsSettings) -> None:
    def model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        returns = _returns(messages)
        if not returns:
            return ModelResponse(
                parts=[
                    ToolCallPart("calculate", {"expression": "6 * 7"}),
                    ToolCallPart("current_time", {}),
                ]
            )
        values = ", ".join(str(part.content) for part in returns)
        return ModelResponse(parts=[TextPart(f"results: {values}")])

    agent = build_agent(FunctionModel(model), limits)
    result = run_agent("6 times 7, and the time?", agent=agent, deps=deps, settings=limits)
    assert result.answer == "results: 42, 2025-01-31T12:00:00+00:00"
    assert result.steps == 2
    assert [(c.tool, c.args, c.result, c.ok) for c in result.tool_calls] == [
        ("calculate", {"expression": "6 * 7"}, "42", True),
        ("current_time", {}, "2025-01-31T12:00:00+00:00", True),
    ]
    assert result.usage.requests == 2


def test_notes_are_memory_kept_in_deps(deps: AgentDeps, limits: AgentsSettings) -> None:
    def model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        if len(messages) == 1:
            return ModelResponse(parts=[ToolCallPart("save_note", {"note": "Beta ships in May."})])
        if len(messages) == 3:
            return ModelResponse(parts=[ToolCallPart("search_notes", {"query": "beta ships"})])
        return ModelResponse(parts=[TextPart("noted")])

    agent = build_agent(FunctionModel(model), limits)
    result = run_agent("remember the beta date", agent=agent, deps=deps, settings=limits)
    assert deps.memory.notes[-1] == "Beta ships in May."
    assert "Beta ships in May." in result.tool_calls[1].result


def test_division_by_zero_goes_back_to_the_model(deps: AgentDeps, limits: AgentsSettings) -> None:
    def model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        if _returns(messages, "retried"):
            return ModelResponse(parts=[ToolCallPart("calculate", {"expression": "1 / 4"})])
        if _returns(messages):
            return ModelResponse(parts=[TextPart("one quarter")])
        return ModelResponse(parts=[ToolCallPart("calculate", {"expression": "1 / 0"})])

    agent = build_agent(FunctionModel(model), limits)
    result = run_agent("divide", agent=agent, deps=deps, settings=limits)
    assert result.answer == "one quarter"
    failed, fixed = result.tool_calls
    assert not failed.ok
    assert "divides by zero" in failed.result
    assert (fixed.result, fixed.ok) == ("0.25", True)


def test_unknown_tool_and_bad_arguments_go_back_to_the_model(
    deps: AgentDeps, limits: AgentsSettings
) -> None:
    def model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        if len(messages) == 1:
            return ModelResponse(
                parts=[ToolCallPart("shell", {"cmd": "ls"}), ToolCallPart("calculate", {})]
            )
        return ModelResponse(parts=[TextPart("gave up")])

    agent = build_agent(FunctionModel(model), limits)
    result = run_agent("break things", agent=agent, deps=deps, settings=limits)
    assert result.answer == "gave up"
    assert [(c.tool, c.ok) for c in result.tool_calls] == [("shell", False), ("calculate", False)]
    assert "shell" in result.tool_calls[0].result


def test_endless_tool_loop_is_stopped(deps: AgentDeps) -> None:
    def model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        return ModelResponse(parts=[ToolCallPart("current_time", {})])

    limits = AgentsSettings(max_requests_per_step=3, max_tool_calls=100)
    agent = build_agent(FunctionModel(model), limits)
    with pytest.raises(AgentLimitExceededError, match=r"request_limit of 3.*max_requests_per_step"):
        run_agent("loop", agent=agent, deps=deps, settings=limits)


def test_tool_call_limit_is_enforced(deps: AgentDeps) -> None:
    def model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        return ModelResponse(
            parts=[ToolCallPart("calculate", {"expression": "1+1"}) for _ in range(3)]
        )

    limits = AgentsSettings(max_requests_per_step=50, max_tool_calls=4)
    agent = build_agent(FunctionModel(model), limits)
    with pytest.raises(AgentLimitExceededError, match="tool_calls_limit"):
        run_agent("loop", agent=agent, deps=deps, settings=limits)


def test_wall_clock_limit_is_enforced(deps: AgentDeps) -> None:
    async def model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        await asyncio.sleep(60)
        return ModelResponse(parts=[TextPart("too late")])

    limits = AgentsSettings(max_seconds=0.05)
    agent = build_agent(FunctionModel(model), limits)
    with pytest.raises(AgentLimitExceededError, match=r"no answer within 0\.05 s"):
        run_agent("wait", agent=agent, deps=deps, settings=limits)


def test_default_model_comes_from_the_llm_settings(
    fake_server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}LLM__MODEL", "fake-echo")
    monkeypatch.setenv(f"{ENV_PREFIX}LLM__BASE_URL", fake_server.base_url)
    monkeypatch.setenv(f"{ENV_PREFIX}LLM__MAX_TOKENS", "99")
    result = run_agent("hello agent")
    sent = fake_server.requests[-1]
    assert result.answer == "echo: hello agent"
    assert result.steps == 1
    assert {t["function"]["name"] for t in sent["tools"]} == {
        "calculate",
        "current_time",
        "search_notes",
        "save_note",
    }
    assert 99 in (sent.get("max_tokens"), sent.get("max_completion_tokens"))
