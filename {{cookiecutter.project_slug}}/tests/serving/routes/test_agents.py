"""``/agent/runs``: start a run, stream its steps, fetch its record (agents pillar, fake LLM)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient
from structlog.testing import capture_logs

from {{ cookiecutter.package_name }}.agents import _runs as runs
from {{ cookiecutter.package_name }}.core.settings import ENV_PREFIX, get_settings
from {{ cookiecutter.package_name }}.llm import FakeOpenAIServer, Scripted
from {{ cookiecutter.package_name }}.serving import _budgets as budgets
from {{ cookiecutter.package_name }}.serving.service import asgi_app

from ..conftest import AUTH, OTHER_KEY, _server_environment, free_port, serve
from ..hostile import RAW_BODIES, Case, as_json

JSON = {"content-type": "application/json"}


@pytest.fixture
def agent_backend(fake_llm: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The agents pillar's runner on the fake LLM server, with a fresh store."""
    monkeypatch.setenv(f"{ENV_PREFIX}LLM__BASE_URL", fake_llm)
    get_settings.cache_clear()
    runs.reset_runner()
    yield
    runs.reset_runner()


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


def _queued_approval(task: str = "Save a note about the rota.") -> tuple[str, int]:
    """A stored run with one side-effect call waiting in the approval queue."""
    runner = runs.get_runner()
    run_id = runner.create(task).run_id
    return run_id, runner.store.add_approval(run_id, "executor", "save_note", {"text": "rota"})


def _approvers(monkeypatch: pytest.MonkeyPatch, names: list[str]) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}AGENTS__APPROVER_KEYS", json.dumps(names))
    get_settings.cache_clear()


def test_an_approver_key_lists_and_decides_queued_approvals(
    agent_backend: None, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    _approvers(monkeypatch, ["tests"])
    run_id, approval_id = _queued_approval()
    url = f"/agent/runs/{run_id}/approvals"

    pending = client.get(url).json()["approvals"]
    decided = client.post(f"{url}/{approval_id}", json={"approved": True})
    again = client.post(f"{url}/{approval_id}", json={"approved": False})

    assert [(a["approval_id"], a["tool"], a["status"]) for a in pending] == [
        (approval_id, "save_note", "pending")
    ]
    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "approved"
    assert again.status_code == 404  # already decided
    assert client.get(url).json()["approvals"] == []
    everything = client.get(url, params={"status": "all"}).json()["approvals"]
    assert [a["status"] for a in everything] == ["approved"]
    assert runs.approvals(run_id, status=None)[0].status == "approved"


def test_only_keys_named_approvers_decide(
    agent_backend: None, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id, approval_id = _queued_approval()
    url = f"/agent/runs/{run_id}/approvals/{approval_id}"

    nobody = client.post(url, json={"approved": True})
    _approvers(monkeypatch, ["other"])
    not_this_key = client.post(url, json={"approved": True})
    _approvers(monkeypatch, ["*"])
    anyone = client.post(url, json={"approved": False})

    assert nobody.status_code == not_this_key.status_code == 403
    assert "approver_keys" in nobody.json()["error"]
    assert anyone.status_code == 200
    assert anyone.json()["status"] == "denied"


def test_approval_requests_that_make_no_sense_are_4xx(
    agent_backend: None, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    _approvers(monkeypatch, ["tests"])
    run_id, approval_id = _queued_approval()
    other_run, _ = _queued_approval("Another task.")
    url = f"/agent/runs/{run_id}/approvals"

    assert client.get(url, params={"status": "maybe"}).status_code == 422
    assert client.get("/agent/runs/nope/approvals").status_code == 404
    assert client.post(f"{url}/{approval_id}", json={"approved": "maybe"}).status_code == 422
    assert client.post(f"{url}/{approval_id}", content=b"{}", headers=JSON).status_code == 422
    wrong_run = f"/agent/runs/{other_run}/approvals/{approval_id}"
    assert client.post(wrong_run, json={"approved": True}).status_code == 404
    assert client.post(f"{url}/999999", json={"approved": True}).status_code == 404
    assert runs.approvals(run_id)[0].status == "pending"  # none of these decided anything


@pytest.mark.slow
def test_twenty_concurrent_runs_through_the_live_service_all_succeed(live_server: str) -> None:
    """Runs started at once share the process's runner (and its model clients) safely."""

    async def run() -> list[dict[str, object]]:
        async with httpx.AsyncClient(base_url=live_server, headers=AUTH, timeout=60) as client:
            tasks = [f"Summarise note {n} of the on-call policy." for n in range(20)]
            started = await asyncio.gather(
                *(client.post("/agent/runs", json={"task": task}) for task in tasks)
            )
            assert [answer.status_code for answer in started] == [202] * 20
            records: list[dict[str, object]] = []
            # Correctness, not speed: on a loaded 2-core CI machine twenty runs sharing one
            # worker take minutes, so wait up to just under the runs' own time limit.
            deadline = time.monotonic() + 240
            for answer in started:
                url = answer.json()["status_url"]
                record = (await client.get(url)).json()
                while record["status"] in {"pending", "running"} and time.monotonic() < deadline:
                    await asyncio.sleep(0.2)
                    record = (await client.get(url)).json()
                records.append(record)
            return records

    records = asyncio.run(run())
    failures = [(r["status"], r["failure"]) for r in records if r["status"] != "succeeded"]
    assert failures == []


@pytest.fixture
def slow_llm(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAIServer]:
    """A fake model of this test's own (to script delays), with a 6,000-token day per key."""
    with FakeOpenAIServer() as server:
        monkeypatch.setenv(f"{ENV_PREFIX}LLM__BASE_URL", server.base_url)
        monkeypatch.setenv(f"{ENV_PREFIX}SERVING__DAILY_TOKENS_PER_KEY", "6000")
        get_settings.cache_clear()
        budgets._budgets.cache_clear()
        runs.reset_runner()
        yield server
        runs.reset_runner()
        budgets._budgets.cache_clear()


def _ended(client: TestClient, run_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    record: dict[str, Any] = client.get(f"/agent/runs/{run_id}").json()
    while record["status"] in {"pending", "running"} and time.monotonic() < deadline:
        time.sleep(0.1)
        record = client.get(f"/agent/runs/{run_id}").json()
    return record


def test_a_run_reserves_the_keys_day_and_keeps_only_what_it_spent(
    slow_llm: FakeOpenAIServer, client: TestClient
) -> None:
    slow_llm.script(Scripted(delay=2.0))  # the run's first model call takes 2 s
    first = client.post("/agent/runs", json={"task": "Summarise the on-call policy."})
    assert first.status_code == 202, first.text
    run_id = first.json()["run_id"]
    # The run's limit (100,000 tokens) is capped at what the key had left: all 6,000.
    assert runs.get_runner().store.load_state(run_id).limits.max_total_tokens == 6000

    while_running = client.post("/agent/runs", json={"task": "Another task."})
    elsewhere = client.post(
        "/v1/chat/completions",
        json={"model": "fake-echo", "messages": [{"role": "user", "content": "hi"}]},
    )
    other_key = client.post(
        "/agent/runs",
        json={"task": "Another task."},
        headers={"authorization": f"Bearer {OTHER_KEY}"},
    )

    assert while_running.status_code == 429, while_running.text
    body = while_running.json()
    assert body["budget"] == "daily_tokens"
    assert body["resets_at"].endswith("T00:00:00Z")
    assert body["request_id"] == while_running.headers["x-request-id"]
    assert int(while_running.headers["retry-after"]) > 0
    assert elsewhere.status_code == 429  # one budget per key, whichever endpoint spends it
    assert other_key.status_code == 202  # another key's day is its own
    record = _ended(client, run_id)
    assert record["status"] == "succeeded", record
    spent = record["usage"]["input_tokens"] + record["usage"]["output_tokens"]
    assert 0 < spent < 6000
    _ended(client, other_key.json()["run_id"])

    after = client.post("/agent/runs", json={"task": "A third task."})
    assert after.status_code == 202, after.text  # the run settled: the unspent tokens are back
    capped = runs.get_runner().store.load_state(after.json()["run_id"]).limits
    assert capped.max_total_tokens == 6000 - spent
    _ended(client, after.json()["run_id"])


def test_a_service_shutting_down_stops_its_runs_and_gives_back_their_reservations(
    slow_llm: FakeOpenAIServer,
) -> None:
    """A rolling deploy's SIGTERM: the run ends interrupted, its key keeps only what it spent."""
    slow_llm.script(Scripted(delay=30.0))  # the run's first model call outlives the server
    with TestClient(asgi_app(), raise_server_exceptions=False) as stopping:
        stopping.headers.update(AUTH)
        started = stopping.post("/agent/runs", json={"task": "Summarise the on-call policy."})
        assert started.status_code == 202, started.text
        run_id = started.json()["run_id"]
        deadline = time.monotonic() + 30
        while stopping.get(f"/agent/runs/{run_id}").json()["status"] != "running":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        refused = stopping.post("/agent/runs", json={"task": "Another task."})
        assert refused.status_code == 429  # the running one holds the whole day
        shutdown_started = time.monotonic()
    # The lifespan shutdown ran the service's shutdown hooks.
    assert time.monotonic() - shutdown_started < 15  # it did not wait for the model's 30 s

    record = runs.get_run(run_id)
    assert record.status == "interrupted"
    with TestClient(asgi_app(), raise_server_exceptions=False) as restarted:
        restarted.headers.update(AUTH)
        again = restarted.post("/agent/runs", json={"task": "A task after the restart."})
        assert again.status_code == 202, again.text  # was 429: the reservation stayed all day
        capped = runs.get_runner().store.load_state(again.json()["run_id"]).limits
        spent = record.usage.input_tokens + record.usage.output_tokens
        assert capped.max_total_tokens == 6000 - spent
        _ended(restarted, again.json()["run_id"])


TOOLS_MODULE = '''
def stock_level(sku: str) -> int:
    """Units of ``sku`` in stock.

    Args:
        sku: the article number, e.g. `A-1`.
    """
    raise ConnectionError(f"inventory DB postgres://admin:hunter2@10.1.2.3/stock has no {sku}")
'''


def test_a_failing_tools_details_stay_in_the_log_not_in_the_run(
    agent_backend: None,
    client: TestClient,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (tmp_path / "shop_tools.py").write_text(TOOLS_MODULE, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv(f"{ENV_PREFIX}AGENTS__TOOLS", json.dumps(["shop_tools:stock_level"]))
    get_settings.cache_clear()
    runs.reset_runner()
    task = 'As the executor, check the stock: call:stock_level {"sku": "A-1"}'

    with capture_logs() as logs:
        started = client.post("/agent/runs", json={"task": task})
        assert started.status_code == 202, started.text
        run_id = started.json()["run_id"]
        record = _ended(client, run_id)
        with client.stream("GET", f"/agent/runs/{run_id}/steps") as stream:
            events = [line[6:] for line in stream.iter_lines() if line.startswith("data: ")]

    calls = [call for event in events[:-1] for call in json.loads(event)["tool_calls"]]
    assert [(c["tool"], c["outcome"]) for c in calls][:1] == [("stock_level", "error")]
    assert calls[0]["result"] == "tool 'stock_level' failed: unavailable (connection error)"
    seen_by_users = json.dumps(events) + json.dumps(record)
    for secret in ("hunter2", "10.1.2.3", "postgres://", "ConnectionError"):
        assert secret not in seen_by_users
    failed = [entry for entry in logs if entry["event"] == "agent tool failed"]
    assert failed
    assert failed[0]["run_id"] == run_id
    assert "hunter2" in str(failed[0]["exc_info"])
    sys.modules.pop("shop_tools", None)


@pytest.fixture(scope="module")
def tool_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path]]:
    """A real ``bentoml serve`` whose agents may call a tool of yours that fails; its URL, log."""
    root = tmp_path_factory.mktemp("tool-server")
    (root / "code").mkdir()
    (root / "code" / "shop_tools.py").write_text(TOOLS_MODULE, encoding="utf-8")
    port = free_port()
    env = _server_environment(request, root, port, model=False)  # scores nothing
    env["PYTHONPATH"] = os.pathsep.join([str(root / "code"), env.get("PYTHONPATH", "")])
    env[f"{ENV_PREFIX}AGENTS__TOOLS"] = json.dumps(["shop_tools:stock_level"])
    with serve(env, root, port) as url:
        yield url, root / "server.log"


@pytest.mark.slow
def test_a_failing_tools_details_stay_in_the_server_log(tool_server: tuple[str, Path]) -> None:
    """Through the served process: users read the category, the log has the exception."""
    url, log = tool_server
    task = 'As the executor, check the stock: call:stock_level {"sku": "A-1"}'
    with httpx.Client(base_url=url, headers=AUTH, timeout=60) as client:
        started = client.post("/agent/runs", json={"task": task})
        assert started.status_code == 202, started.text
        run_id = started.json()["run_id"]
        with client.stream("GET", f"/agent/runs/{run_id}/steps") as stream:
            events = [line[6:] for line in stream.iter_lines() if line.startswith("data: ")]
        record = client.get(f"/agent/runs/{run_id}").json()

    calls = [call for event in events[:-1] for call in json.loads(event)["tool_calls"]]
    assert calls[0]["tool"] == "stock_level"
    assert calls[0]["result"] == "tool 'stock_level' failed: unavailable (connection error)"
    seen_by_users = json.dumps(events) + json.dumps(record)
    for secret in ("hunter2", "10.1.2.3", "postgres://", "ConnectionError"):
        assert secret not in seen_by_users
    logged = [
        line
        for line in log.read_text(encoding="utf-8").splitlines()
        if "agent tool failed" in line and run_id in line
    ]
    assert logged, "the failure is logged with the run id"
    assert "hunter2" in logged[0]  # the whole exception, for whoever runs the service


def agent_run_cases() -> list[Case]:
    """Malformed requests to /agent/runs: each answers 4xx, never 5xx, never a traceback."""
    cases: list[Case] = []
    bodies: dict[str, object] = {
        "no-task": {},
        "task-list": {"task": ["a"]},
        "task-huge": {"task": "t" * 5000},
        "task-null": {"task": None},
        "task-number": {"task": 5},
        "task-empty": {"task": ""},
        "unknown-field": {"task": "a", "approve_all": True},
    }
    cases += [Case(f"agent/{n}", "/agent/runs", as_json(b)) for n, b in bodies.items()]
    cases += [Case(f"agent/raw-{n}", "/agent/runs", b) for n, b in RAW_BODIES.items()]
    decide = "/agent/runs/nope/approvals/1"
    decisions: dict[str, object] = {
        "approved-yes": {"approved": "yes"},
        "approved-one": {"approved": 1},
        "approved-null": {"approved": None},
        "approved-missing": {},
        "approved-extra": {"approved": True, "by": "me"},
    }
    cases += [Case(f"decide/{n}", decide, as_json(b)) for n, b in decisions.items()]
    cases += [
        Case("runs/unknown", "/agent/runs/nope", b"", {}, method="GET"),
        Case("runs/unknown-steps", "/agent/runs/nope/steps", b"", {}, method="GET"),
        Case("runs/bad-status", "/agent/runs/nope/approvals?status=weird", b"", {}, method="GET"),
        Case("runs/approval-id-word", "/agent/runs/nope/approvals/abc", b"{}"),
        Case("runs/delete", "/agent/runs/nope", b"", {}, method="DELETE"),
    ]
    return cases


# Sent by tests/serving/test_bad_inputs.py with the service's own corpus (one app start).
HOSTILE_CASES = agent_run_cases()
