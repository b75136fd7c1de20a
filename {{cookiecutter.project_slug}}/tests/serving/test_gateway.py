from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, cast

import pytest
from starlette.middleware.cors import CORSMiddleware
from starlette.testclient import TestClient
from structlog.testing import capture_logs

from {{ cookiecutter.package_name }}.core.settings import ENV_PREFIX, CoreSettings, get_settings
from {{ cookiecutter.package_name }}.serving._gateway import GatewayMiddleware
from {{ cookiecutter.package_name }}.serving._middleware import Receive, Scope, Send, send_json
from {{ cookiecutter.package_name }}.serving.service import BentoService, cors_options, install
from {{ cookiecutter.package_name }}.serving.settings import ServingSettings

from .conftest import API_KEY, AUTH, OTHER_KEY


async def slow_or_failing(scope: Scope, receive: Receive, send: Send) -> None:
    """``/slow`` sleeps 1 s, ``/boom`` raises, anything else answers 200 with the path."""
    if scope["path"] == "/slow":
        await asyncio.sleep(1)
    if scope["path"] == "/boom":
        raise RuntimeError("secret internal detail")
    if scope["path"] == "/stubborn":  # swallows the cancellation and answers anyway
        try:
            await asyncio.sleep(1)
        except asyncio.CancelledError:
            await send_json(send, 503, {"error": "process is overloaded"})
            return
    if scope["path"] == "/converts":  # turns the cancellation into an error of its own
        try:
            await asyncio.sleep(1)
        except asyncio.CancelledError as cancelled:
            raise RuntimeError("overloaded") from cancelled
    await send_json(send, 200, {"path": scope["path"]})


def gateway_client(monkeypatch: pytest.MonkeyPatch, **serving: str) -> TestClient:
    for field, value in serving.items():
        monkeypatch.setenv(f"{ENV_PREFIX}SERVING__{field.upper()}", value)
    get_settings.cache_clear()
    app = GatewayMiddleware(slow_or_failing, settings=get_settings)
    return TestClient(app, raise_server_exceptions=False)


def test_missing_key_is_401_unknown_key_403(anonymous: TestClient) -> None:
    assert anonymous.post("/v1/echo", json={"text": "x"}).status_code == 401
    wrong = {"Authorization": "Bearer not-a-valid-key-at-all"}
    assert anonymous.post("/v1/echo", json={"text": "x"}, headers=wrong).status_code == 403
    assert anonymous.post("/info", headers={"Authorization": "Basic abc"}).status_code == 401


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": f"Bearer {API_KEY}"},
        {"authorization": f"bearer {OTHER_KEY}"},
        {"x-api-key": API_KEY},
    ],
)
def test_every_named_key_works_in_either_header(
    anonymous: TestClient, headers: dict[str, str]
) -> None:
    assert anonymous.post("/info", headers=headers).status_code == 200


def test_access_log_names_the_key_never_the_secret(
    anonymous: TestClient, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}SERVING__ACCESS_LOG", "all")
    get_settings.cache_clear()
    with caplog.at_level(logging.INFO):
        anonymous.post("/info", headers={"x-api-key": OTHER_KEY})
    text = caplog.text
    assert OTHER_KEY not in text
    records = [r for r in caplog.records if r.name == "serving.access"]
    assert records
    event = records[-1].msg
    assert isinstance(event, dict)
    assert event["key_name"] == "other"
    assert event["status"] == 200
    assert event["path"] == "/info"
    assert event["request_id"]


def test_access_log_by_default_has_errors_and_slow_requests_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every request is counted in the metrics; the default log keeps the ones to look at."""
    client = gateway_client(monkeypatch)
    with capture_logs() as logged:
        assert client.post("/fine", json={}, headers=AUTH).status_code == 200
        assert client.post("/boom", json={}, headers=AUTH).status_code == 500
        assert client.post("/slow", json={}, headers=AUTH).status_code == 200
    lines = [(e["path"], e["status"]) for e in logged if e["event"] == "request"]
    assert lines == [("/boom", 500), ("/slow", 200)]


def test_access_log_off_writes_no_line(monkeypatch: pytest.MonkeyPatch) -> None:
    client = gateway_client(monkeypatch, access_log="off")
    with capture_logs() as logged:
        assert client.post("/boom", json={}, headers=AUTH).status_code == 500
    assert [e for e in logged if e["event"] == "request"] == []


def test_request_id_is_echoed_or_generated(client: TestClient) -> None:
    given = client.post("/info", headers={"x-request-id": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    made = client.post("/info", headers={"x-request-id": "bad id with spaces"})
    assert made.headers["x-request-id"] != "bad id with spaces"
    assert len(made.headers["x-request-id"]) == 32


def test_security_headers_on_every_answer(anonymous: TestClient) -> None:
    for response in (anonymous.get("/livez"), anonymous.post("/info")):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"
    assert "default-src 'none'" in anonymous.post("/info").headers["content-security-policy"]


def test_auth_off_is_honoured_only_in_dev(monkeypatch: pytest.MonkeyPatch) -> None:
    client = gateway_client(monkeypatch, auth_enabled="false")
    assert client.get("/x").status_code == 401  # environment is "test"
    monkeypatch.setenv(f"{ENV_PREFIX}ENVIRONMENT", "dev")
    get_settings.cache_clear()
    assert client.get("/x").status_code == 200


def test_public_paths_are_configurable(monkeypatch: pytest.MonkeyPatch) -> None:
    client = gateway_client(monkeypatch, public_paths='["/docs*", "/x"]')
    assert client.get("/x").status_code == 200
    assert client.get("/docs.json").status_code == 200
    assert client.get("/livez").status_code == 401


def test_rate_limit_answers_429_with_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    client = gateway_client(monkeypatch, rate_limit_per_minute="6", rate_limit_burst="2")
    assert [client.get("/x", headers=AUTH).status_code for _ in range(2)] == [200, 200]
    limited = client.get("/x", headers=AUTH)
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["retry-after"]) <= 10
    # Buckets are per key: another key still passes.
    assert client.get("/x", headers={"x-api-key": OTHER_KEY}).status_code == 200


def test_redis_backend_shares_the_bucket_across_replicas(
    monkeypatch: pytest.MonkeyPatch, redis_url: str
) -> None:
    settings = {
        "rate_limit_backend": "redis",
        "redis_url": redis_url,
        "rate_limit_per_minute": "6",
        "rate_limit_burst": "3",
    }
    first = gateway_client(monkeypatch, **settings)
    second = gateway_client(monkeypatch, **settings)
    statuses = [c.get("/x", headers={"x-api-key": OTHER_KEY}).status_code for c in (first, second)]
    statuses += [first.get("/x", headers={"x-api-key": OTHER_KEY}).status_code]
    assert statuses == [200, 200, 200]
    limited = second.get("/x", headers={"x-api-key": OTHER_KEY})
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1


def test_unexpected_error_answers_500_with_request_id_and_no_trace(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    response = gateway_client(monkeypatch).get("/boom", headers=AUTH)
    assert response.status_code == 500
    body = response.json()
    assert body["request_id"] == response.headers["x-request-id"]
    assert "secret internal detail" not in response.text
    assert "Traceback" not in response.text


def test_slow_endpoint_answers_504(monkeypatch: pytest.MonkeyPatch) -> None:
    client = gateway_client(monkeypatch, endpoint_timeouts_s='{"/slow": 0.05}')
    response = client.get("/slow", headers=AUTH)
    assert response.status_code == 504
    assert client.get("/fast", headers=AUTH).status_code == 200


def test_an_app_that_ignores_the_timeout_still_gives_one_504(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = gateway_client(monkeypatch, endpoint_timeouts_s='{"/stubborn": 0.05}')
    response = client.get("/stubborn", headers=AUTH)
    assert response.status_code == 504
    assert response.json() == {"error": "no answer within 0.05 s"}
    client = gateway_client(monkeypatch, endpoint_timeouts_s='{"/converts": 0.05}')
    assert client.get("/converts", headers=AUTH).status_code == 504


def test_settings_are_read_per_request(monkeypatch: pytest.MonkeyPatch) -> None:
    """A new settings object (rotated keys) takes effect without rebuilding the app."""
    client = gateway_client(monkeypatch)
    assert client.get("/x", headers=AUTH).status_code == 200
    monkeypatch.setenv(f"{ENV_PREFIX}SERVING__API_KEYS", json.dumps({"new": "n" * 20}))
    get_settings.cache_clear()
    assert client.get("/x", headers=AUTH).status_code == 403
    assert client.get("/x", headers={"x-api-key": "n" * 20}).status_code == 200
    assert isinstance(get_settings(), CoreSettings)


def test_non_json_bodies_are_415(monkeypatch: pytest.MonkeyPatch) -> None:
    client = gateway_client(monkeypatch)
    form = {**AUTH, "content-type": "application/x-www-form-urlencoded"}
    assert client.post("/x", content=b"a=1", headers=form).status_code == 415
    json_utf8 = {**AUTH, "content-type": "application/json; charset=utf-8"}
    assert client.post("/x", content=b"{}", headers=json_utf8).status_code == 200
    assert client.post("/x", headers=AUTH).status_code == 200


def test_cors_preflight_needs_no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """OPTIONS passes the gateway without a key (CORS answers it when origins are set)."""
    client = gateway_client(monkeypatch)
    assert client.options("/x").status_code == 200


class RecordingService:
    """Stands in for the BentoML service object: records what ``install`` adds."""

    def __init__(self) -> None:
        self.middleware: list[type[Any]] = []
        self.mounts: list[str] = []

    def add_asgi_middleware(self, middleware_cls: type[Any], **options: Any) -> None:
        self.middleware.append(middleware_cls)

    def mount_asgi_app(self, app: Any, path: str = "/", name: str | None = None) -> None:
        self.mounts.append(path)


def test_cors_is_outermost_when_origins_are_set() -> None:
    recorder = RecordingService()
    settings = ServingSettings(cors_origins=["https://app.example.com"])
    install(cast(BentoService, recorder), settings, [])
    assert recorder.middleware[:2] == [CORSMiddleware, GatewayMiddleware]
    plain = RecordingService()
    install(cast(BentoService, plain), ServingSettings(), [])
    assert plain.middleware[0] is GatewayMiddleware


def test_cors_preflight_and_headers_on_rejected_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    get_settings.cache_clear()
    options = cors_options(ServingSettings(cors_origins=["https://app.example.com"]))
    app = CORSMiddleware(GatewayMiddleware(slow_or_failing, settings=get_settings), **options)
    client = TestClient(app)
    origin = {"origin": "https://app.example.com"}
    preflight = client.options("/x", headers={**origin, "access-control-request-method": "POST"})
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "https://app.example.com"
    rejected = client.get("/x", headers=origin)
    assert rejected.status_code == 401
    assert rejected.headers["access-control-allow-origin"] == "https://app.example.com"
    other = client.get("/x", headers={"origin": "https://evil.example.com", **AUTH})
    assert "access-control-allow-origin" not in other.headers
