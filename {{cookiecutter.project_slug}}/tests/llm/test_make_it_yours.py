"""README "Make it yours", llm rows: your prompts (``LLM__PROMPT_DIRS``) and your provider.

Both run ``llm ask`` as the README shows it, over real HTTP against the local fake OpenAI server;
the provider key is checked on the model the settings build (no request leaves the machine).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic_ai.models.openai import OpenAIChatModel, OpenAIResponsesModel
from typer.testing import CliRunner

from {{ cookiecutter.package_name }}.cli import build_app
from {{ cookiecutter.package_name }}.core.settings import ENV_PREFIX, get_settings
from {{ cookiecutter.package_name }}.llm import FakeOpenAIServer, LLMSettings, build_model

LLM = f"{ENV_PREFIX}LLM__"
runner = CliRunner()
MY_PROMPT = """---
name: welcome_customer
version: 1
description: Greets a new customer by name.
variables: [name]
system: You are the front desk of a small bakery.
---
Welcome [[ name ]] in one sentence.
"""


def _point_at(server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch, model: str) -> None:
    monkeypatch.setenv(f"{LLM}PROVIDER", "openai-compatible")
    monkeypatch.setenv(f"{LLM}MODEL", model)
    monkeypatch.setenv(f"{LLM}BASE_URL", server.base_url)


def test_llm_ask_renders_your_prompt_from_your_folder(
    fake_server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = Path("prompts")  # relative to the working directory: the project root
    folder.mkdir()
    (folder / "welcome_customer.v1.md").write_text(MY_PROMPT, encoding="utf-8")
    monkeypatch.setenv(f"{LLM}PROMPT_DIRS", '["prompts"]')
    _point_at(fake_server, monkeypatch, "fake-echo")

    result = runner.invoke(build_app(), ["llm", "ask", "-p", "welcome_customer", "name=Ada"])

    assert result.exit_code == 0, result.output
    assert "echo: Welcome Ada in one sentence." in result.stdout
    assert "welcome_customer@1" in result.stderr
    system = fake_server.requests[-1]["messages"][0]
    assert system == {"role": "system", "content": "You are the front desk of a small bakery."}


def test_llm_ask_calls_your_provider_and_model(
    fake_server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _point_at(fake_server, monkeypatch, "my-own-model")

    result = runner.invoke(build_app(), ["llm", "ask", "ping"])

    assert result.exit_code == 0, result.output
    assert "echo: ping" in result.stdout
    assert fake_server.requests[-1]["model"] == "my-own-model"


@pytest.mark.parametrize("variable", ["OPENAI_API_KEY", f"{LLM}API_KEY"])
def test_your_provider_key_is_the_one_the_model_sends(
    monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.setenv(f"{LLM}PROVIDER", "openai")
    monkeypatch.setenv(f"{LLM}MODEL", "gpt-4.1-mini")
    monkeypatch.setenv(variable, "sk-your-own-key")
    get_settings.cache_clear()

    model = build_model(get_settings().section("llm", LLMSettings))

    assert isinstance(model, OpenAIChatModel | OpenAIResponsesModel)
    assert model.model_name == "gpt-4.1-mini"
    assert model.client.api_key == "sk-your-own-key"
