"""Short-term window, episodic memory (embedding retrieval), scratchpad, state machine."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    ToolCallPart,
    ToolReturnPart,
)
from pydantic_ai.models.function import AgentInfo

from {{ cookiecutter.package_name }}.agents._episodes import EpisodicMemory
from {{ cookiecutter.package_name }}.agents._history import TRIMMED
from {{ cookiecutter.package_name }}.agents._memory import ShortTermMemory, estimate_tokens
from {{ cookiecutter.package_name }}.agents._schemas import Critique, Plan, RunState, StepResult
from {{ cookiecutter.package_name }}.agents._store import RunStore
from {{ cookiecutter.package_name }}.agents._workflow import advance, next_turn
from {{ cookiecutter.package_name }}.agents.settings import DEFAULT_ROLE_TOOLS, AgentsSettings
from {{ cookiecutter.package_name }}.embeddings import HashingEmbedder, Vectors

from .conftest import RunnerFactory, Script, respond


def test_short_term_memory_keeps_the_newest_entries_within_budget() -> None:
    memory = ShortTermMemory(budget_tokens=30)
    for number in range(10):
        memory.add(f"step {number}", f"result number {number} " * 4)
    window = memory.window()
    assert window[-1][0] == "step 9"
    assert sum(estimate_tokens(text) for _, text in window) <= 30
    assert memory.render().startswith(f"({10 - len(window)} earlier entries omitted)")


def test_episodic_memory_recalls_the_most_similar_run(store: RunStore) -> None:
    memory = EpisodicMemory(store, HashingEmbedder())
    memory.add_many(
        [
            ("r1", "Task: rotate the on-call schedule for Monday", "succeeded"),
            ("r2", "Task: compute the quarterly revenue growth", "failed: loop"),
            ("r3", "Task: deploy the service with the helm chart", "succeeded"),
        ]
    )
    best = memory.search("how do I deploy with helm?", k=2)
    assert best[0].text.endswith("helm chart")
    assert best[0].score > best[1].score
    assert EpisodicMemory(store, HashingEmbedder()).search("revenue growth", k=1)[0].outcome == (
        "failed: loop"
    )  # another process sees the same episodes


def test_planner_is_offered_similar_past_runs(make_runner: RunnerFactory) -> None:
    prompts: list[str] = []

    def planner(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        prompts.append(str(messages[0].parts[-1].content))  # type: ignore[union-attr]
        return respond(info, steps=[{"goal": "Compute 6 * 7", "role": "executor"}])

    asyncio.run(make_runner(Script({"planner": planner})).arun("What is 6 * 7?"))
    asyncio.run(make_runner(Script({"planner": planner})).arun("What is 6 * 7 again?"))
    assert "(none)" in prompts[0]
    assert "(succeeded) Task: What is 6 * 7?" in prompts[1]


def test_scratchpad_is_shared_by_steps_and_persisted(make_runner: RunnerFactory) -> None:
    def planner(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        steps = [{"goal": "Note the total", "role": "executor"}] * 2
        return respond(info, steps=steps)

    def executor(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        first = messages[0]
        prompt = str(first.parts[-1].content)  # type: ignore[union-attr]
        if "Step 1" in prompt and isinstance(messages[-1], ModelRequest) and len(messages) == 1:
            call = ToolCallPart("scratchpad_write", {"key": "total", "value": "42"})
            return ModelResponse(parts=[call])
        return respond(
            info, output=prompt.rsplit("Scratchpad: ", maxsplit=1)[-1].split("\n", maxsplit=1)[0]
        )

    runner = make_runner(Script({"planner": planner, "executor": executor}))
    record = asyncio.run(runner.arun("Keep a running total"))
    steps = runner.store.steps(record.run_id)
    assert steps[3].output["output"] == '{"total": "42"}'  # step 2 saw step 1's entry
    assert runner.store.load_state(record.run_id).scratchpad == {"total": "42"}


def test_state_machine_without_a_model() -> None:
    settings = AgentsSettings(max_revisions=1)
    state = RunState(run_id="r", task="t")
    assert next_turn(state, settings, []).role == "planner"
    advance(state, Plan.model_validate({"steps": [{"goal": "g", "role": "researcher"}]}), settings)
    assert (state.phase, next_turn(state, settings, []).role) == ("execute", "researcher")
    advance(state, StepResult(output="found it"), settings)
    assert next_turn(state, settings, []).role == "critic"
    advance(state, Critique(verdict="accept"), settings)
    assert (state.phase, next_turn(state, settings, []).role) == ("answer", "executor")
    advance(state, StepResult(output="the answer"), settings)
    advance(state, Critique(verdict="revise", issues=["too short"]), settings)
    assert (state.phase, state.feedback) == ("answer", "too short")
    advance(state, StepResult(output="the longer answer"), settings)
    advance(state, Critique(verdict="accept"), settings)
    assert (state.status, state.answer) == ("succeeded", "the longer answer")
    with pytest.raises(TypeError, match="cannot take"):
        advance(state, Plan(steps=[]), settings)


def test_long_turns_trim_their_oldest_tool_outputs(make_runner: RunnerFactory) -> None:
    seen: list[list[str]] = []

    def read_log(part: int) -> str:
        """Read one part of a long log file."""
        return f"part {part}: " + "x" * 2_000

    def researcher(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        returns = [
            str(p.content)
            for m in messages
            if isinstance(m, ModelRequest)
            for p in m.parts
            if isinstance(p, ToolReturnPart)
        ]
        seen.append(returns)
        if len(returns) < 3:
            return ModelResponse(parts=[ToolCallPart("read_log", {"part": len(returns)})])
        return respond(info, output="read 3 parts")

    role_tools = {**DEFAULT_ROLE_TOOLS, "researcher": ["read_log"]}
    runner = make_runner(
        Script({"researcher": researcher}),
        tools=[read_log],
        role_tools=role_tools,
        turn_history_tokens=1_200,
    )
    record = asyncio.run(runner.arun("Summarise the log"))
    last = seen[-1]
    assert last[0] == TRIMMED  # the oldest output made room
    assert last[-1].count("x") == 2_000  # the newest is intact
    assert record.status == "succeeded"
    step = runner.store.steps(record.run_id)[1]
    assert all(call.result.count("x") == 2_000 for call in step.tool_calls)  # transcript: full


class BrokenEmbedder(HashingEmbedder):
    """A remote embedder that is down."""

    def embed(self, texts: Sequence[str]) -> Vectors:
        raise ConnectionError("embeddings API unreachable")


def test_a_failing_embedder_costs_the_memories_not_the_run(store: RunStore) -> None:
    from {{ cookiecutter.package_name }}.agents._runner import AgentRunner  # noqa: PLC0415

    runner = AgentRunner(
        AgentsSettings(), models=Script().models(), store=store, embedder=BrokenEmbedder()
    )
    record = asyncio.run(runner.arun("What is 2 + 2?"))
    assert record.status == "succeeded"
    assert store.episodes(BrokenEmbedder().name) == []
