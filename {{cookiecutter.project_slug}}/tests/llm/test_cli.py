from __future__ import annotations

import pytest
from typer.testing import CliRunner

from {{ cookiecutter.package_name }}.core.settings import ENV_PREFIX
from {{ cookiecutter.package_name }}.llm.cli import app, demo
from {{ cookiecutter.package_name }}.llm.testing.fake_server import FakeOpenAIServer

from .conftest import PROJECT_ROOT


def _point_at(server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}LLM__MODEL", "fake-echo")
    monkeypatch.setenv(f"{ENV_PREFIX}LLM__BASE_URL", server.base_url)


def test_ask_uses_the_model_from_settings(
    fake_server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _point_at(fake_server, monkeypatch)
    result = CliRunner().invoke(app, ["ask", "ping", "-i", "Answer briefly."])
    assert result.exit_code == 0, result.output
    assert "echo: ping" in result.stdout
    assert fake_server.requests[-1]["messages"][0]["content"] == "Answer briefly."


def test_ask_renders_a_registry_prompt(
    fake_server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _point_at(fake_server, monkeypatch)
    args = ["ask", "--prompt", "explain_as_role", "role=a chef", "audience=kids", "topic=salt"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "echo: Explain: salt" in result.stdout
    assert "explain_as_role@1" in result.stderr
    assert "You are a chef" in fake_server.requests[-1]["messages"][0]["content"]


def test_ask_names_missing_prompt_variables() -> None:
    result = CliRunner().invoke(app, ["ask", "-p", "classify_sentiment", "tone=dry"])
    assert result.exit_code == 2
    assert "missing variables ['review']" in result.stderr


def test_ask_can_stream(fake_server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch) -> None:
    _point_at(fake_server, monkeypatch)
    result = CliRunner().invoke(app, ["ask", "ping pong", "--stream"])
    assert result.exit_code == 0, result.output
    assert "echo: ping pong" in result.stdout
    assert fake_server.requests[-1]["stream"] is True


def test_ask_without_a_key_fails_clearly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}LLM__PROVIDER", "openai")
    result = CliRunner().invoke(app, ["ask", "ping"])
    assert result.exit_code == 1
    assert "OPENAI_API_KEY" in result.stderr


def test_prompts_lists_the_four_styles() -> None:
    result = CliRunner().invoke(app, ["prompts"])
    assert result.exit_code == 0, result.output
    for style in ("zero-shot", "few-shot", "chain-of-thought", "role-based"):
        assert style in result.stdout


def test_eval_replay_passes_the_gate() -> None:
    result = CliRunner().invoke(app, ["eval", "--replay", "--dir", str(PROJECT_ROOT / "evals")])
    assert result.exit_code == 0, result.output
    assert "PASS prompting-styles" in result.stdout
    assert "PASS grounded-answers" in result.stdout


def test_live_eval_without_a_key_says_how_to_configure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}LLM__PROVIDER", "openai")
    result = CliRunner().invoke(app, ["eval", "--live"])
    assert result.exit_code == 1
    assert "OPENAI_API_KEY" in result.stderr


def test_demo_answers_offline_over_http(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}LLM__PROVIDER", "openai")
    demo()
    out = capsys.readouterr().out
    assert "sentiment=positive" in out
    assert "Tool results: 213.0" in out
    assert "cites ['remote-1']" in out
    assert "5 deltas" in out
    assert "OPENAI_API_KEY" in out  # how to configure a real provider
