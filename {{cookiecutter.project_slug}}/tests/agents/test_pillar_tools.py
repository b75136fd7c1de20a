"""The RAG and ML pillars as tools (run only in projects that have those pillars)."""

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

from {{ cookiecutter.package_name }}.core.pillars import pillar_module

from .conftest import RunnerFactory, Script, respond


@dataclass
class FakeHit:
    """The fields of ``rag.api.Hit`` the tool reads."""

    text: str
    source: str
    title: str
    score: float


def _one_tool_step(role: str, tool: str, args: dict[str, Any]) -> Script:
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


def test_researcher_searches_the_rag_index(
    make_runner: RunnerFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = pillar_module("rag", "api")
    if api is None:
        pytest.skip("this project has no RAG pillar")
    asked: list[tuple[str, int]] = []

    def search(query: str, k: int = 5, filters: object = None) -> list[FakeHit]:
        asked.append((query, k))
        return [FakeHit("On-call rotates on Mondays.", "on-call.md", "On-call", 0.91)]

    monkeypatch.setattr(api, "search", search)
    script = _one_tool_step("researcher", "rag_search", {"query": "on-call rotation", "k": 2})
    runner = make_runner(script)
    record = asyncio.run(runner.arun("When does on-call rotate?"))
    step = runner.store.steps(record.run_id)[1]
    assert asked == [("on-call rotation", 2)]
    assert [c.outcome for c in step.tool_calls] == ["ok"]
    assert "On-call rotates on Mondays." in step.output["output"]
    assert '"source": "on-call.md"' in step.output["output"]


def test_executor_scores_records_with_the_ml_model(
    make_runner: RunnerFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = pillar_module("ml", "inference")
    if module is None:
        pytest.skip("this project has no ML pillar")
    inference: Any = module

    class FakePredictor:
        def predict(self, records: list[dict[str, object]]) -> list[Any]:
            return [
                inference.Prediction(probability=0.8, label=1, model_version="m:1") for _ in records
            ]

    monkeypatch.setattr(
        inference.Predictor, "load", classmethod(lambda cls, tag=None: FakePredictor())
    )
    records = [{"tenure_months": 3}]
    runner = make_runner(_one_tool_step("executor", "ml_predict", {"records": records}))
    record = asyncio.run(runner.arun("Will this customer churn?"))
    step = runner.store.steps(record.run_id)[1]
    assert [c.outcome for c in step.tool_calls] == ["ok"]
    assert '"probability": 0.8' in step.output["output"]


def test_pillar_tools_called_without_their_pillar_fail_clearly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from {{ cookiecutter.package_name }}.agents import toolbox  # noqa: PLC0415

    monkeypatch.setattr(toolbox, "pillar_module", lambda pillar, module: None)
    with pytest.raises(RuntimeError, match="RAG pillar is not installed"):
        toolbox.rag_search("on-call")
    with pytest.raises(RuntimeError, match="ML pillar is not installed"):
        toolbox.ml_predict([{"age": 30}])
