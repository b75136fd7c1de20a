"""README "Make it yours", agents row: your own tool (``AGENTS__TOOLS``) in an ``agent run``.

The tools live in a module of yours, here written to ``tmp_path``; the runner is built from the
settings exactly as ``agent run`` and the service build it, with scripted roles as the model.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from pydantic import ValidationError
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)
from pydantic_ai.models.function import AgentInfo
from typer.testing import CliRunner

from {{ cookiecutter.package_name }}.agents import AgentRunner, AgentsSettings
from {{ cookiecutter.package_name }}.agents._store import RunStore
from {{ cookiecutter.package_name }}.agents.cli import app
from {{ cookiecutter.package_name }}.agents.testing.scripted_roles import scripted_roles
from {{ cookiecutter.package_name }}.core.settings import ENV_PREFIX, get_settings
from {{ cookiecutter.package_name }}.embeddings import HashingEmbedder

from .conftest import NOON, Script, respond

SETTING = f"{ENV_PREFIX}AGENTS__TOOLS"
MY_TOOLS = '''
ORDERS = {"A-1001": "shipped on 2025-01-30"}
CANCELLED: list[str] = []


def order_status(order_id: str) -> str:
    """Where an order is: shipped, packed or unknown.

    Args:
        order_id: the order number, e.g. `A-1001`.
    """
    return ORDERS.get(order_id, "unknown order")


def cancel_order(order_id: str) -> str:
    """Cancel an order; this cannot be undone.

    Args:
        order_id: the order number, e.g. `A-1001`.
    """
    CANCELLED.append(order_id)
    return f"{order_id} cancelled"


def undocumented(order_id: str) -> str:
    return order_id


def calculate(expression: str) -> str:
    """Named like a built-in tool."""
    return expression
'''


@pytest.fixture
def my_tools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """An importable module ``my_tools`` of tool functions, as you would write one."""
    folder = tmp_path / "code"
    folder.mkdir()
    (folder / "my_tools.py").write_text(MY_TOOLS, encoding="utf-8")
    monkeypatch.syspath_prepend(str(folder))
    yield importlib.import_module("my_tools")
    sys.modules.pop("my_tools", None)


def _prompt(messages: list[ModelMessage]) -> str:
    first = messages[0].parts[-1]
    return (
        first.content
        if isinstance(first, UserPromptPart) and isinstance(first.content, str)
        else ""
    )


def _acts_on_the_order(tool: str) -> Script:
    """A planner giving one executor step, and an executor that calls ``tool`` on A-1001."""
    default_worker = scripted_roles()["executor"].function
    assert default_worker is not None

    def planner(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        step = {"goal": "Handle order A-1001", "role": "executor", "expected_output": "status"}
        return respond(info, steps=[step])

    def executor(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        returned = [
            part
            for message in messages
            if isinstance(message, ModelRequest)
            for part in message.parts
            if isinstance(part, ToolReturnPart)
        ]
        if "Write the final answer" in _prompt(messages) or returned:
            response = default_worker(messages, info)
            assert isinstance(response, ModelResponse)
            return response
        assert tool in {t.name for t in info.function_tools}, "your tool is offered"
        return ModelResponse(parts=[ToolCallPart(tool, {"order_id": "A-1001"})])

    return Script({"planner": planner, "executor": executor})


def _runner(script: Script, store: RunStore) -> AgentRunner:
    """What ``agent run`` builds: the settings from the environment (the model is scripted)."""
    get_settings.cache_clear()
    settings = get_settings().section("agents", AgentsSettings)
    return AgentRunner(
        settings,
        models=script.models(),
        store=store,
        embedder=HashingEmbedder(),
        clock=lambda: NOON,
    )


def test_agent_run_calls_your_tool_named_in_the_setting(
    my_tools: ModuleType, monkeypatch: pytest.MonkeyPatch, store: RunStore
) -> None:
    monkeypatch.setenv(SETTING, json.dumps(["my_tools:order_status"]))

    runner = _runner(_acts_on_the_order("order_status"), store)
    record = asyncio.run(runner.arun("Where is my order A-1001?"))

    assert record.status == "succeeded"
    calls = [call for step in store.steps(record.run_id) for call in step.tool_calls]
    assert [(call.tool, call.args, call.outcome) for call in calls] == [
        ("order_status", {"order_id": "A-1001"}, "ok")
    ]
    assert record.answer is not None
    assert "shipped on 2025-01-30" in record.answer
    described = runner.toolset.tools["order_status"].tool_def
    assert described.description is not None
    assert described.description.startswith("Where an order is")  # the docstring is the schema
    assert "order_status" in runner.role_toolsets["executor"].allow
    assert "order_status" not in runner.role_toolsets["researcher"].allow  # default: the executor


def test_a_side_effect_tool_of_yours_waits_for_approval(
    my_tools: ModuleType, monkeypatch: pytest.MonkeyPatch, store: RunStore
) -> None:
    entry = {"function": "my_tools:cancel_order", "side_effects": True}
    monkeypatch.setenv(SETTING, json.dumps([entry]))

    runner = _runner(_acts_on_the_order("cancel_order"), store)
    record = asyncio.run(runner.arun("Cancel order A-1001"))

    calls = [call for step in store.steps(record.run_id) for call in step.tool_calls]
    assert [(call.tool, call.outcome) for call in calls] == [("cancel_order", "denied")]
    assert my_tools.CANCELLED == []  # the default approval policy is deny


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("my_tools:undocumented", "my_tools:undocumented has no docstring"),
        ("my_tools:calculate", "is named 'calculate' like another tool"),
        ("my_tools:missing", "'my_tools' has no 'missing'"),
        ("not_written_yet:tool", "no module 'not_written_yet'"),
    ],
)
@pytest.mark.usefixtures("my_tools")
def test_agent_run_names_the_setting_when_a_tool_is_unusable(
    monkeypatch: pytest.MonkeyPatch, entry: str, message: str
) -> None:
    monkeypatch.setenv(SETTING, json.dumps([entry]))
    get_settings.cache_clear()

    result = CliRunner().invoke(app, ["run", "--scripted", "anything"])

    assert result.exit_code == 2
    assert SETTING in result.stderr
    assert message in result.stderr


def test_a_tool_entry_that_is_not_an_import_path_is_refused_by_name() -> None:
    with pytest.raises(ValidationError, match=r"tools\.0\.function\n.*not an import path"):
        AgentsSettings.model_validate({"tools": ["order_status"]})
