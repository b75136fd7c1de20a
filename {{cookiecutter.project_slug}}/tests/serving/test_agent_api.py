"""``/agent/runs``: start a run, stream its steps, fetch its record (agents pillar, fake LLM)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from {{ cookiecutter.package_name }}.agents import runs
from {{ cookiecutter.package_name }}.core.settings import ENV_PREFIX, get_settings


@pytest.fixture
def agent_backend(fake_llm: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The agents pillar's runner on the fake LLM server, with a fresh store."""
    monkeypatch.setenv(f"{ENV_PREFIX}LLM__BASE_URL", fake_llm)
    get_settings.cache_clear()
    runs.get_runner.cache_clear()
    yield
    runs.get_runner.cache_clear()


def test_start_stream_and_fetch_a_run(agent_backend: None, client: TestClient) -> None:
    started = client.post("/agent/runs", json={"task": "Summarise the on-call policy."})
    assert started.status_code == 202, started.text
    body = started.json()
    run_id = body["run_id"]
    assert body["steps_url"] == f"/agent/runs/{run_id}/steps"
    with client.stream("GET", body["steps_url"]) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        events = [line[6:] for line in stream.iter_lines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    steps = [json.loads(event) for event in events[:-1]]
    assert all(step["run_id"] == run_id for step in steps)
    record = client.get(body["status_url"])
    assert record.status_code == 200
    assert record.json()["run_id"] == run_id
    assert record.json()["status"] in {"succeeded", "failed", "interrupted"}


def test_unknown_run_is_404(agent_backend: None, client: TestClient) -> None:
    assert client.get("/agent/runs/nope").status_code == 404
    assert client.get("/agent/runs/nope/steps").status_code == 404


@pytest.mark.parametrize("body", [b"{}", b'{"task": ""}', b"not json", b'{"task": 1}'])
def test_invalid_start_is_422(client: TestClient, body: bytes) -> None:
    response = client.post(
        "/agent/runs", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422


def test_runs_need_an_api_key(anonymous: TestClient) -> None:
    assert anonymous.post("/agent/runs", json={"task": "x"}).status_code == 401
