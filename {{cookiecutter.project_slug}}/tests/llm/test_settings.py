from __future__ import annotations

import pytest
from pydantic import SecretStr, ValidationError

from {{ cookiecutter.package_name }}.core.settings import ENV_PREFIX, load_settings
from {{ cookiecutter.package_name }}.llm.settings import LLMSettings


def test_defaults_name_a_provider_model() -> None:
    settings = load_settings().section("llm", LLMSettings)
    assert settings.model == "openai:gpt-4o-mini"
    assert settings.base_url is None
    assert settings.api_key.get_secret_value() == ""


def test_environment_overrides_the_section(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}LLM__MODEL", "qwen2.5:0.5b")
    monkeypatch.setenv(f"{ENV_PREFIX}LLM__BASE_URL", "http://localhost:11434/v1")
    monkeypatch.setenv(f"{ENV_PREFIX}LLM__TEMPERATURE", "0.7")
    monkeypatch.setenv(f"{ENV_PREFIX}LLM__API_KEY", "sk-very-secret")
    settings = load_settings().section("llm", LLMSettings)
    assert settings.model == "qwen2.5:0.5b"
    assert settings.base_url == "http://localhost:11434/v1"
    assert settings.temperature == 0.7
    assert settings.api_key.get_secret_value() == "sk-very-secret"


def test_api_key_never_shows_in_repr_or_dump(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}LLM__API_KEY", "sk-very-secret")
    settings = load_settings()
    section = settings.section("llm", LLMSettings)
    assert isinstance(section.api_key, SecretStr)
    for text in (repr(section), str(section), repr(settings), settings.model_dump_json()):
        assert "sk-very-secret" not in text


def test_invalid_value_names_the_field(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}LLM__TEMPERATURE", "9")
    with pytest.raises(ValidationError, match="temperature"):
        load_settings()
