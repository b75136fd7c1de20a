from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from {{ cookiecutter.package_name }} import cli
from {{ cookiecutter.package_name }}.core.pillars import ROOT_PACKAGE, installed_pillars
from {{ cookiecutter.package_name }}.core.settings import ENV_PREFIX

runner = CliRunner()


def test_every_installed_pillar_registers_a_command_group() -> None:
    app = cli.build_app()
    groups = {group.name for group in app.registered_groups if not group.hidden}
    assert groups == set(installed_pillars())


def test_a_pillar_command_builds_only_that_pillars_group() -> None:
    """`<cli> ml predict ...` imports the ml CLI alone; help and core commands get every group."""
    assert cli.invoked_pillar(["--help"]) is None
    assert cli.invoked_pillar(["info"]) is None
    assert cli.invoked_pillar(["no-such-command", "ml"]) is None
    for pillar in installed_pillars():
        assert cli.invoked_pillar([pillar, "--help"]) == pillar
        assert cli.invoked_pillar(["--debug", pillar]) == pillar
        app = cli.build_app(pillar)
        assert [g.name for g in app.registered_groups if not g.hidden] == [pillar]
        result = runner.invoke(app, [pillar, "--help"])
        assert result.exit_code == 0, result.output


def test_help_texts_read_as_help_not_as_source() -> None:
    """Every command's help and option help is plain text for the terminal (no reST markup)."""
    root = typer.main.get_command(cli.build_app())
    assert root.help == cli.HELP

    # Typer vendors its own click: walk by attributes, not by click's classes.
    def walk(command: Any, path: str) -> Iterator[tuple[str, str]]:
        yield path, command.help or ""
        for param in command.params:
            yield f"{path} {param.name}", getattr(param, "help", None) or ""
        for name, sub in getattr(command, "commands", {}).items():
            yield from walk(sub, f"{path} {name}")

    texts = list(walk(root, ROOT_PACKAGE))
    walked = {path.split()[1] for path, _ in texts if len(path.split()) > 2}
    assert walked >= set(installed_pillars()), "every pillar's commands were walked"
    for where, text in texts:
        assert "``" not in text, f"{where}: {text}"
        assert ":func:" not in text, f"{where}: {text}"
        assert ":class:" not in text, f"{where}: {text}"


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        ("ENVIRONMENT", "staging2", "ENVIRONMENT='staging2': Input should be 'dev', 'test'"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL='LOUD': Input should be 'DEBUG'"),
        ("MONITORING__TRACE_SAMPLE_RATIO", "half", "MONITORING__TRACE_SAMPLE_RATIO='half': "),
        # A whole section as JSON (as for list and mapping settings) that does not parse.
        ("MONITORING", "{not json", 'error parsing value for field "monitoring"'),
    ],
)
def test_an_invalid_setting_names_its_variable_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, said: str
) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}{variable}", value)
    result = runner.invoke(cli.build_app(), ["info"])
    assert result.exit_code == 2, result.output
    assert f"error: {ENV_PREFIX}{said}" in result.output or f"error: {said}" in result.output
    assert "hint: fix it in the environment or in .env" in result.output
    assert "Traceback" not in result.output


def test_info_lists_installed_pillars() -> None:
    result = runner.invoke(cli.build_app(), ["info"])
    assert result.exit_code == 0, result.output
    assert "environment" in result.output
    assert "test" in result.output


def test_settings_prints_json_with_secrets_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    result = runner.invoke(cli.build_app(), ["settings"])
    assert result.exit_code == 0, result.output
    dumped = json.loads(result.output)
    assert dumped["environment"] == "test"
    for section in installed_pillars():
        assert section in dumped


def test_demo_runs_each_pillar_step_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    class FakePillarCli:
        def __init__(self, name: str) -> None:
            self.app = typer.Typer()
            self.demo = lambda: calls.append(name)

    monkeypatch.setattr(cli, "installed_pillars", lambda: ["first", "second"])
    monkeypatch.setattr(cli, "pillar_module", lambda pillar, _module: FakePillarCli(pillar))
    result = runner.invoke(cli.build_app(), ["demo"])
    assert result.exit_code == 0, result.output
    assert calls == ["first", "second"]


def test_demo_without_pillars_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "installed_pillars", list)
    result = runner.invoke(cli.build_app(), ["demo"])
    assert result.exit_code == 0
    assert "No pillars installed" in result.output


def test_unknown_command_fails_with_usage() -> None:
    result = runner.invoke(cli.build_app(), ["no-such-command"])
    assert result.exit_code != 0


def test_cli_startup_exports_traces_to_the_configured_collector(tmp_path: Path) -> None:
    """A command run with an OTLP endpoint set sends its spans there when it exits."""
    received: list[str] = []

    class Collector(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            received.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    package = ROOT_PACKAGE
    script = (
        f"from {package} import cli\n"
        "cli._startup()\n"
        f"from {package}.monitoring import tracing\n"
        "with tracing.get_tracer('check').start_as_current_span('command'):\n"
        "    pass\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": str(Path(cli.__file__).parents[2]),  # the package's src folder
        f"{package.upper()}_MONITORING__OTLP_ENDPOINT": f"http://127.0.0.1:{server.server_port}",
    }
    try:
        subprocess.run([sys.executable, "-c", script], env=env, check=True, cwd=tmp_path)  # noqa: S603
    finally:
        server.shutdown()
    assert received == ["/v1/traces"]
