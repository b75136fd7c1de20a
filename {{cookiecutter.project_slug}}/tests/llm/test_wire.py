"""The real OpenAI SDK path over HTTP against the local fake server."""

from __future__ import annotations

import asyncio
import time
from typing import Literal

import pytest
from pydantic import BaseModel
from pydantic_ai.exceptions import ModelAPIError

from {{ cookiecutter.package_name }}.embeddings import OpenAIEmbedder
from {{ cookiecutter.package_name }}.llm import FakeOpenAIServer, LLMClient, LLMSettings, Scripted, get_embedder
from {{ cookiecutter.package_name }}.llm._tools import ToolRegistry, calculator_tool


class Ticket(BaseModel):
    priority: Literal["low", "high"]
    title: str
    tags: list[str]


def test_text_answer_travels_over_http(
    fake_settings: LLMSettings, fake_server: FakeOpenAIServer
) -> None:
    result = LLMClient(fake_settings).run_sync("hello there", instructions="Be kind.")
    assert result.output == "echo: hello there"
    assert result.usage.requests == 1
    assert (result.usage.input_tokens, result.usage.output_tokens) == (4, 3)
    assert result.usage.cost_usd == pytest.approx((4 * 1.0 + 3 * 2.0) / 1e6)
    sent = fake_server.requests[-1]
    assert sent["messages"][0] == {"role": "system", "content": "Be kind."}
    assert sent["temperature"] == 0.0


def test_structured_output_uses_the_output_tool(
    fake_settings: LLMSettings, fake_server: FakeOpenAIServer
) -> None:
    result = LLMClient(fake_settings).run_sync("a high priority crash on login", Ticket)
    assert result.output == Ticket(
        priority="high",
        title="a high priority crash on login",
        tags=["a high priority crash on login"],
    )
    assert fake_server.requests[-1]["tools"][0]["function"]["name"].startswith("final_result")


def test_tool_calls_round_trip(fake_settings: LLMSettings, fake_server: FakeOpenAIServer) -> None:
    tools = ToolRegistry([calculator_tool()])
    prompt = 'What is 6 * 7? call:calculate {"expression": "6 * 7"}'
    result = LLMClient(fake_settings).run_sync(prompt, toolsets=[tools.toolset()])
    assert result.output == "Tool results: 42.0"
    assert result.usage.requests == 2
    first, second = fake_server.requests[-2:]
    assert first["tools"][0]["function"]["name"] == "calculate"
    assert "Evaluate an arithmetic expression" in first["tools"][0]["function"]["description"]
    assert second["messages"][-1]["role"] == "tool"


def test_invalid_tool_arguments_go_back_to_the_model(
    fake_settings: LLMSettings, fake_server: FakeOpenAIServer
) -> None:
    fake_server.script(
        Scripted(tool_calls=[("calculate", {"formula": "1 + 1"})]),
        Scripted(tool_calls=[("calculate", {"expression": "__import__('os').getcwd()"})]),
        Scripted(tool_calls=[("calculate", {"expression": "2 ** 10"})]),
    )
    tools = ToolRegistry([calculator_tool()])
    result = LLMClient(fake_settings).run_sync("compute", toolsets=[tools.toolset()])
    assert result.output.endswith("1024.0")
    bad_arguments, bad_expression = (r["messages"][-1] for r in fake_server.requests[1:3])
    assert bad_arguments["role"] == "tool"
    assert "expression" in bad_arguments["content"]  # the validation error names the field
    assert "only numbers" in bad_expression["content"]


def test_streaming_yields_deltas_and_charges_usage(
    fake_settings: LLMSettings, fake_server: FakeOpenAIServer
) -> None:
    client = LLMClient(fake_settings)

    async def collect() -> list[str]:
        return [delta async for delta in client.stream("one two three")]

    deltas = asyncio.run(collect())
    assert "".join(deltas) == "echo: one two three"
    assert len(deltas) == 4
    assert fake_server.requests[-1]["stream"] is True
    assert client.total_usage.requests == 1
    assert client.total_usage.output_tokens == 4


def test_rate_limit_is_retried_after_the_server_delay(
    fake_settings: LLMSettings, fake_server: FakeOpenAIServer
) -> None:
    fake_server.script(Scripted(status=429, retry_after=0.3))
    started = time.monotonic()
    result = LLMClient(fake_settings).run_sync("after a 429")
    assert result.output == "echo: after a 429"
    assert len(fake_server.requests) == 2
    assert time.monotonic() - started >= 0.3  # Retry-After was honoured, not ignored


def test_server_errors_fall_back_to_the_next_model(
    fake_settings: LLMSettings, fake_server: FakeOpenAIServer
) -> None:
    fake_server.script(Scripted(status=500), Scripted(status=500))
    settings = fake_settings.model_copy(update={"max_retries": 1, "fallback_models": ["backup"]})
    result = LLMClient(settings).run_sync("are you there?")
    assert result.output == "echo: are you there?"
    assert [r["model"] for r in fake_server.requests] == ["fake-echo", "fake-echo", "backup"]


def test_errors_without_fallback_raise(
    fake_settings: LLMSettings, fake_server: FakeOpenAIServer
) -> None:
    fake_server.script(Scripted(status=500))
    settings = fake_settings.model_copy(update={"max_retries": 0})
    with pytest.raises(ModelAPIError):
        LLMClient(settings).run_sync("boom")


def test_slow_answers_time_out(fake_settings: LLMSettings, fake_server: FakeOpenAIServer) -> None:
    fake_server.script(Scripted(delay=1.5))
    settings = fake_settings.model_copy(update={"max_retries": 0, "timeout_seconds": 0.3})
    with pytest.raises(ModelAPIError):
        LLMClient(settings).run_sync("slow")


def test_openai_embeddings_endpoint(fake_settings: LLMSettings) -> None:
    embedder = get_embedder(fake_settings.model_copy(update={"embedder": "openai"}))
    assert isinstance(embedder, OpenAIEmbedder)
    vectors = embedder.embed(["abc", "abd", "xyz"])
    assert vectors.shape == (3, embedder.dimension)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]
