from __future__ import annotations

import json

import pytest
from pydantic_ai import ModelRetry
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.models.test import TestModel

from {{ cookiecutter.package_name }}.llm import LLMClient
from {{ cookiecutter.package_name }}.llm._tasks import (
    classify_sentiment,
    explain,
    extract_final_answer,
    extract_ticket,
    solve_arithmetic,
)


def test_final_answer_is_extracted_from_the_last_line() -> None:
    solution = extract_final_answer("3 * 4 = 12\n12 + 1 = 13\nFinal answer: 1,013.5")
    assert solution.answer == 1013.5
    assert solution.reasoning == "3 * 4 = 12\n12 + 1 = 13"
    with pytest.raises(ModelRetry, match="Final answer"):
        extract_final_answer("it is probably 13")


def test_chain_of_thought_retries_when_the_final_line_is_missing() -> None:
    replies = iter(["It is 84.", "7 * 12 = 84\nFinal answer: 84"])

    def answer(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        return ModelResponse(parts=[TextPart(next(replies))])

    result = solve_arithmetic(LLMClient(model=FunctionModel(answer)), "7 boxes of 12?")
    assert result.output.answer == 84
    assert result.usage.requests == 2
    assert result.prompt == "solve_arithmetic@1"


def test_zero_and_few_shot_tasks_return_typed_answers() -> None:
    def answer(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        schema = info.output_tools[0].parameters_json_schema["properties"]
        args = (
            {"sentiment": "negative", "summary": "Crashes."}
            if "sentiment" in schema
            else {"team": "engineering", "priority": "urgent"}
        )
        return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, json.dumps(args))])

    client = LLMClient(model=FunctionModel(answer))
    sentiment = classify_sentiment(client, "It crashes.")
    assert (sentiment.output.sentiment, sentiment.prompt) == ("negative", "classify_sentiment@1")
    ticket = extract_ticket(client, "Site down!")
    assert (ticket.output.team, ticket.output.priority) == ("engineering", "urgent")


def test_role_based_prompt_sends_the_persona_as_instructions() -> None:
    seen: list[str | None] = []

    def answer(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        seen.append(info.instructions)
        return ModelResponse(parts=[TextPart("Salt makes food tasty.")])

    result = explain(LLMClient(model=FunctionModel(answer)), "salt", role="a chef", audience="kids")
    assert result.output == "Salt makes food tasty."
    assert seen[0] is not None
    assert "You are a chef" in seen[0]
    assert explain(LLMClient(model=TestModel()), "x").prompt == "explain_as_role@1"
