"""A real ``bentoml serve`` on loopback, called with real HTTP clients (marked slow)."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from {{ cookiecutter.package_name }}.core.settings import ENV_PREFIX
from {{ cookiecutter.package_name }}.serving import cli

from .conftest import AUTH, OTHER_KEY, free_port, wait_until_up

pytestmark = pytest.mark.slow


def test_health_is_public_and_apis_need_a_key(live_server: str) -> None:
    assert httpx.get(f"{live_server}/livez", timeout=10).status_code == 200
    assert httpx.post(f"{live_server}/info", timeout=10).status_code == 401
    info = httpx.post(f"{live_server}/info", headers={"x-api-key": OTHER_KEY}, timeout=10)
    assert info.status_code == 200
    assert info.json()["environment"] == "test"
    assert "serving" in info.json()["pillars"]
    assert info.headers["x-content-type-options"] == "nosniff"
    assert len(info.headers["x-request-id"]) == 32


def test_echo_and_validation_over_http(live_server: str) -> None:
    echo = httpx.post(f"{live_server}/v1/echo", json={"text": "one two two"}, headers=AUTH)
    assert echo.status_code == 200
    assert echo.json()["top_words"][0] == {"word": "two", "count": 2}
    bad = httpx.post(f"{live_server}/v1/echo", json={"text": ""}, headers=AUTH, timeout=10)
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"][-1] == "text"
    crash = httpx.post(f"{live_server}/v1/echo", content=b"\xff\xfe", headers=AUTH, timeout=10)
    assert 400 <= crash.status_code < 500
    assert "Traceback" not in crash.text


def test_metrics_parse_with_prometheus_parser(live_server: str) -> None:
    httpx.post(f"{live_server}/v1/echo", json={"text": "count me"}, headers=AUTH, timeout=10)
    httpx.post(f"{live_server}/info", headers={"x-api-key": "wrong-key-wrong-key"}, timeout=10)
    text = httpx.get(f"{live_server}/metrics", timeout=10).text
    families = {family.name: family for family in text_string_to_metric_families(text)}
    requests = families["serving_requests"]
    routes = {sample.labels.get("route") for sample in requests.samples}
    assert "/v1/echo" in routes
    failures = families["serving_auth_failures"]
    assert any(s.labels.get("reason") == "invalid" and s.value >= 1 for s in failures.samples)


def test_stopping_the_cli_stops_the_server(tmp_path: Path) -> None:
    """`serving serve` becomes the server (exec): SIGTERM to it stops BentoML and its worker."""
    port = free_port()
    env = {**cli.serve_environment(), f"{ENV_PREFIX}ARTIFACTS_DIR": str(tmp_path)}
    log = (tmp_path / "server.log").open("wb")
    command = [sys.executable, "-m", "{{ cookiecutter.package_name }}", "serving", "serve", "--host", "127.0.0.1"]
    process = subprocess.Popen(  # noqa: S603
        [*command, "--port", str(port)], env=env, cwd=tmp_path, stdout=log, stderr=log
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, process, tmp_path / "server.log")
        proc = Path(f"/proc/{process.pid}/cmdline")
        if proc.exists():  # Linux: the CLI's process now runs `bentoml serve`
            assert b"bentoml" in proc.read_bytes().split(b"\0")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) is not None
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{base}/livez", timeout=2)
