"""The agents x RAG bridge: the researcher searches the project's document index."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import pytest
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    ToolCallPart,
    ToolReturnPart,
)
from pydantic_ai.models.function import AgentInfo

from {{ cookiecutter.package_name }} import agents, rag
from {{ cookiecutter.package_name }}.agents._toolbox import build_toolset
from {{ cookiecutter.package_name }}.bridges import agents_rag

from .conftest import RunnerFactory, Script, respond


@dataclass
class FakeHit:
    """The fields of ``rag.Hit`` the tool reads."""

    text: str
    source: str
    title: str
    score: float


def one_tool_step(role: str, tool: str, args: dict[str, Any]) -> Script:
    """A plan of one step whose role calls ``tool`` once and answers with what it returned."""

    def planner(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        return respond(info, steps=[{"goal": f"Use {tool}", "role": role}])

    def worker(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        if "Write the final answer" in str(messages[0].parts[-1].content):  # type: ignore[union-attr]
            return respond(info, output="done")
        if len(messages) == 1:
            return ModelResponse(parts=[ToolCallPart(tool, args)])
        last = messages[-1]
        assert isinstance(last, ModelRequest)
        assert isinstance(last.parts[0], ToolReturnPart)
        return respond(info, output=str(last.parts[0].content))

    return Script({"planner": planner, role: worker})


def test_the_bridge_lends_rag_search_to_the_agents() -> None:
    assert agents_rag.rag_search in agents.PILLAR_TOOLS.all()
    tool = build_toolset().tools["rag_search"]
    assert tool.metadata is None  # read-only: no approval asked
    assert "document index" in (tool.description or "")


def test_researcher_searches_the_rag_index(
    make_runner: RunnerFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[tuple[str, int]] = []

    def search(query: str, k: int = 5, filters: object = None) -> list[FakeHit]:
        asked.append((query, k))
        return [FakeHit("On-call rotates on Mondays.", "on-call.md", "On-call", 0.91)]

    monkeypatch.setattr(rag, "search", search)
    script = one_tool_step("researcher", "rag_search", {"query": "on-call rotation", "k": 2})
    runner = make_runner(script)
    record = asyncio.run(runner.arun("When does on-call rotate?"))
    step = runner.store.steps(record.run_id)[1]
    assert asked == [("on-call rotation", 2)]
    assert [c.outcome for c in step.tool_calls] == ["ok"]
    assert "On-call rotates on Mondays." in step.output["output"]
    assert '"source": "on-call.md"' in step.output["output"]


def test_k_is_kept_between_one_and_ten(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[int] = []

    def search(query: str, k: int = 5, filters: object = None) -> list[FakeHit]:
        asked.append(k)
        return []

    monkeypatch.setattr(rag, "search", search)
    agents_rag.rag_search("x", k=0)
    agents_rag.rag_search("x", k=99)
    assert asked == [1, agents_rag.MAX_PASSAGES]
