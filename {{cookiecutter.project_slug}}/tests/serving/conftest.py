"""Fixtures of the serving tests: an in-process HTTP client over the real BentoML ASGI app."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from bentoml._internal.configuration.containers import BentoMLContainer
from bentoml._internal.server.metrics.prometheus import PrometheusClient
from starlette.testclient import TestClient

from {{ cookiecutter.package_name }}.core.settings import ENV_PREFIX, get_settings
from {{ cookiecutter.package_name }}.serving import cli
from {{ cookiecutter.package_name }}.serving.service import asgi_app
from tests.conftest import PROJECT_ROOT, service_environment

os.environ.setdefault("BENTOML_DO_NOT_TRACK", "true")
# The in-process app runs in this one process, so its /metrics uses Prometheus' single-process
# registry. BentoML's default multiprocess mode (what `bentoml serve` workers need) would depend on
# PROMETHEUS_MULTIPROC_DIR being set before anything, e.g. Prefect, imports prometheus_client.
BentoMLContainer.metrics_client.set(PrometheusClient(multiproc=False))

API_KEY = "test-key-0123456789abcdef"
OTHER_KEY = "other-key-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {API_KEY}"}


KEYS = {"tests": API_KEY, "other": OTHER_KEY}
READY_TIMEOUT_S = 120.0


@pytest.fixture(autouse=True)
def api_keys(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, clean_settings: None
) -> None:
    """Two named keys, as a deployment would configure them, and what the routes need offline."""
    monkeypatch.setenv(f"{ENV_PREFIX}SERVING__API_KEYS", json.dumps(KEYS))
    for name, value in service_environment(request, live=False).items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()


def _server_environment(
    request: pytest.FixtureRequest, root: Path, port: int, *, model: bool = True
) -> dict[str, str]:
    env = {
        name: value
        for name, value in cli.serve_environment().items()
        if not name.startswith(ENV_PREFIX)
    }
    env.update(
        {
            f"{ENV_PREFIX}ENVIRONMENT": "test",
            f"{ENV_PREFIX}ARTIFACTS_DIR": str(root / "artifacts"),
            f"{ENV_PREFIX}DATA_DIR": str(PROJECT_ROOT / "data"),
            f"{ENV_PREFIX}SERVING__PORT": str(port),
            f"{ENV_PREFIX}SERVING__API_KEYS": json.dumps(KEYS),
            f"{ENV_PREFIX}LOG_FORMAT": "json",
            # Its own BentoML home: every `bentoml serve` empties the Prometheus folder under
            # BENTOML_HOME when it starts, so servers sharing one wipe each other's metrics.
            "BENTOML_HOME": str(root / "bentoml"),
            # The live tests send corpora of hundreds of requests with one key; the rate limit
            # itself is tested in process (tests/serving/test_gateway.py).
            f"{ENV_PREFIX}SERVING__RATE_LIMIT_PER_MINUTE": "1000000",
            f"{ENV_PREFIX}SERVING__RATE_LIMIT_BURST": "100000",
        }
    )
    env.update(service_environment(request, live=True, model=model))
    return env


@pytest.fixture(scope="session")
def live_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """One real ``bentoml serve`` per session on a free port, with what every route needs (the
    ``pytest_service_environment`` hooks: e.g. the session's model, a fake LLM); yields its URL."""
    root = tmp_path_factory.mktemp("live-server")
    port = free_port()
    env = _server_environment(request, root, port)
    with serve(env, root, port) as base:
        yield base


@contextmanager
def serve(env: dict[str, str], root: Path, port: int) -> Iterator[str]:
    """``bentoml serve`` in ``root`` with ``env`` on ``port``: its URL once ready; stopped after."""
    log_path = root / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603
            cli.serve_command("127.0.0.1", port), env=env, cwd=root, stdout=log, stderr=log
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(base, process, log_path)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_until_up(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"bentoml serve exited with {process.returncode}:\n{log.read_text()[-3000:]}"
            )
        try:
            if httpx.get(f"{base}/livez", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    pytest.fail(f"bentoml serve was not up within {READY_TIMEOUT_S} s")


@pytest.fixture
def anonymous() -> Iterator[TestClient]:
    """A client of the service's ASGI app without credentials (startup/shutdown hooks run)."""
    with TestClient(asgi_app(), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def client(anonymous: TestClient) -> TestClient:
    """A client of the service's ASGI app that sends a valid API key."""
    anonymous.headers.update(AUTH)
    return anonymous


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real ``redis-server`` on a free loopback port (skipped when the binary is missing)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (Debian: apt-get install redis-server)")
    port = free_port()
    folder: Path = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(  # noqa: S603
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        else:
            pytest.fail("redis-server did not start within 10 s")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)
