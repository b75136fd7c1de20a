from __future__ import annotations

import json

import pytest
from pydantic import BaseModel, SecretStr
from pydantic_ai.exceptions import UnexpectedModelBehavior, UserError
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.models.test import TestModel

from {{ cookiecutter.package_name }}.llm import LLMClient, LLMSettings, TokenUsage
from {{ cookiecutter.package_name }}.llm.client import build_model, model_settings


class City(BaseModel):
    name: str
    population: int


def test_base_url_builds_an_openai_compatible_model() -> None:
    settings = LLMSettings(model="openai:llama3", base_url="http://127.0.0.1:9/v1")
    model = build_model(settings)
    assert isinstance(model, OpenAIChatModel)
    assert model.model_name == "llama3"
    assert model.base_url.rstrip("/") == "http://127.0.0.1:9/v1"


def test_api_key_from_settings_reaches_the_provider() -> None:
    model = build_model(LLMSettings(api_key=SecretStr("sk-from-settings")))
    assert isinstance(model, OpenAIChatModel)
    assert model.client.api_key == "sk-from-settings"


def test_provider_without_a_key_fails_with_the_fix() -> None:
    with pytest.raises(UserError, match="OPENAI_API_KEY"):
        build_model(LLMSettings())


def test_model_settings_follow_the_section() -> None:
    settings = LLMSettings(timeout_seconds=5, max_retries=0, temperature=0.3, max_tokens=64)
    assert model_settings(settings) == {
        "timeout": 5,
        "max_retries": 0,
        "temperature": 0.3,
        "max_tokens": 64,
    }


def test_complete_returns_text_and_usage() -> None:
    client = LLMClient(model=TestModel(custom_output_text="Paris."))
    result = client.complete("Capital of France?")
    assert result.output == "Paris."
    assert result.usage.requests == 1
    assert result.usage.input_tokens > 0
    assert result.usage.output_tokens > 0
    assert result.model_name == "test"


def test_usage_accumulates_over_calls() -> None:
    client = LLMClient(model=TestModel(custom_output_text="ok"))
    first = client.complete("one")
    second = client.complete("two words")
    assert client.total_usage == first.usage + second.usage
    assert client.total_usage.requests == 2
    assert client.total_usage.total_tokens == (
        client.total_usage.input_tokens + client.total_usage.output_tokens
    )


def test_instructions_reach_the_model() -> None:
    def answer(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        return ModelResponse(parts=[TextPart(f"instructions={info.instructions}")])

    result = LLMClient(model=FunctionModel(answer)).complete("hi", instructions="Be terse.")
    assert result.output == "instructions=Be terse."


def test_structured_returns_a_validated_object() -> None:
    client = LLMClient(model=TestModel(custom_output_args={"name": "Lyon", "population": 522250}))
    result = client.structured("Biggest city near the Alps?", City)
    assert result.output == City(name="Lyon", population=522250)


def _city_call(args: dict[str, object], info: AgentInfo) -> ModelResponse:
    tool = info.output_tools[0].name
    return ModelResponse(parts=[ToolCallPart(tool, json.dumps(args))])


def test_invalid_structured_answer_is_sent_back_once() -> None:
    seen: list[int] = []

    def answer(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        seen.append(len(messages))
        if len(seen) == 1:
            return _city_call({"name": "Lyon", "population": "many"}, info)
        return _city_call({"name": "Lyon", "population": 522250}, info)

    result = LLMClient(model=FunctionModel(answer)).structured("city?", City)
    assert result.output.population == 522250
    assert result.usage.requests == 2


def test_answers_that_never_validate_raise() -> None:
    def answer(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        return _city_call({"name": "Lyon"}, info)

    client = LLMClient(LLMSettings(output_retries=1), model=FunctionModel(answer))
    with pytest.raises(UnexpectedModelBehavior, match="retries"):
        client.structured("city?", City)


def test_real_requests_are_blocked_in_tests() -> None:
    client = LLMClient(LLMSettings(model="any", base_url="http://127.0.0.1:9/v1"))
    with pytest.raises(RuntimeError, match="ALLOW_MODEL_REQUESTS"):
        client.complete("hi")


def test_token_usage_summary_reads_well() -> None:
    assert TokenUsage(1, 12, 5).summary() == "1 request, 12 in + 5 out tokens"
    assert TokenUsage(2, 1, 1).summary().startswith("2 requests")
