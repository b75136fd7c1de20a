from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic_ai import models
from typer.testing import CliRunner

from {{ cookiecutter.package_name }}.core.settings import ENV_PREFIX
from {{ cookiecutter.package_name }}.llm.cli import app, demo
from {{ cookiecutter.package_name }}.llm.testing.fake_server import FakeOpenAIServer, Scripted

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


@pytest.mark.parametrize(
    "case",
    [
        (401, "the model provider refused the API key (fake-echo, HTTP 401)", "API_KEY"),
        (404, "the model provider does not know this model (fake-echo, HTTP 404)", "LLM__MODEL"),
        (429, "the model provider is rate limiting this key (fake-echo, HTTP 429)", "retry"),
        (500, "the model provider failed with a server error (fake-echo, HTTP 500)", "retry"),
    ],
)
@pytest.mark.parametrize("stream", [False, True])
def test_a_failing_provider_is_one_line_and_a_hint(
    fake_server: FakeOpenAIServer,
    monkeypatch: pytest.MonkeyPatch,
    case: tuple[int, str, str],
    stream: bool,
) -> None:
    status, message, hint = case
    _point_at(fake_server, monkeypatch)
    monkeypatch.setenv(f"{ENV_PREFIX}LLM__MAX_RETRIES", "0")
    fake_server.script(Scripted(status=status))
    result = CliRunner().invoke(app, ["ask", "ping", *(["--stream"] if stream else [])])
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert f"error: {message}" in lines
    assert any(line.startswith("hint: ") and hint in line for line in lines)
    assert "Traceback" not in result.output
    assert f"scripted {status}" not in result.output, "the provider's body is not repeated"


def test_an_unreachable_provider_names_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}LLM__MODEL", "fake-echo")
    monkeypatch.setenv(f"{ENV_PREFIX}LLM__BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv(f"{ENV_PREFIX}LLM__MAX_RETRIES", "0")
    monkeypatch.setattr(models, "ALLOW_MODEL_REQUESTS", True)
    result = CliRunner().invoke(app, ["ask", "ping"])
    assert result.exit_code == 1
    assert "error: the model provider could not be reached (fake-echo)" in result.stderr
    assert f"{ENV_PREFIX}LLM__BASE_URL" in result.stderr
    assert "Traceback" not in result.output


def test_ask_without_a_key_fails_clearly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}LLM__PROVIDER", "openai")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    result = CliRunner().invoke(app, ["ask", "ping"])
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "error: no API key for the 'openai' model provider: set OPENAI_API_KEY"
    )
    assert "Traceback" not in result.output


def test_prompts_lists_the_good_files_and_names_the_broken_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    folder = tmp_path / "prompts"
    folder.mkdir()
    (folder / "mine.v1.md").write_text("---\nname: mine\nversion: 1\n---\nHi", encoding="utf-8")
    (folder / "bad.v1.md").write_text("---\nname: [bad\n---\nHi", encoding="utf-8")
    monkeypatch.setenv(f"{ENV_PREFIX}LLM__PROMPT_DIRS", json.dumps([str(folder)]))
    result = CliRunner().invoke(app, ["prompts"])
    assert result.exit_code == 1
    assert "mine " in result.stdout
    assert "classify_sentiment" in result.stdout
    assert f"error: {folder / 'bad.v1.md'}: the front-matter is not valid YAML" in result.stderr
    assert "Traceback" not in result.output


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
