"""MCP tools: a local stdio server's tools reach the executor through the guard."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    ToolCallPart,
    ToolReturnPart,
)
from pydantic_ai.models.function import AgentInfo

from {{ cookiecutter.package_name }}.agents.settings import MCPServerSettings

from .conftest import RunnerFactory, Script, respond

SERVER = MCPServerSettings(
    name="units",
    command=sys.executable,
    args=[str(Path(__file__).with_name("mcp_server.py"))],
    side_effects=False,
)


def test_executor_calls_an_mcp_tool(make_runner: RunnerFactory) -> None:
    offered: list[str] = []

    def executor(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        offered.extend(tool.name for tool in info.function_tools)
        returns = [
            part
            for message in messages
            if isinstance(message, ModelRequest)
            for part in message.parts
            if isinstance(part, ToolReturnPart)
        ]
        if "Write the final answer" in str(messages[0].parts[-1].content):  # type: ignore[union-attr]
            return respond(info, output="10 km is 6.21 miles.")
        if not returns:
            args = {"value": 10, "unit": "parsecs"}
            return ModelResponse(parts=[ToolCallPart("mcp_units_convert_units", args)])
        if returns[-1].outcome != "success":
            fixed = {"value": 10, "unit": "km"}
            return ModelResponse(parts=[ToolCallPart("mcp_units_convert_units", fixed)])
        return respond(info, output=str(returns[-1].content), evidence=["mcp_units_convert_units"])

    def planner(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        return respond(info, steps=[{"goal": "Convert 10 km to miles", "role": "executor"}])

    runner = make_runner(Script({"planner": planner, "executor": executor}), mcp_servers=[SERVER])
    record = asyncio.run(runner.arun("How many miles is 10 km?"))
    step = runner.store.steps(record.run_id)[1]
    assert "mcp_units_convert_units" in offered
    assert [c.outcome for c in step.tool_calls] == ["error", "ok"]  # tool error, then fixed
    assert "unknown unit" in step.tool_calls[0].result
    assert "6.21 miles" in step.output["output"]
    assert record.status == "succeeded"


def test_mcp_tools_need_approval_by_default(make_runner: RunnerFactory) -> None:
    def executor(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        if len(messages) == 1 and "Step 1" in str(messages[0].parts[-1].content):  # type: ignore[union-attr]
            args = {"value": 1, "unit": "km"}
            return ModelResponse(parts=[ToolCallPart("mcp_units_convert_units", args)])
        return respond(info, output="could not convert: refused")

    def planner(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        return respond(info, steps=[{"goal": "Convert 1 km", "role": "executor"}])

    server = SERVER.model_copy(update={"side_effects": True})
    runner = make_runner(Script({"planner": planner, "executor": executor}), mcp_servers=[server])
    record = asyncio.run(runner.arun("How many miles is 1 km?"))
    step = runner.store.steps(record.run_id)[1]
    assert [c.outcome for c in step.tool_calls] == ["denied"]


def test_an_mcp_server_that_cannot_start_fails_the_run_clearly(make_runner: RunnerFactory) -> None:
    broken = MCPServerSettings(name="gone", command="/nonexistent/mcp-server")
    record = asyncio.run(make_runner(mcp_servers=[broken]).arun("What is 1 + 1?"))
    assert record.status == "failed"
    assert record.failure is not None
    assert record.failure.kind == "error"
    assert record.steps == 0
