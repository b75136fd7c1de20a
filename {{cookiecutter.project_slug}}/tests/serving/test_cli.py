from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from {{ cookiecutter.package_name }}.cli import build_app
from {{ cookiecutter.package_name }}.serving import cli


def test_serve_command_runs_bentoml_on_the_given_address() -> None:
    command = cli.serve_command("127.0.0.1", 8123)
    assert command[1:5] == ["-m", "bentoml", "serve", cli.SERVICE_IMPORT]
    assert command[-4:] == ["--host", "127.0.0.1", "--port", "8123"]
    assert cli.SERVICE_IMPORT.endswith(".serving.service:AIService")


def test_serve_environment_makes_the_package_importable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONPATH", f"elsewhere{os.pathsep}")
    env = cli.serve_environment()
    first, *rest = env["PYTHONPATH"].split(os.pathsep)
    assert (Path(first) / "{{ cookiecutter.package_name }}" / "serving").is_dir()
    assert rest == ["elsewhere"]
    assert env["BENTOML_DO_NOT_TRACK"] == "true"


def test_demo_prints_info_echo_and_a_rejected_request(capsys: pytest.CaptureFixture[str]) -> None:
    cli.demo()
    out = capsys.readouterr().out
    assert "/info without a key -> 401" in out
    assert '"environment": "test"' in out
    assert "top words be=2, to=2, is=1" in out
    assert "invalid input -> 422 naming fields ['text', 'top_k']" in out


def test_serving_group_lists_serve() -> None:
    result = CliRunner().invoke(cli.app, ["--help"])
    assert result.exit_code == 0
    assert "serve" in result.output


def test_serve_on_a_port_in_use_says_so_instead_of_starting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_exec(*args: object) -> None:
        raise AssertionError("the server must not start")

    monkeypatch.setattr(os, "execve", no_exec)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        args = ["serving", "serve", "--host", "127.0.0.1", "--port", str(port)]
        result = CliRunner().invoke(build_app(), args)
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert lines[0] == f"error: cannot listen on 127.0.0.1:{port}: Address already in use"
    assert lines[1].startswith("hint: is another server running there?")
    assert cli._cannot_listen("127.0.0.1", port) is None  # free again once closed
