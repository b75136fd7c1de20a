"""Background runs (the serving pillar's interface), observability, and the OpenAI wire path."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic_ai.messages import ModelMessage, ModelResponse, ToolCallPart
from pydantic_ai.models.function import AgentInfo
from structlog.testing import capture_logs

from {{ cookiecutter.package_name }}.agents._memory import NotesMemory
from {{ cookiecutter.package_name }}.agents._runner import AgentRunner
from {{ cookiecutter.package_name }}.agents._runs import (
    approvals,
    decide,
    get_run,
    iter_steps,
    start_run,
    wait,
)
from {{ cookiecutter.package_name }}.agents._store import RunNotFoundError, RunStore
from {{ cookiecutter.package_name }}.agents.settings import AgentsSettings
from {{ cookiecutter.package_name }}.core.settings import ENV_PREFIX
from {{ cookiecutter.package_name }}.llm import FakeOpenAIServer
from {{ cookiecutter.package_name }}.llm.testing.fake_server import Scripted
from {{ cookiecutter.package_name }}.monitoring.settings import MonitoringSettings
from {{ cookiecutter.package_name }}.monitoring.tracing import setup_tracing, shutdown_tracing

from .conftest import RunnerFactory, Script, respond

TASK = "What is (17 + 25) * 3 and what do my notes say about deployment?"


def test_start_run_returns_at_once_and_steps_stream(make_runner: RunnerFactory) -> None:
    runner = make_runner()
    run_id = start_run(TASK, runner=runner)
    phases = [step.phase for step in iter_steps(run_id, runner=runner, timeout=30)]
    record = get_run(run_id, runner=runner)
    assert phases == ["plan", "execute", "critique", "execute", "critique", "answer", "review"]
    assert record.status == "succeeded"
    assert wait(run_id, runner=runner) == record
    with pytest.raises(RunNotFoundError):
        get_run("missing", runner=runner)


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    setup_tracing(MonitoringSettings(), exporter=exporter, set_global=False)
    yield exporter
    shutdown_tracing()


def test_every_step_and_tool_call_is_a_span_and_a_log_line(
    make_runner: RunnerFactory, spans: InMemorySpanExporter
) -> None:
    with capture_logs() as logs:
        record = asyncio.run(make_runner().arun(TASK))
    finished = spans.get_finished_spans()
    steps = [s for s in finished if s.name == "agent.step"]
    tools = [s for s in finished if s.name.startswith("agent.tool")]
    assert len(steps) == record.steps
    assert {s.attributes["agent.role"] for s in steps if s.attributes} == {
        "planner",
        "executor",
        "researcher",
        "critic",
    }
    assert sorted(s.name for s in tools) == ["agent.tool calculate", "agent.tool search_notes"]
    spent = 0
    for step in steps:  # each step's model calls, on its span
        assert step.attributes is not None
        used_in = step.attributes["gen_ai.usage.input_tokens"]
        used_out = step.attributes["gen_ai.usage.output_tokens"]
        assert isinstance(used_in, int)
        assert isinstance(used_out, int)
        spent += used_in + used_out
    assert spent == record.usage.total_tokens
    run_span = next(s for s in finished if s.name == "agent.run")
    assert all(s.parent and s.parent.span_id == run_span.context.span_id for s in steps)
    step_logs = [entry for entry in logs if entry["event"] == "agent.step"]
    assert [entry["seq"] for entry in step_logs] == list(range(1, record.steps + 1))
    assert all(entry["run_id"] == record.run_id for entry in step_logs)


def test_a_failed_step_span_names_the_failure(
    make_runner: RunnerFactory, spans: InMemorySpanExporter
) -> None:
    record = asyncio.run(make_runner(max_steps=1).arun(TASK))
    last = [s for s in spans.get_finished_spans() if s.name == "agent.step"][-1]
    assert record.failure is not None
    assert last.attributes is not None
    assert last.attributes["agent.failure"] == "step_budget"


def test_transcript_is_json(make_runner: RunnerFactory, store: RunStore) -> None:
    record = asyncio.run(make_runner().arun(TASK))
    transcript = json.loads(json.dumps(store.transcript(record.run_id)))
    assert transcript["run"]["answer"] == record.answer
    assert transcript["state"]["phase"] == "done"
    assert len(transcript["steps"]) == record.steps


def test_run_through_the_local_openai_server(
    fake_server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch, store: RunStore
) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}LLM__MODEL", "fake-echo")
    monkeypatch.setenv(f"{ENV_PREFIX}LLM__BASE_URL", fake_server.base_url)
    runner = AgentRunner(AgentsSettings(embedder="hashing"), store=store)
    record = asyncio.run(runner.arun("Summarise the deployment notes"))
    assert record.status == "succeeded"
    assert record.usage.requests == len(fake_server.requests) == record.steps
    first = fake_server.requests[0]
    assert any(
        m.get("role") == "system" and "planner" in str(m.get("content")) for m in first["messages"]
    )
    assert record.usage.input_tokens > 0


def _note_script() -> Script:
    def planner(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        return respond(info, steps=[{"goal": "Save the note", "role": "executor"}])

    def executor(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        if "Write the final answer" in str(messages[0].parts[-1].content):  # type: ignore[union-attr]
            return respond(info, output="Done.")
        if len(messages) == 1:
            return ModelResponse(parts=[ToolCallPart("save_note", {"note": "Ship on Friday."})])
        return respond(info, output="saved")

    return Script({"planner": planner, "executor": executor})


def test_queued_approval_is_decided_through_the_runs_api(make_runner: RunnerFactory) -> None:
    notes = NotesMemory()
    runner = make_runner(_note_script(), notes=notes, approval="queue")
    run_id = start_run("Remember that we ship on Friday", runner=runner)
    deadline = time.monotonic() + 30
    while not (waiting := approvals(run_id, runner=runner)) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert [(a.role, a.tool, a.args) for a in waiting] == [
        ("executor", "save_note", {"note": "Ship on Friday."})
    ]
    assert decide(waiting[0].approval_id, approved=True, runner=runner).status == "approved"
    record = wait(run_id, runner=runner)
    assert record.status == "succeeded"
    assert notes.notes == ["Ship on Friday."]
    with pytest.raises(LookupError, match="no pending approval"):
        decide(waiting[0].approval_id, approved=False, runner=runner)


def test_undecided_approval_expires_as_a_denial(make_runner: RunnerFactory) -> None:
    notes = NotesMemory()
    runner = make_runner(_note_script(), notes=notes, approval="queue", approval_timeout_s=0.2)
    record = asyncio.run(runner.arun("Remember that we ship on Friday"))
    assert notes.notes == []
    assert [a.status for a in approvals(record.run_id, runner=runner, status=None)] == ["expired"]
    assert runner.store.steps(record.run_id)[1].tool_calls[0].outcome == "denied"


def _use_fake_model(
    server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch, *, retries: int
) -> None:
    """The runner's model is the fake OpenAI server's, with ``retries`` SDK retries."""
    monkeypatch.setenv(f"{ENV_PREFIX}LLM__MODEL", "fake-echo")
    monkeypatch.setenv(f"{ENV_PREFIX}LLM__BASE_URL", server.base_url)
    monkeypatch.setenv(f"{ENV_PREFIX}LLM__MAX_RETRIES", str(retries))


def test_a_provider_refusing_the_key_fails_the_run_with_the_category(
    fake_server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch, store: RunStore
) -> None:
    _use_fake_model(fake_server, monkeypatch, retries=0)
    fake_server.script(Scripted(status=401))
    runner = AgentRunner(AgentsSettings(embedder="hashing"), store=store)
    with capture_logs() as logs:
        record = asyncio.run(runner.arun("What is 6 * 7?"))
    assert record.status == "failed"
    assert record.failure is not None
    assert record.failure.kind == "model_error"
    assert record.failure.message == (
        "the model provider refused the API key (fake-echo, HTTP 401)"
    )
    # The provider's own words stay in the log, out of the stored run.
    assert "scripted 401" not in runner.store.load_state(record.run_id).model_dump_json()
    assert any("scripted 401" in str(entry.get("error", "")) for entry in logs)


def test_scripted_run_over_the_wire_with_a_tool_call_and_a_retry(
    fake_server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch, store: RunStore
) -> None:
    _use_fake_model(fake_server, monkeypatch, retries=1)
    plan = {"steps": [{"goal": "Compute 6 * 7", "role": "executor"}], "rationale": "one step"}
    fake_server.script(
        Scripted(tool_calls=[("final_result", plan)]),
        Scripted(status=429, retry_after=0.01),  # the provider pushes back once: SDK retry
        Scripted(tool_calls=[("calculate", {"expression": "6 * 7"})]),
        Scripted(tool_calls=[("final_result", {"output": "42", "evidence": ["calculate"]})]),
        Scripted(tool_calls=[("final_result", {"verdict": "accept"})]),
        Scripted(tool_calls=[("final_result", {"output": "6 * 7 = 42"})]),
        Scripted(tool_calls=[("final_result", {"verdict": "accept"})]),
    )
    runner = AgentRunner(AgentsSettings(embedder="hashing"), store=store)
    record = asyncio.run(runner.arun("What is 6 * 7?"))
    assert (record.status, record.answer) == ("succeeded", "6 * 7 = 42")
    step = runner.store.steps(record.run_id)[1]
    assert [(c.tool, c.outcome) for c in step.tool_calls] == [("calculate", "ok")]
    tool_messages = [
        m for request in fake_server.requests for m in request["messages"] if m["role"] == "tool"
    ]
    assert any(
        '<tool-output tool="calculate">\n42\n</tool-output>' in str(m["content"])
        for m in tool_messages
    )
