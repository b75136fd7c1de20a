from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from pydantic import SecretStr
from pydantic_ai.exceptions import UserError
from pydantic_ai.models.fallback import FallbackModel
from pydantic_ai.models.openai import OpenAIChatModel, OpenAIResponsesModel

from {{ cookiecutter.package_name }}.core.settings import ENV_PREFIX
from {{ cookiecutter.package_name }}.llm._models import (
    MissingProviderKeyError,
    ProviderNotInstalledError,
    build_model,
    endpoint_api_key,
    model_settings,
    qualified_name,
)
from {{ cookiecutter.package_name }}.llm.settings import LLMSettings


def test_base_url_builds_an_openai_compatible_model() -> None:
    model = build_model(LLMSettings(model="openai:llama3", base_url="http://127.0.0.1:9/v1"))
    assert isinstance(model, OpenAIChatModel)
    assert model.model_name == "llama3"
    assert model.base_url.rstrip("/") == "http://127.0.0.1:9/v1"


@pytest.mark.parametrize(
    ("provider", "url"),
    [("ollama", "http://localhost:11434/v1"), ("openai-compatible", "http://localhost:8000/v1")],
)
def test_local_providers_speak_the_openai_protocol(provider: str, url: str) -> None:
    model = build_model(LLMSettings(provider=provider, model="qwen2.5:0.5b"))
    assert isinstance(model, OpenAIChatModel)
    assert model.model_name == "qwen2.5:0.5b"
    assert model.base_url.rstrip("/") == url


def test_api_key_from_settings_reaches_the_provider() -> None:
    settings = LLMSettings(provider="openai", api_key=SecretStr("sk-from-settings"))
    model = build_model(settings)
    assert isinstance(model, OpenAIChatModel | OpenAIResponsesModel)
    assert model.client.api_key == "sk-from-settings"
    assert model.model_name == "gpt-4o-mini"


def test_openai_behind_a_base_url_reads_openai_api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    proxied = LLMSettings(provider="openai", model="gpt-4o-mini", base_url="http://127.0.0.1:9/v1")
    model = build_model(proxied)
    assert isinstance(model, OpenAIChatModel)
    assert model.client.api_key == "sk-from-env"
    # Another provider's endpoint never receives the OpenAI key unless it is set as api_key.
    local = LLMSettings(provider="openai-compatible", base_url="http://127.0.0.1:9/v1")
    other = build_model(local)
    assert isinstance(other, OpenAIChatModel)
    assert other.client.api_key == "not-needed"
    keyed = build_model(local.model_copy(update={"api_key": SecretStr("sk-local")}))
    assert isinstance(keyed, OpenAIChatModel)
    assert keyed.client.api_key == "sk-local"


def test_a_provider_key_written_in_dotenv_is_used(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The SDK reads only the process environment; `.env` (as .env.example suggests) works too."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("OPENAI_API_KEY=sk-from-dotenv\n", encoding="utf-8")
    model = build_model(LLMSettings(provider="openai"))
    assert isinstance(model, OpenAIResponsesModel | OpenAIChatModel)
    assert model.client.api_key == "sk-from-dotenv"
    proxied = LLMSettings(provider="openai", base_url="http://127.0.0.1:9/v1")
    assert endpoint_api_key(proxied) == "sk-from-dotenv"
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")  # the environment wins, as for settings
    assert endpoint_api_key(proxied) == "sk-from-env"


def test_provider_without_a_key_fails_with_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(MissingProviderKeyError) as caught:
        build_model(LLMSettings(provider="openai"))
    assert isinstance(caught.value, UserError)  # callers that catch pydantic-ai's error still do
    assert caught.value.variable == "OPENAI_API_KEY"
    message = str(caught.value)
    assert message.startswith("no API key for the 'openai' model provider: set OPENAI_API_KEY")
    assert f"{ENV_PREFIX}LLM__API_KEY" in message
    assert f"{ENV_PREFIX}LLM__PROVIDER=ollama" in message
    assert "api_key=" not in message, "a programmer's fix, not the user's"


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        (LLMSettings(provider="openai", model="gpt-4o"), "openai:gpt-4o"),
        (LLMSettings(provider="anthropic"), "anthropic:claude-sonnet-4-5"),
        (LLMSettings(provider="google"), "google-gla:gemini-2.5-flash"),
        (LLMSettings(provider="openai", model="groq:llama-3.3"), "groq:llama-3.3"),
        (LLMSettings(provider="ollama", model="qwen2.5:0.5b"), "openai:qwen2.5:0.5b"),
    ],
)
def test_model_names_are_qualified_per_provider(settings: LLMSettings, expected: str) -> None:
    assert qualified_name(settings) == expected


@pytest.mark.skipif(
    importlib.util.find_spec("anthropic") is not None, reason="the anthropic extra is installed"
)
def test_missing_provider_extra_names_the_fix() -> None:
    settings = LLMSettings(provider="anthropic", api_key=SecretStr("sk-ant"))
    with pytest.raises(ProviderNotInstalledError, match="uv sync --extra anthropic"):
        build_model(settings)


def test_fallback_models_build_a_chain() -> None:
    settings = LLMSettings(model="a", base_url="http://127.0.0.1:9/v1", fallback_models=["b"])
    model = build_model(settings)
    assert isinstance(model, FallbackModel)
    assert [m.model_name for m in model.models] == ["a", "b"]


def test_model_settings_follow_the_section() -> None:
    settings = LLMSettings(timeout_seconds=5, max_retries=0, temperature=0.3, max_tokens=64)
    assert model_settings(settings) == {
        "timeout": 5,
        "max_retries": 0,
        "temperature": 0.3,
        "max_tokens": 64,
    }
