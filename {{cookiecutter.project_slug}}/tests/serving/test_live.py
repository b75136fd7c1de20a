"""A real ``bentoml serve`` on loopback, called with real HTTP clients (marked slow)."""

from __future__ import annotations

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from .conftest import AUTH, OTHER_KEY

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
