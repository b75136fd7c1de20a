from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from {{ cookiecutter.package_name }}.agents.cli import app, demo
from {{ cookiecutter.package_name }}.agents.testing.scripted import plan
from {{ cookiecutter.package_name }}.core.settings import ENV_PREFIX, get_settings

runner = CliRunner()
TASK = "What is 2 * (3 + 4), and what do my notes say about helm?"


def _run_id(output: str) -> str:
    line = next(line for line in output.splitlines() if line.startswith("run "))
    return line.split()[1].rstrip(":")


def test_scripted_plan_picks_tools() -> None:
    calls = plan("What is 2 * (3 + 4), the time now, and my notes on helm?")
    assert [(c.tool_name, c.args) for c in calls] == [
        ("calculate", {"expression": "2 * (3 + 4)"}),
        ("current_time", {}),
        ("search_notes", {"query": "helm"}),
    ]
    assert plan("tell me a joke") == []


def test_run_streams_steps_then_show_and_export(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", "--scripted", TASK])
    assert result.exit_code == 0, result.output
    assert "[1] plan     planner" in result.stdout
    assert 'tool calculate({"expression": "2 * (3 + 4)"}) [ok]' in result.stdout
    assert "succeeded after 7 steps" in result.stdout
    run_id = _run_id(result.stdout)

    shown = runner.invoke(app, ["show", run_id])
    assert shown.exit_code == 0, shown.output
    assert "[7] review   critic" in shown.stdout

    exported = runner.invoke(app, ["show", run_id, "--output", str(tmp_path / "t.json")])
    assert exported.exit_code == 0, exported.output
    transcript = json.loads((tmp_path / "t.json").read_text())
    assert transcript["run"]["status"] == "succeeded"
    assert [step["seq"] for step in transcript["steps"]] == list(range(1, 8))
    assert transcript["steps"][1]["messages"][0]["kind"] == "request"

    listed = runner.invoke(app, ["list"])
    assert run_id in listed.stdout


def test_failed_run_exits_non_zero_and_resume_finishes_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}AGENTS__MAX_STEPS", "2")
    get_settings.cache_clear()
    failed = runner.invoke(app, ["run", "--scripted", TASK])
    assert failed.exit_code == 1
    assert "failure: step_budget" in failed.stdout
    monkeypatch.setenv(f"{ENV_PREFIX}AGENTS__MAX_STEPS", "20")
    get_settings.cache_clear()
    resumed = runner.invoke(app, ["resume", "--scripted", _run_id(failed.stdout)])
    assert resumed.exit_code == 0, resumed.output
    assert "succeeded" in resumed.stdout


def test_unknown_run_fails_clearly() -> None:
    result = runner.invoke(app, ["show", "nope"])
    assert result.exit_code == 2
    assert "no run 'nope'" in result.stderr


def test_run_without_a_model_key_fails_clearly(monkeypatch: pytest.MonkeyPatch) -> None:
    # The rendered default provider may be any; the OpenAI one names its key variable.
    monkeypatch.setenv(f"{ENV_PREFIX}LLM__PROVIDER", "openai")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    get_settings.cache_clear()
    result = runner.invoke(app, ["run", "hi"])
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0].startswith(
        "error: no API key for the 'openai' model provider: set OPENAI_API_KEY"
    )
    assert lines[1] == "hint: `--scripted` runs the same workflow offline with scripted roles"


def test_ask_runs_the_single_agent() -> None:
    result = runner.invoke(app, ["ask", "--scripted", "How much is 12 / 0?"])
    assert result.exit_code == 0, result.output
    assert "calculate({'expression': '12 / 0'}) [retry]" in result.stdout


def test_demo_runs_the_workflow(capsys: pytest.CaptureFixture[str]) -> None:
    demo()
    out = capsys.readouterr().out
    assert 'tool calculate({"expression": "(17 + 25) * 3"}) [ok]' in out
    assert "Helm chart" in out
    assert "succeeded after 7 steps" in out


def test_queued_approvals_are_listed_and_decided() -> None:
    from {{ cookiecutter.package_name }}.agents._runner import agents_settings, default_store  # noqa: PLC0415
    from {{ cookiecutter.package_name }}.agents._schemas import RunState  # noqa: PLC0415

    store = default_store(agents_settings())
    store.create_run(RunState(run_id="r1", task="t"))
    approval_id = store.add_approval("r1", "executor", "save_note", {"note": "x"})
    listed = runner.invoke(app, ["approvals", "r1"])
    assert f"{approval_id}  [executor] save_note(" + '{"note": "x"})' in listed.stdout
    assert runner.invoke(app, ["approve", str(approval_id), "--deny"]).stdout.strip() == (
        f"{approval_id}: denied"
    )
    again = runner.invoke(app, ["approve", str(approval_id)])
    assert again.exit_code == 2
    assert "no pending approval" in again.stderr


def test_agent_is_an_alias_of_the_agents_group() -> None:
    from {{ cookiecutter.package_name }}.cli import build_app  # noqa: PLC0415

    result = runner.invoke(build_app(), ["agent", "run", "--scripted", TASK])
    assert result.exit_code == 0, result.output
    assert "succeeded" in result.stdout
