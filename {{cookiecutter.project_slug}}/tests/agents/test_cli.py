from __future__ import annotations

import pytest
from typer.testing import CliRunner

from {{ cookiecutter.package_name }}.agents.cli import app, demo
from {{ cookiecutter.package_name }}.agents.scripted import plan


def test_scripted_plan_picks_tools() -> None:
    calls = plan("What is 2 * (3 + 4), the time now, and my notes on helm?")
    assert [(c.tool_name, c.args) for c in calls] == [
        ("calculate", {"expression": "2 * (3 + 4)"}),
        ("current_time", {}),
        ("search_notes", {"query": "helm"}),
    ]
    assert plan("tell me a joke") == []


def test_run_scripted_prints_steps() -> None:
    result = CliRunner().invoke(app, ["run", "--scripted", "How much is 12 / 0?"])
    assert result.exit_code == 0, result.output
    assert "calculate({'expression': '12 / 0'}) [retry]" in result.stdout
    assert "calculate failed" in result.stdout


def test_run_without_a_model_key_fails_clearly() -> None:
    result = CliRunner().invoke(app, ["run", "hi"])
    assert result.exit_code == 1
    assert "OPENAI_API_KEY" in result.stderr


def test_demo_uses_every_planned_tool(capsys: pytest.CaptureFixture[str]) -> None:
    demo()
    out = capsys.readouterr().out
    assert "calculate({'expression': '(17 + 25) * 3'}) [ok] -> 126" in out
    assert "current_time({}) [ok]" in out
    assert "Helm chart" in out
    assert "2 model steps, 3 tool calls" in out
