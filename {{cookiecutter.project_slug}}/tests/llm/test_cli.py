from __future__ import annotations

import pytest
from pydantic_ai import models
from typer.testing import CliRunner

from {{ cookiecutter.package_name }}.core.settings import ENV_PREFIX
from {{ cookiecutter.package_name }}.llm.cli import app, demo
from {{ cookiecutter.package_name }}.llm.fake_server import FakeOpenAIServer


def test_ask_uses_the_model_from_settings(
    fake_server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}LLM__MODEL", "fake-echo")
    monkeypatch.setenv(f"{ENV_PREFIX}LLM__BASE_URL", fake_server.base_url)
    result = CliRunner().invoke(app, ["ask", "ping", "-i", "Answer briefly."])
    assert result.exit_code == 0, result.output
    assert "echo: ping" in result.stdout
    assert fake_server.requests[-1]["messages"][0]["content"] == "Answer briefly."


def test_ask_without_a_key_fails_clearly() -> None:
    result = CliRunner().invoke(app, ["ask", "ping"])
    assert result.exit_code == 1
    assert "OPENAI_API_KEY" in result.stderr


def test_demo_answers_offline_over_http(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(models, "ALLOW_MODEL_REQUESTS", True)
    demo()
    out = capsys.readouterr().out
    assert "echo: What does the LLM pillar" in out
    assert "sentiment=positive" in out
    assert "2 requests" in out
