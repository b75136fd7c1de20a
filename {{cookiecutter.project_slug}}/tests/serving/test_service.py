from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from {{ cookiecutter.package_name }} import __version__
from {{ cookiecutter.package_name }}.core.pillars import installed_pillars
from {{ cookiecutter.package_name }}.core.settings import ENV_PREFIX, get_settings
from {{ cookiecutter.package_name }}.serving._schemas import EchoRequest, InfoResponse
from {{ cookiecutter.package_name }}.serving.service import UVICORN_ACCESS_LOGGER, AIService, bento_service
from {{ cookiecutter.package_name }}.serving.settings import ServingSettings


def bento_service_config() -> dict[str, Any]:
    config: dict[str, Any] = getattr(bento_service(), "config")  # noqa: B009 - untyped SDK
    return config


def test_info_in_process_describes_the_project() -> None:
    info = AIService().info()
    assert info == InfoResponse(
        service=get_settings().section("serving", ServingSettings).service_name,
        version=__version__,
        pillars=installed_pillars(),
        environment="test",
        routes=info.routes,
    )
    assert "serving" in info.pillars


def test_one_access_line_per_request_uvicorn_s_is_off() -> None:
    AIService()
    assert not logging.getLogger(UVICORN_ACCESS_LOGGER).isEnabledFor(logging.INFO)


def test_echo_in_process_returns_text_and_stats() -> None:
    result = AIService().echo(EchoRequest(text="a b a", top_k=1))
    assert (result.text, result.characters, result.words) == ("a b a", 5, 3)
    assert [(item.word, item.count) for item in result.top_words] == [("a", 2)]


def test_health_endpoints_are_public(anonymous: TestClient) -> None:
    assert anonymous.get("/livez").status_code == 200
    # Ready only once every pillar is (a trained model, an index...): see the pillar tests.
    assert anonymous.get("/readyz").status_code in {200, 503}
    assert anonymous.get("/metrics").status_code == 200


def test_metrics_count_requests_by_route(client: TestClient) -> None:
    assert client.post("/v1/echo", json={"text": "count me"}).status_code == 200
    metrics = client.get("/metrics")
    assert metrics.status_code == 200
    assert 'serving_requests_total{method="POST",route="/v1/echo",status="200"}' in metrics.text
    assert 'serving_request_duration_seconds_bucket{le="0.005",route="/v1/echo"}' in metrics.text


def test_info_over_http(client: TestClient) -> None:
    response = client.post("/info")
    assert response.status_code == 200
    body = response.json()
    assert body["environment"] == "test"
    assert body["version"] == __version__
    assert body["pillars"] == installed_pillars()


def test_echo_over_http(client: TestClient) -> None:
    text = "Hello, hello world"
    response = client.post("/v1/echo", json={"text": text, "top_k": 1})
    assert response.status_code == 200
    body = response.json()
    assert body["characters"] == len(text)
    assert body["words"] == 3
    assert body["sha256"] == hashlib.sha256(text.encode()).hexdigest()
    assert body["top_words"] == [{"word": "hello", "count": 2}]


def test_invalid_field_answers_422_naming_the_field(client: TestClient) -> None:
    response = client.post("/v1/echo", json={"text": "", "top_k": 99})
    assert response.status_code == 422
    assert sorted(error["loc"][0] for error in response.json()["detail"]) == ["text", "top_k"]


def test_missing_field_answers_422(client: TestClient) -> None:
    response = client.post("/v1/echo", json={})
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "missing"


def test_malformed_json_answers_4xx(client: TestClient) -> None:
    response = client.post(
        "/v1/echo", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert 400 <= response.status_code < 500
    assert response.json()["detail"][0]["type"] == "json_invalid"


def test_oversized_body_answers_413(client: TestClient) -> None:
    limit = get_settings().section("serving", ServingSettings).max_request_body_bytes
    response = client.post(
        "/v1/echo", content=b" " * (limit + 1), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


def test_unknown_route_answers_404(client: TestClient) -> None:
    assert client.post("/v1/nope", json={}).status_code == 404


def test_traffic_limits_come_from_settings() -> None:
    settings = get_settings().section("serving", ServingSettings)
    traffic = bento_service_config()["traffic"]
    assert traffic["timeout"] == settings.request_timeout_s
    assert traffic["max_concurrency"] == settings.max_concurrency


def test_invalid_settings_stop_the_server_with_their_names(tmp_path: Path) -> None:
    """`bentoml serve` imports the service module; a bad variable ends it in two lines."""
    done = subprocess.run(
        [sys.executable, "-c", "import {{ cookiecutter.package_name }}.serving.service"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={**os.environ, f"{ENV_PREFIX}ENVIRONMENT": "staging2"},
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "invalid settings, the service cannot start:",
        f"  {ENV_PREFIX}ENVIRONMENT='staging2': Input should be 'dev', 'test', 'staging' or 'prod'",
    ]
