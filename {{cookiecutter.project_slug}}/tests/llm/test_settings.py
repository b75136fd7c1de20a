from __future__ import annotations

import typing

import pytest
from pydantic import SecretStr, ValidationError

from {{ cookiecutter.package_name }}.core.settings import ENV_PREFIX, load_settings
from {{ cookiecutter.package_name }}.llm.settings import LLMSettings, Provider, provider_defaults


def test_defaults_come_from_the_generated_provider() -> None:
    settings = load_settings().section("llm", LLMSettings)
    chosen = provider_defaults()["provider"]
    assert settings.provider == chosen
    assert settings.model == ""
    assert settings.model_id == provider_defaults()["presets"][chosen]["model"]
    assert settings.api_key.get_secret_value() == ""


def test_every_provider_has_a_preset() -> None:
    presets = provider_defaults()["presets"]
    assert set(presets) == set(typing.get_args(Provider))
    assert all(preset["model"] for preset in presets.values())


@pytest.mark.parametrize(
    ("provider", "model", "endpoint"),
    [
        ("openai", "gpt-4o-mini", None),
        ("anthropic", "claude-sonnet-4-5", None),
        ("ollama", "llama3.2", "http://localhost:11434/v1"),
        ("openai-compatible", "Qwen/Qwen2.5-0.5B-Instruct", "http://localhost:8000/v1"),
    ],
)
def test_provider_is_switched_by_settings_alone(
    monkeypatch: pytest.MonkeyPatch, provider: str, model: str, endpoint: str | None
) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}LLM__PROVIDER", provider)
    settings = load_settings().section("llm", LLMSettings)
    assert (settings.model_id, settings.endpoint) == (model, endpoint)


def test_environment_overrides_the_section(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}LLM__MODEL", "qwen2.5:0.5b")
    monkeypatch.setenv(f"{ENV_PREFIX}LLM__BASE_URL", "http://localhost:11434/v1")
    monkeypatch.setenv(f"{ENV_PREFIX}LLM__TEMPERATURE", "0.7")
    monkeypatch.setenv(f"{ENV_PREFIX}LLM__FALLBACK_MODELS", '["openai:gpt-4o-mini"]')
    monkeypatch.setenv(f"{ENV_PREFIX}LLM__API_KEY", "sk-very-secret")
    settings = load_settings().section("llm", LLMSettings)
    assert settings.model_id == "qwen2.5:0.5b"
    assert settings.endpoint == "http://localhost:11434/v1"
    assert settings.temperature == 0.7
    assert settings.fallback_models == ["openai:gpt-4o-mini"]
    assert settings.api_key.get_secret_value() == "sk-very-secret"


def test_api_key_never_shows_in_repr_or_dump(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}LLM__API_KEY", "sk-very-secret")
    settings = load_settings()
    section = settings.section("llm", LLMSettings)
    assert isinstance(section.api_key, SecretStr)
    for text in (repr(section), str(section), repr(settings), settings.model_dump_json()):
        assert "sk-very-secret" not in text


@pytest.mark.parametrize(("field", "value"), [("TEMPERATURE", "9"), ("PROVIDER", "azure")])
def test_invalid_value_names_the_field(
    monkeypatch: pytest.MonkeyPatch, field: str, value: str
) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}LLM__{field}", value)
    with pytest.raises(ValidationError, match=field.lower()):
        load_settings()
