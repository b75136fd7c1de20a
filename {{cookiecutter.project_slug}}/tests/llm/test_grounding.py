from __future__ import annotations

import json
from collections.abc import Callable

from prometheus_client import REGISTRY
from pydantic_ai.messages import ModelMessage, ModelResponse, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from {{ cookiecutter.package_name }}.llm import LLMClient, LLMSettings
from {{ cookiecutter.package_name }}.llm._grounding import (
    NOT_ENOUGH_INFORMATION,
    GroundedAnswer,
    Passage,
    check_citations,
    grounded_answer,
)

PASSAGES = [
    Passage(id="remote-1", text="Staff may work remotely three days a week.", source="hr.md"),
    Passage(id="office-1", text="The office closes on public holidays.", source="office.md"),
]
Answer = Callable[[list[ModelMessage], AgentInfo], ModelResponse]


def _scripted(*drafts: dict[str, object]) -> tuple[FunctionModel, list[int]]:
    calls: list[int] = []

    def answer(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        draft = drafts[min(len(calls), len(drafts) - 1)]
        calls.append(len(messages))
        return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, json.dumps(draft))])

    return FunctionModel(answer), calls


def _client(model: FunctionModel, **settings: object) -> LLMClient:
    return LLMClient(LLMSettings(**settings), model=model)


def test_valid_citations_are_kept() -> None:
    model, calls = _scripted({"answer": "Three days.", "citations": ["remote-1", "remote-1"]})
    result = grounded_answer("Remote days?", PASSAGES, client=_client(model))
    assert result == GroundedAnswer(answer="Three days.", citations=["remote-1"])
    assert len(calls) == 1


def test_unknown_ids_are_sent_back_and_corrected() -> None:
    model, calls = _scripted(
        {"answer": "Three days.", "citations": ["hr-99"]},
        {"answer": "Three days.", "citations": ["remote-1"]},
    )
    result = grounded_answer("Remote days?", PASSAGES, client=_client(model))
    assert result.citations == ["remote-1"]
    assert len(calls) == 2


def test_uncited_answers_that_never_improve_abstain_with_the_reason() -> None:
    model, calls = _scripted({"answer": "Three days.", "citations": []})
    result = grounded_answer("Remote days?", PASSAGES, client=_client(model, output_retries=1))
    assert result.abstained
    assert result.answer == NOT_ENOUGH_INFORMATION
    assert result.reason is not None
    assert "citation check" in result.reason
    assert len(calls) == 2


def test_the_model_may_abstain() -> None:
    model, _ = _scripted({"answer": "Parking is not covered.", "abstain": True})
    result = grounded_answer("Parking fee?", PASSAGES, client=_client(model))
    assert result.abstained
    assert result.reason is not None
    assert "Parking is not covered" in result.reason


def test_no_passages_abstains_without_calling_the_model() -> None:
    model, calls = _scripted({"answer": "x", "citations": ["remote-1"]})
    assert grounded_answer("Anything?", [], client=_client(model)).abstained
    assert calls == []


def test_self_consistency_rejects_disagreeing_samples() -> None:
    model, calls = _scripted(
        {"answer": "Three days.", "citations": ["remote-1"]},
        {"answer": "Holidays.", "citations": ["office-1"]},
    )
    client = _client(model, self_consistency_samples=3)
    result = grounded_answer("Remote days?", PASSAGES, client=client)
    assert result.abstained
    assert result.reason is not None
    assert "2 of 3 samples disagree" in result.reason
    assert len(calls) == 3


def test_self_consistency_accepts_agreeing_samples() -> None:
    model, calls = _scripted({"answer": "Three days.", "citations": ["remote-1"]})
    result = grounded_answer("Remote?", PASSAGES, client=_client(model, self_consistency_samples=2))
    assert not result.abstained
    assert len(calls) == 2


def _judge(faithful: bool) -> LLMClient:
    def answer(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        verdict = {"faithful": faithful, "reason": "checked against the passages"}
        return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, json.dumps(verdict))])

    return LLMClient(model=FunctionModel(answer))


def test_judge_can_veto_an_unfaithful_answer() -> None:
    model, _ = _scripted({"answer": "Five days.", "citations": ["remote-1"]})
    client = _client(model, judge_enabled=True)
    vetoed = grounded_answer("Remote?", PASSAGES, client=client, judge_client=_judge(False))
    assert vetoed.abstained
    assert vetoed.reason is not None
    assert "unfaithful" in vetoed.reason
    kept = grounded_answer("Remote?", PASSAGES, client=client, judge_client=_judge(True))
    assert kept.citations == ["remote-1"]


def test_check_citations_lists_every_problem() -> None:
    answer = GroundedAnswer(answer="x", citations=["remote-1", "ghost"])
    assert check_citations(answer, PASSAGES) == ["unknown passage id 'ghost'"]
    assert check_citations(GroundedAnswer(answer="x"), PASSAGES) == ["the answer cites no passage"]


def _abstentions(model: str, reason: str) -> float:
    labels = {"model": model, "reason": reason}
    return REGISTRY.get_sample_value("llm_abstentions_total", labels) or 0.0


def _answers(model: str) -> float:
    return REGISTRY.get_sample_value("llm_grounded_answers_total", {"model": model}) or 0.0


def test_answers_and_abstentions_are_counted_per_model_and_reason() -> None:
    model, _ = _scripted({"answer": "Parking is not covered.", "abstain": True})
    client = _client(model)
    name = client.resolved_model.model_name
    answers, insufficient = _answers(name), _abstentions(name, "insufficient_context")
    no_context = _abstentions(name, "no_context")
    grounded_answer("Parking fee?", PASSAGES, client=client)
    grounded_answer("Anything?", [], client=client)
    assert _answers(name) == answers + 2
    assert _abstentions(name, "insufficient_context") == insufficient + 1
    assert _abstentions(name, "no_context") == no_context + 1
    cited, _ = _scripted({"answer": "Three days.", "citations": ["remote-1"]})
    client = _client(cited)
    name = client.resolved_model.model_name
    before = _answers(name)
    assert not grounded_answer("Remote?", PASSAGES, client=client).abstained
    assert _answers(name) == before + 1
