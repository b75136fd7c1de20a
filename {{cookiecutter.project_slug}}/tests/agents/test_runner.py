"""The workflow end to end with scripted roles: hand-offs, critique, limits and typed failures."""

from __future__ import annotations

import asyncio

import pytest
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    RetryPromptPart,
    ToolCallPart,
    ToolReturnPart,
)
from pydantic_ai.models.function import AgentInfo

from {{ cookiecutter.package_name }}.agents._schemas import Plan, RunLimits, StepRecord
from {{ cookiecutter.package_name }}.agents.settings import DEFAULT_ROLE_TOOLS

from .conftest import RunnerFactory, Script, respond

TASK = "What is (17 + 25) * 3, what is the date today, and what do my notes say about deployment?"


def test_plan_execute_critique_accept(make_runner: RunnerFactory) -> None:
    script = Script()
    runner = make_runner(script)
    seen: list[StepRecord] = []
    record = asyncio.run(runner.arun(TASK, on_step=seen.append))
    assert record.status == "succeeded"
    assert [(s.phase, s.role) for s in seen] == [
        ("plan", "planner"),
        ("execute", "executor"),
        ("critique", "critic"),
        ("execute", "researcher"),
        ("critique", "critic"),
        ("answer", "executor"),
        ("review", "critic"),
    ]
    plan = Plan.model_validate(seen[0].output)
    assert [step.role for step in plan.steps] == ["executor", "researcher"]
    assert [(c.tool, c.outcome) for c in seen[1].tool_calls] == [("calculate", "ok")]
    assert record.answer is not None
    assert "126" in record.answer
    assert "Helm chart" in record.answer
    assert "2025-01-31T12:00:00+00:00" in record.answer
    assert record.usage.tool_calls == 3
    assert record.steps == 7
    assert runner.store.steps(record.run_id) == seen  # every step persisted as it happened
    assert seen[1].messages  # typed messages of each hand-off are recorded


def test_critique_revise_then_accept(make_runner: RunnerFactory) -> None:
    prompts: list[str] = []
    verdicts: list[str] = []

    def critic(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        if not verdicts:
            verdicts.append("revise")
            return respond(info, verdict="revise", issues=["no unit"], revision="add the unit")
        return respond(info, verdict="accept")

    def executor(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        prompt = str(messages[0].parts[-1].content)  # type: ignore[union-attr]
        prompts.append(prompt)
        return respond(info, output="42 km" if "add the unit" in prompt else "42")

    script = Script({"critic": critic, "executor": executor})
    runner = make_runner(script)
    record = asyncio.run(runner.arun("How far is 6 * 7 km?"))
    steps = runner.store.steps(record.run_id)
    assert record.status == "succeeded"
    assert [(s.phase, s.attempt) for s in steps[1:4]] == [
        ("execute", 0),
        ("critique", 0),
        ("execute", 1),
    ]
    assert steps[2].output["verdict"] == "revise"
    assert "add the unit" in prompts[1]  # the critic's revision reached the executor
    assert steps[3].output["output"] == "42 km"


def test_critic_rejecting_too_often_ends_in_a_typed_failure(make_runner: RunnerFactory) -> None:
    def critic(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        return respond(info, verdict="revise", issues=["wrong"], revision="try again")

    runner = make_runner(Script({"critic": critic}), max_revisions=1)
    record = asyncio.run(runner.arun("What is 2 + 2?"))
    assert record.status == "failed"
    assert record.failure is not None
    assert record.failure.kind == "critic_rejected"
    assert record.answer is None  # never a fabricated success


def test_step_budget_exhausted(make_runner: RunnerFactory) -> None:
    runner = make_runner(max_steps=3)
    record = asyncio.run(runner.arun(TASK))
    steps = runner.store.steps(record.run_id)
    assert (record.status, record.failure and record.failure.kind) == ("failed", "step_budget")
    assert len([s for s in steps if s.role != "runner"]) == 3
    assert steps[-1].output["failure"]["kind"] == "step_budget"
    assert record.answer is None


def test_a_runs_own_limits_cap_the_settings_and_survive_a_resume(
    make_runner: RunnerFactory,
) -> None:
    """What its caller may still spend (e.g. an API key's day) stops a run below the settings."""
    runner = make_runner(max_total_tokens=100_000, max_cost_usd=100.0)
    state = runner.create(TASK, RunLimits(max_total_tokens=1))
    record = asyncio.run(runner.adrive(state))
    assert record.failure is not None
    assert record.failure.kind == "token_budget"
    assert "total_tokens_limit of 1" in record.failure.message
    assert record.steps == 1  # the planner's call went over the run's own limit
    # The call that went over still counts (what the caller is charged for).
    step = runner.store.steps(record.run_id)[0]
    assert step.usage.requests == 1
    assert record.usage.total_tokens == step.usage.total_tokens > 1
    resumed = asyncio.run(runner.aresume(record.run_id))  # the run's limits are stored with it
    assert resumed.failure is not None
    assert resumed.failure.kind == "token_budget"

    cost_capped = runner.create(TASK, RunLimits(max_cost_usd=0.0))
    stopped = asyncio.run(runner.adrive(cost_capped))
    assert stopped.failure is not None
    assert (stopped.failure.kind, stopped.usage.requests) == ("cost_budget", 0)


def test_cost_budget_exhausted(make_runner: RunnerFactory) -> None:
    runner = make_runner(max_cost_usd=0.01, input_cost_per_mtok=1000.0)
    record = asyncio.run(runner.arun(TASK))
    assert record.failure is not None
    assert record.failure.kind == "cost_budget"
    assert record.usage.cost_usd >= 0.01
    assert record.steps == 2  # the planner's step spent it; the next step was refused


def test_token_budget_exhausted(make_runner: RunnerFactory) -> None:
    record = asyncio.run(make_runner(max_total_tokens=150).arun(TASK))
    assert record.failure is not None
    assert record.failure.kind == "token_budget"


def test_repeated_identical_tool_call_is_a_loop(make_runner: RunnerFactory) -> None:
    def executor(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        return ModelResponse(parts=[ToolCallPart("calculate", {"expression": "1 + 1"})])

    runner = make_runner(Script({"executor": executor}), max_identical_calls=2)
    record = asyncio.run(runner.arun("What is 1 + 1?"))
    assert record.failure is not None
    assert record.failure.kind == "loop"
    last = runner.store.steps(record.run_id)[-1]
    assert [c.outcome for c in last.tool_calls] == ["ok", "ok", "loop"]


def test_tool_call_budget(make_runner: RunnerFactory) -> None:
    record = asyncio.run(make_runner(max_tool_calls=1).arun(TASK))
    assert record.failure is not None
    assert record.failure.kind == "tool_budget"
    assert record.usage.tool_calls == 1


def test_wall_clock_limit(make_runner: RunnerFactory) -> None:
    async def wait_for_it() -> str:
        """Wait for a slow upstream system."""
        await asyncio.sleep(5)
        return "too late"

    def executor(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        return ModelResponse(parts=[ToolCallPart("wait_for_it", {})])

    role_tools = {**DEFAULT_ROLE_TOOLS, "executor": ["wait_for_it"]}
    runner = make_runner(
        Script({"executor": executor}), tools=[wait_for_it], max_seconds=0.3, role_tools=role_tools
    )
    record = asyncio.run(runner.arun("What is 1 + 1?"))
    assert record.failure is not None
    assert record.failure.kind == "timeout"


def test_invalid_plan_is_sent_back_with_the_error(make_runner: RunnerFactory) -> None:
    retries: list[str] = []

    def planner(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        last = messages[-1]
        if isinstance(last, ModelRequest):
            retries.extend(
                str(p.content)
                for p in last.parts
                if isinstance(p, RetryPromptPart)
                or (isinstance(p, ToolReturnPart) and p.outcome != "success")
            )
        if not retries:
            return respond(info, steps=[])
        step = {"goal": "Compute 2 + 2", "role": "executor"}
        return respond(info, steps=[step])

    record = asyncio.run(make_runner(Script({"planner": planner})).arun("What is 2 + 2?"))
    assert record.status == "succeeded"
    assert "no steps" in retries[0]


def test_registry_offers_pillar_tools_exactly_when_the_pillar_is_installed() -> None:
    from {{ cookiecutter.package_name }}.agents._toolbox import build_toolset  # noqa: PLC0415
    from {{ cookiecutter.package_name }}.core.pillars import installed_pillars  # noqa: PLC0415

    names = set(build_toolset().tools)
    assert {"calculate", "current_time", "search_notes", "save_note"} <= names
    assert ("rag_search" in names) == ("rag" in installed_pillars())
    assert ("ml_predict" in names) == ("ml" in installed_pillars())
    assert build_toolset().tools["save_note"].metadata == {"side_effects": True}


def test_a_provider_error_is_a_typed_failure_and_the_run_can_resume(
    make_runner: RunnerFactory,
) -> None:
    def down(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        raise ConnectionError("provider unreachable")

    runner = make_runner(Script({"critic": down}))
    record = asyncio.run(runner.arun("What is 2 + 2?"))
    assert record.failure is not None
    assert (record.failure.kind, record.steps) == ("error", 3)
    assert runner.store.steps(record.run_id)[-1].role == "critic"  # who failed
    # Users see that it failed and where; the exception's text stays in the log.
    assert "provider unreachable" not in record.failure.message
    assert "ConnectionError" not in record.failure.message
    resumed = asyncio.run(make_runner().aresume(record.run_id))
    assert resumed.status == "succeeded"
    assert [s.seq for s in runner.store.steps(record.run_id)] == list(range(1, resumed.steps + 1))


def test_cost_uses_the_llm_pillars_prices_when_set(
    make_runner: RunnerFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from {{ cookiecutter.package_name }}.core.settings import ENV_PREFIX  # noqa: PLC0415

    monkeypatch.setenv(f"{ENV_PREFIX}LLM__INPUT_PRICE_PER_MTOK", "1000")
    record = asyncio.run(make_runner(max_cost_usd=0.01, input_cost_per_mtok=0.0).arun(TASK))
    assert record.failure is not None
    assert record.failure.kind == "cost_budget"


def test_the_same_call_in_different_steps_is_not_a_loop(make_runner: RunnerFactory) -> None:
    def planner(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        steps = [{"goal": f"Look up the time ({n})", "role": "researcher"} for n in range(3)]
        return respond(info, steps=steps)

    record = asyncio.run(
        make_runner(Script({"planner": planner}), max_identical_calls=1).arun("Time, thrice")
    )
    assert record.status == "succeeded"
    assert record.usage.tool_calls == 3  # current_time({}) once in each of three steps
