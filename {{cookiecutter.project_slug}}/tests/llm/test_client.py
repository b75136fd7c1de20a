from __future__ import annotations

import asyncio
import contextvars
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import REGISTRY
from pydantic import BaseModel
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.models.test import TestModel

from {{ cookiecutter.package_name }}.llm import (
    BudgetExceededError,
    LLMClient,
    LLMSettings,
    StructuredOutputError,
    TokenUsage,
    metered,
)
from {{ cookiecutter.package_name }}.llm._prompts import RenderedPrompt
from {{ cookiecutter.package_name }}.llm._usage import Budget
from {{ cookiecutter.package_name }}.monitoring.settings import MonitoringSettings
from {{ cookiecutter.package_name }}.monitoring.tracing import setup_tracing, shutdown_tracing


class City(BaseModel):
    name: str
    population: int


def _city_call(args: dict[str, object], info: AgentInfo) -> ModelResponse:
    return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, json.dumps(args))])


def _sample(name: str, labels: dict[str, str]) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_run_sync_returns_text_usage_and_cost() -> None:
    settings = LLMSettings(input_price_per_mtok=1.0, output_price_per_mtok=2.0)
    result = LLMClient(settings, model=TestModel(custom_output_text="Paris.")).run_sync("Capital?")
    assert result.output == "Paris."
    assert result.usage.requests == 1
    assert result.usage.input_tokens > 0
    expected = (result.usage.input_tokens * 1.0 + result.usage.output_tokens * 2.0) / 1e6
    assert result.usage.cost_usd == pytest.approx(expected)
    assert result.model_name == "test"
    assert not result.cached


def test_unpriced_models_have_unknown_cost() -> None:
    result = LLMClient(model=TestModel(custom_output_text="ok")).run_sync("hi")
    assert result.usage.cost_usd is None
    assert "$" not in result.usage.summary()


def test_usage_accumulates_over_calls() -> None:
    client = LLMClient(model=TestModel(custom_output_text="ok"))
    first = client.complete("one")
    second = client.complete("two words")
    assert client.total_usage == first.usage + second.usage
    assert client.total_usage.requests == 2


def test_run_is_awaitable() -> None:
    client = LLMClient(model=TestModel(custom_output_text="async ok"))
    assert asyncio.run(client.run("hi")).output == "async ok"


def test_run_sync_inside_an_event_loop_says_to_await() -> None:
    client = LLMClient(model=TestModel())

    async def inside() -> None:
        client.run_sync("hi")

    with pytest.raises(RuntimeError, match="await"):
        asyncio.run(inside())


def test_instructions_and_chat_messages_reach_the_model() -> None:
    seen: list[ModelMessage] = []

    def answer(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        seen.extend(messages)
        return ModelResponse(parts=[TextPart(f"instructions={info.instructions}")])

    chat = [
        {"role": "system", "content": "Be terse."},
        {"role": "user", "content": "hello"},
        {"role": "assistant", "content": "hi!"},
        {"role": "user", "content": "and now?"},
    ]
    result = LLMClient(model=FunctionModel(answer)).run_sync(chat, instructions="No emoji.")
    assert result.output == "instructions=Be terse.\n\nNo emoji."
    assert len(seen) == 3  # two history turns and the new request


def test_chat_must_end_with_the_user() -> None:
    with pytest.raises(ValueError, match="end with a user message"):
        LLMClient(model=TestModel()).run_sync([{"role": "assistant", "content": "hi"}])


def test_rendered_prompt_is_recorded_on_the_result() -> None:
    prompt = RenderedPrompt("greet", 3, "Say hello", system="You are kind.")
    result = LLMClient(model=TestModel(custom_output_text="hello")).run_sync(prompt)
    assert result.prompt == "greet@3"


def test_invalid_structured_answer_is_sent_back_for_correction() -> None:
    seen: list[int] = []

    def answer(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        seen.append(len(messages))
        if len(seen) == 1:
            return _city_call({"name": "Lyon", "population": "many"}, info)
        return _city_call({"name": "Lyon", "population": 522250}, info)

    result = LLMClient(model=FunctionModel(answer)).run_sync("city?", City)
    assert result.output == City(name="Lyon", population=522250)
    assert result.usage.requests == 2


def test_answers_that_never_validate_raise_a_typed_error() -> None:
    def answer(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        return _city_call({"name": "Lyon"}, info)

    client = LLMClient(LLMSettings(output_retries=1), model=FunctionModel(answer))
    with pytest.raises(StructuredOutputError, match="City"):
        client.structured("city?", City)


def test_per_call_token_limit_stops_the_call() -> None:
    client = LLMClient(LLMSettings(max_tokens_per_call=5), model=TestModel(custom_output_text="x"))
    with pytest.raises(BudgetExceededError, match="call limit"):
        client.run_sync("a prompt long enough to exceed five tokens in total")


def test_process_budget_refuses_calls_once_spent() -> None:
    budget = Budget(max_tokens=50)
    client = LLMClient(model=TestModel(custom_output_text="ok"), budget=budget)
    client.run_sync("first call spends tokens")
    assert budget.spent.total_tokens >= 50
    with pytest.raises(BudgetExceededError, match="MAX_TOTAL_TOKENS"):
        client.run_sync("second call")


def test_cost_budget_counts_priced_usage() -> None:
    settings = LLMSettings(input_price_per_mtok=1e6, output_price_per_mtok=0)
    budget = Budget(max_cost_usd=10.0)
    client = LLMClient(settings, model=TestModel(custom_output_text="ok"), budget=budget)
    client.run_sync("costly")
    with pytest.raises(BudgetExceededError, match="cost budget"):
        client.run_sync("again")


def test_a_meter_counts_the_calls_of_its_context_only() -> None:
    """What a service charges one request: its calls, in threads it starts too, not others'."""
    client = LLMClient(model=TestModel(custom_output_text="ok"))
    with metered() as spent:
        first = client.run_sync("one")
        with ThreadPoolExecutor(1) as pool:  # a worker thread running in a copy of the context
            second = pool.submit(contextvars.copy_context().run, client.run_sync, "two").result()
        outside = threading.Thread(target=client.run_sync, args=("not mine",))
        outside.start()  # a plain thread starts in an empty context: not counted
        outside.join()
        with metered() as inner:
            third = client.run_sync("three")
    assert spent() == first.usage + second.usage + third.usage
    assert inner() == third.usage
    assert spent().requests == 3
    client.run_sync("after the block")
    assert spent().requests == 3


def test_deterministic_calls_are_served_from_the_disk_cache(tmp_path: Path) -> None:
    calls: list[str] = []

    def answer(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        calls.append("x")
        return _city_call({"name": "Lyon", "population": len(calls)}, info)

    client = LLMClient(LLMSettings(cache_enabled=True), model=FunctionModel(answer))
    first = client.run_sync("city?", City)
    again = client.run_sync("city?", City)
    other = client.run_sync("another city?", City)
    assert again.output == first.output
    assert again.cached
    assert again.usage == TokenUsage()
    assert not other.cached
    assert len(calls) == 2
    assert (tmp_path / "artifacts/llm/cache/responses.sqlite").exists()


def test_sampled_calls_are_not_cached() -> None:
    settings = LLMSettings(cache_enabled=True, temperature=0.7)
    client = LLMClient(settings, model=TestModel(custom_output_text="ok"))
    client.run_sync("hi")
    assert not client.run_sync("hi").cached


def test_calls_are_counted_in_prometheus() -> None:
    labels = {"model": "test", "kind": "run", "outcome": "ok"}
    before = _sample("llm_calls_total", labels)
    tokens_before = _sample("llm_tokens_total", {"model": "test", "direction": "output"})
    result = LLMClient(model=TestModel(custom_output_text="one two")).run_sync("hi")
    assert _sample("llm_calls_total", labels) == before + 1
    tokens = _sample("llm_tokens_total", {"model": "test", "direction": "output"})
    assert tokens == tokens_before + result.usage.output_tokens


def test_failed_calls_are_counted_with_their_error() -> None:
    labels = {"model": "test", "kind": "run", "outcome": "BudgetExceededError"}
    before = _sample("llm_calls_total", labels)
    client = LLMClient(LLMSettings(max_tokens_per_call=1), model=TestModel())
    with pytest.raises(BudgetExceededError):
        client.run_sync("too long for one token")
    assert _sample("llm_calls_total", labels) == before + 1


def test_every_call_is_a_span() -> None:
    exporter = InMemorySpanExporter()
    setup_tracing(MonitoringSettings(), exporter=exporter, set_global=False)
    try:
        prompt = RenderedPrompt("greet", 2, "hello")
        LLMClient(model=TestModel(custom_output_text="hi")).run_sync(prompt)
    finally:
        shutdown_tracing()
    spans = [s for s in exporter.get_finished_spans() if s.name == "llm.run"]
    assert len(spans) == 1
    attributes = dict(spans[0].attributes or {})
    assert attributes["llm.prompt"] == "greet@2"
    assert attributes["gen_ai.request.model"] == "test"
    assert int(attributes["gen_ai.usage.output_tokens"]) > 0  # type: ignore[arg-type]


def test_real_requests_are_blocked_in_tests() -> None:
    client = LLMClient(LLMSettings(model="any", base_url="http://127.0.0.1:9/v1"))
    with pytest.raises(RuntimeError, match="ALLOW_MODEL_REQUESTS"):
        client.complete("hi")


def test_token_usage_summary_reads_well() -> None:
    assert TokenUsage(1, 12, 5).summary() == "1 request, 12 in + 5 out tokens"
    assert TokenUsage(2, 1, 1, 0.5).summary() == "2 requests, 1 in + 1 out tokens, $0.500000"
    assert (TokenUsage(1, 1, 1, None) + TokenUsage(1, 1, 1, 0.25)).cost_usd == 0.25


def test_repeated_chats_hit_the_cache() -> None:
    chat = [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "hello"},
        {"role": "user", "content": "again"},
    ]
    client = LLMClient(LLMSettings(cache_enabled=True), model=TestModel(custom_output_text="ok"))
    assert not client.run_sync(chat).cached
    assert client.run_sync(chat).cached
    assert not client.run_sync([*chat[:2], {"role": "user", "content": "other"}]).cached
