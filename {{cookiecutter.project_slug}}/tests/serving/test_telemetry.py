"""Bounded request metrics: route templates, no series for refused keys, a cap, a flat /metrics."""

from __future__ import annotations

import logging
import secrets

import httpx
import pytest
from starlette.testclient import TestClient

from {{ cookiecutter.package_name }}.serving._telemetry import OTHER, RouteLabels, SeriesCap

from .conftest import AUTH

ROUTES = ["/info", "/agent/runs", "/agent/runs/{run_id}", "/agent/runs/{run_id}/steps"]


def test_paths_are_labelled_by_their_route_template() -> None:
    labels = RouteLabels(ROUTES)
    assert labels.label("/info") == "/info"
    assert labels.label("/agent/runs/abc123") == "/agent/runs/{run_id}"
    assert labels.label("/agent/runs/abc123/steps") == "/agent/runs/{run_id}/steps"
    assert labels.label("/agent/runs/a/b/c") == OTHER
    assert labels.label("/wp-admin.php\x00") == OTHER


def test_the_series_cap_folds_new_combinations_into_other() -> None:
    cap = SeriesCap(limit=2)
    assert cap.admit(("a", "GET")) == ("a", "GET")
    assert cap.admit(("b", "GET")) == ("b", "GET")
    assert cap.admit(("c", "GET")) == (OTHER, OTHER)
    assert cap.admit(("a", "GET")) == ("a", "GET")


def test_metrics_hold_no_raw_path_and_no_key_name(client: TestClient) -> None:
    client.post("/info")
    client.post("/no/such/path-" + "z" * 20, json={})
    client.post("/info", headers={"authorization": "Bearer wrong-key-wrong-key"})
    text = client.get("/metrics").text
    assert 'serving_requests_total{method="POST",route="/info",status="200"}' in text
    assert 'route="other"' in text
    assert "zzzzzzzzzz" not in text
    assert 'reason="invalid"' in text
    assert 'key="' not in text


def test_a_key_in_the_query_string_is_refused_and_not_logged(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    # INFO whatever an earlier test left the root logger's level at (the access line is INFO).
    caplog.set_level(logging.INFO)
    key = AUTH["Authorization"].removeprefix("Bearer ")
    response = client.post(f"/info?api_key={key}")
    assert response.status_code == 400
    assert "Authorization header" in response.json()["error"]
    service_lines = [r.getMessage() for r in caplog.records if not r.name.startswith("httpx")]
    assert service_lines
    assert not any(key in line for line in service_lines)
    assert client.post("/info?page=2").status_code == 200


@pytest.mark.slow
def test_thousands_of_junk_requests_leave_metrics_flat(live_server: str) -> None:
    """Random paths, with no key or a wrong one: /metrics does not grow (it was 6 KB -> 12.6 MB)."""

    def junk(client: httpx.Client, count: int) -> None:
        for n in range(count):
            path = "/" + secrets.token_urlsafe(18)
            headers = {} if n % 2 else {"authorization": f"Bearer wrong-{n:016d}"}
            client.post(path, json={}, headers=headers)
            client.get(path + "/x", headers=AUTH)  # with a valid key: a 404 of route "other"

    def series(text: str) -> set[str]:
        return {line.rsplit(" ", 1)[0] for line in text.splitlines() if not line.startswith("#")}

    with httpx.Client(base_url=live_server, timeout=30) as client:
        junk(client, 20)  # the first junk (and the first scrape) create their few fixed series
        client.get("/metrics")
        before = client.get("/metrics").text
        junk(client, 1500)  # 3,000 requests
        after = client.get("/metrics").text
    assert series(after) == series(before)  # no new series: only the counts moved
    assert len(after) <= len(before) * 1.05, (len(before), len(after))


@pytest.mark.slow
def test_the_live_server_never_logs_a_key_sent_in_the_url(
    live_server: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    marker = "url-key-" + secrets.token_hex(12)
    answer = httpx.post(f"{live_server}/info?api_key={marker}", timeout=10)
    assert answer.status_code == 400
    httpx.get(f"{live_server}/livez", timeout=10)  # the line before is flushed by now
    logs = list(tmp_path_factory.getbasetemp().rglob("server.log"))
    assert logs
    text = "".join(log.read_text(errors="replace") for log in logs)
    assert "/info?<redacted>" in text or '"path": "/info"' in text
    assert marker not in text
