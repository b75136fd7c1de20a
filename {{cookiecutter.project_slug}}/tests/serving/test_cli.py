from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from {{ cookiecutter.package_name }}.core.settings import ENV_PREFIX, get_settings
from {{ cookiecutter.package_name }}.serving import cli
from {{ cookiecutter.package_name }}.serving.settings import ServingSettings

READY_TIMEOUT_S = 90.0


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
    assert "/readyz -> 200" in out
    assert '"environment": "test"' in out
    assert "top words be=2, to=2, is=1" in out
    assert "invalid input -> 422 naming fields ['text', 'top_k']" in out


def test_serving_group_lists_serve() -> None:
    result = CliRunner().invoke(cli.app, ["--help"])
    assert result.exit_code == 0
    assert "serve" in result.output


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A real ``bentoml serve`` of the service on a free local port; yields its base URL."""
    port = _free_port()
    monkeypatch.setenv(f"{ENV_PREFIX}SERVING__PORT", str(port))
    get_settings.cache_clear()
    settings = get_settings().section("serving", ServingSettings)
    process = subprocess.Popen(  # noqa: S603
        cli.serve_command(settings.host, settings.port),
        env=cli.serve_environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://{settings.host}:{port}"
    try:
        _wait_until_ready(base, process)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_ready(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"bentoml serve exited early with code {process.returncode}")
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    pytest.fail(f"bentoml serve was not ready within {READY_TIMEOUT_S} s")


@pytest.mark.slow
def test_real_server_answers_over_http(server: str) -> None:
    assert httpx.get(f"{server}/livez", timeout=10).status_code == 200
    echo = httpx.post(f"{server}/v1/echo", json={"text": "one two two"}, timeout=10)
    assert echo.status_code == 200
    assert echo.json()["top_words"][0] == {"word": "two", "count": 2}
    bad = httpx.post(f"{server}/v1/echo", json={"text": ""}, timeout=10)
    assert bad.status_code == 422
    info = httpx.post(f"{server}/info", timeout=10).json()
    assert info["environment"] == "test"
    assert "serving" in info["pillars"]
