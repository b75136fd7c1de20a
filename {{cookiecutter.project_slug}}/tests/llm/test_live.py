"""Against a real provider: run with `pytest -m live` and a key (skipped otherwise).

The key is read when this module is imported, before the fixtures clear the environment.
``LLM_LIVE_MODEL`` picks the model (default: the OpenAI preset).
"""

from __future__ import annotations

import os

import pytest
from pydantic import SecretStr
from pydantic_ai import models

from {{ cookiecutter.package_name }}.llm import LLMClient, LLMSettings, Passage, grounded_answer
from {{ cookiecutter.package_name }}.llm._tasks import classify_sentiment, solve_arithmetic
from {{ cookiecutter.package_name }}.llm._tools import ToolRegistry, calculator_tool

LIVE_KEY = os.environ.get("OPENAI_API_KEY", "")
LIVE_MODEL = os.environ.get("LLM_LIVE_MODEL", "")

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(not LIVE_KEY, reason="live tests need OPENAI_API_KEY"),
]


@pytest.fixture
def live_client(monkeypatch: pytest.MonkeyPatch) -> LLMClient:
    monkeypatch.setattr(models, "ALLOW_MODEL_REQUESTS", True)
    settings = LLMSettings(provider="openai", model=LIVE_MODEL, api_key=SecretStr(LIVE_KEY))
    return LLMClient(settings)


def test_live_structured_answer(live_client: LLMClient) -> None:
    result = classify_sentiment(live_client, "Terrible support, the app crashed all week.")
    assert result.output.sentiment == "negative"
    assert result.usage.input_tokens > 0


def test_live_chain_of_thought(live_client: LLMClient) -> None:
    assert solve_arithmetic(live_client, "What is 12 times 7?").output.answer == 84


def test_live_tool_call(live_client: LLMClient) -> None:
    tools = ToolRegistry([calculator_tool()]).toolset()
    result = live_client.run_sync("Use the calculator: what is 1234 * 5678?", toolsets=[tools])
    assert "7006652" in result.output.replace(",", "").replace(" ", "")
    assert result.usage.requests >= 2


def test_live_grounded_answer_and_abstention(live_client: LLMClient) -> None:
    passages = [Passage(id="p1", text="The office opens at 8:30 on weekdays.", source="hours.md")]
    answered = grounded_answer("When does the office open?", passages, client=live_client)
    assert answered.citations == ["p1"]
    abstained = grounded_answer("What is the CEO's name?", passages, client=live_client)
    assert abstained.abstained
