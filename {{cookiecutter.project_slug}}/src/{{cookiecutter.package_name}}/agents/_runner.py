"""Drive runs through the workflow: one role turn per step, saved after every step.

:class:`AgentRunner` owns the roles, the shared tools, the run store and the episodic memory.
:meth:`AgentRunner.arun` starts a run, :meth:`AgentRunner.aresume` continues a stored one from its
last completed step. Before each step the run-wide limits are checked (steps, tokens, cost, wall
clock); inside a step pydantic-ai's usage limits and the tool guard apply. Any limit ends the run
as ``failed`` with a typed :class:`~.schemas.Failure`, and the steps so far stay in the store:
never a silent loop, never a made-up answer. Each step is an OpenTelemetry span and a log line.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import structlog
from pydantic_ai import Tool, capture_run_messages
from pydantic_ai.exceptions import UnexpectedModelBehavior, UsageLimitExceeded
from pydantic_ai.messages import ModelMessage, ModelMessagesTypeAdapter, ModelResponse
from pydantic_ai.models import Model
from pydantic_ai.toolsets import AbstractToolset
from pydantic_ai.usage import RunUsage, UsageLimits

from ..core.settings import get_settings
from ..embeddings import Embedder
from ..llm import explain_model_error
from ..monitoring.metrics import counter, histogram
from ..monitoring.tracing import get_tracer
from ._costs import turn_usage
from ._episodes import EpisodicMemory, default_embedder
from ._guard import Approver, GuardedToolset, RoleDeps, RunGuard, RunStoppedError, approver_for
from ._mcp_client import MCPToolset, connect_mcp
from ._memory import NotesMemory
from ._roles import Roles, build_roles
from ._schemas import TERMINAL, Failure, RunLimits, RunRecord, RunState, StepRecord, Usage
from ._store import RunStore
from ._toolbox import build_toolset, builtin_tools, role_toolsets
from ._user_tools import allow_user_tools, user_tools
from ._workflow import acting_role, advance, next_turn
from .settings import AgentsSettings
from .testing.scripted_roles import scripted_roles

log = structlog.get_logger(__name__)
StepCallback = Callable[[StepRecord], None]
# What a run record says about an unexpected error (its details go to the log, not to users).
INTERNAL_FAILURE = "the run stopped on an internal error; the service log has the details"


def agents_settings() -> AgentsSettings:
    """The project's ``agents`` settings section."""
    return get_settings().section("agents", AgentsSettings)


def default_store(settings: AgentsSettings) -> RunStore:
    """The run store at ``runs_db`` (relative paths are under ARTIFACTS_DIR)."""
    path = settings.runs_db
    return RunStore(path if path.is_absolute() else get_settings().artifacts_dir / path)


def _failure(exc: BaseException) -> Failure:
    if isinstance(exc, RunStoppedError):
        return Failure(kind=exc.kind, message=str(exc))
    if isinstance(exc, UsageLimitExceeded):
        text = str(exc)
        kind = "token_budget" if "tokens" in text else "request_budget"
        return Failure(kind=kind, message=text)
    if isinstance(exc, TimeoutError):
        return Failure(kind="timeout", message="wall-clock limit reached during a step")
    if isinstance(exc, UnexpectedModelBehavior):
        return Failure(kind="invalid_output", message=str(exc))
    if explained := explain_model_error(exc):
        # The provider failed (unreachable, key refused, rate limited...): the category is the
        # record's message; the provider's own text goes to the log only.
        log.warning("agent model request failed", category=explained.category, error=str(exc))
        return Failure(kind="model_error", message=explained.message)
    log.error("agent run failed", exc_info=exc)
    return Failure(kind="error", message=INTERNAL_FAILURE)


def _spent_in(messages: list[ModelMessage]) -> RunUsage:
    """What the model responses among ``messages`` spent (a turn that failed part-way)."""
    spent = RunUsage()
    for message in messages:
        if isinstance(message, ModelResponse):
            spent.incr(message.usage)
            spent.requests += 1
    return spent


class AgentRunner:
    """Run tasks through planner, researcher/executor and critic under hard limits.

    The tools are the built-in registry, your tools from the ``tools`` setting (each allowed for
    its roles), then ``tools`` passed here.

    Raises:
        PluginError: an entry of the ``tools`` setting is not a usable tool (names the setting).
    """

    def __init__(
        self,
        settings: AgentsSettings | None = None,
        *,
        models: Model | Mapping[str, Model] | None = None,
        store: RunStore | None = None,
        tools: Sequence[Tool[Any] | Callable[..., Any]] = (),
        approver: Approver | None = None,
        embedder: Embedder | None = None,
        notes: NotesMemory | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.settings = settings or agents_settings()
        if models is None and self.settings.scripted:
            models = dict(scripted_roles())
        self.store = store or default_store(self.settings)
        self.roles: Roles = build_roles(models, self.settings)
        yours = user_tools(self.settings.tools, taken=[tool.name for tool in builtin_tools()])
        self.toolset = build_toolset([*yours, *tools], max_retries=self.settings.tool_retries)
        self.role_toolsets = role_toolsets(
            self.toolset,
            allow_user_tools(self.settings.role_tools, self.settings.tools, yours),
            self.settings.tool_retries,
        )
        self.approver = approver or approver_for(
            self.settings.approval, self.store, self.settings.approval_timeout_s
        )
        self.memory = EpisodicMemory(
            self.store, embedder or default_embedder(self.settings.embedder)
        )
        self.notes = notes or NotesMemory.with_defaults()
        self.clock = clock or (lambda: datetime.now(UTC))

    def create(self, task: str, limits: RunLimits | None = None) -> RunState:
        """Store a new, not yet started run (``limits``: tighter than the settings' for it)."""
        state = RunState(run_id=uuid.uuid4().hex[:16], task=task, limits=limits or RunLimits())
        self.store.create_run(state)
        return state

    async def arun(self, task: str, on_step: StepCallback | None = None) -> RunRecord:
        """Run ``task`` to the end (success or typed failure); returns the stored run."""
        return await self.adrive(self.create(task), on_step)

    async def aresume(self, run_id: str, on_step: StepCallback | None = None) -> RunRecord:
        """Continue a stored run after its last completed step (a finished run is returned as is).

        A failed run resumes too: raise the limit that stopped it first, or it stops again.
        """
        state = self.store.load_state(run_id)
        if state.status == "succeeded":
            return self.store.get_run(run_id)
        state.failure = None
        return await self.adrive(state, on_step)

    async def adrive(self, state: RunState, on_step: StepCallback | None = None) -> RunRecord:
        """Take steps until the run succeeds or fails; saves after every step."""
        state.status = "running"
        self.store.save_state(state)
        attributes = {"agent.run_id": state.run_id}
        with get_tracer(__name__).start_as_current_span("agent.run", attributes=attributes):
            try:
                async with connect_mcp(
                    self.settings.mcp_servers, self.settings.tool_retries
                ) as mcp:
                    while state.status not in TERMINAL:
                        record = await self._step(state, mcp)
                        if on_step is not None:
                            on_step(record)
            except Exception as exc:  # e.g. an MCP server that does not start: a typed failure
                state = self.store.load_state(state.run_id)
                log.error("agent run failed", run_id=state.run_id, exc_info=exc)
                failure = Failure(kind="error", message=INTERNAL_FAILURE)
                state.status, state.failure = "failed", failure
                self.store.save_state(state)
            except BaseException:  # crash or cancellation: keep the last saved state
                self._mark_interrupted(state.run_id)
                raise
        self._remember(state)
        log.info(
            "agent.run.finished",
            run_id=state.run_id,
            status=state.status,
            failure=state.failure.kind if state.failure else None,
            steps=state.seq,
        )
        return self.store.get_run(state.run_id)

    def _mark_interrupted(self, run_id: str) -> None:
        saved = self.store.load_state(run_id)
        if saved.status not in TERMINAL:
            saved.status = "interrupted"
            self.store.save_state(saved)

    def _token_limit(self, state: RunState) -> int:
        own, limit = state.limits.max_total_tokens, self.settings.max_total_tokens
        return limit if own is None else min(own, limit)

    def _cost_limit(self, state: RunState) -> float:
        own = state.limits.max_cost_usd
        return self.settings.max_cost_usd if own is None else min(own, self.settings.max_cost_usd)

    def _check_limits(self, state: RunState) -> None:
        usage, limits = state.usage, self.settings
        if state.seq >= limits.max_steps:
            raise RunStoppedError("step_budget", f"step budget of {limits.max_steps} spent")
        tokens, cost = self._token_limit(state), self._cost_limit(state)
        if usage.total_tokens >= tokens:
            raise RunStoppedError("token_budget", f"token budget of {tokens} spent")
        if usage.cost_usd >= cost:
            raise RunStoppedError(
                "cost_budget", f"cost budget of ${cost:g} spent (${usage.cost_usd:.4f})"
            )
        if usage.seconds >= limits.max_seconds:
            raise RunStoppedError("timeout", f"wall-clock limit of {limits.max_seconds:g} s spent")

    async def _step(self, state: RunState, mcp: MCPToolset | None) -> StepRecord:
        started_at, started = (
            datetime.now(UTC).isoformat(timespec="milliseconds"),
            time.perf_counter(),
        )
        phase, step_index, attempt = state.phase, state.step_index, state.attempt
        guard = RunGuard(self.settings, state, self.approver)
        role, output, usage = "runner", {}, Usage()
        tracer = get_tracer(__name__)
        with tracer.start_as_current_span("agent.step") as span, capture_run_messages() as messages:
            try:
                self._check_limits(state)
                role = acting_role(state)  # named in the record even if its turn fails
                role, result, run_usage = await self._turn(state, guard, mcp)
                usage = turn_usage(run_usage, self.settings)
                advance(state, result, self.settings)
                output = result.model_dump()
            except Exception as exc:  # limits, invalid output, provider errors: typed failures
                usage = turn_usage(_spent_in(messages), self.settings)  # the calls made count
                state.status, state.failure = "failed", _failure(exc)
                output = {"failure": state.failure.model_dump()}
                span.set_attribute("agent.failure", state.failure.kind)
            span.set_attributes(
                {
                    "agent.run_id": state.run_id,
                    "agent.role": role,
                    "agent.phase": phase,
                    "agent.seq": state.seq + 1,
                    # The step's model calls (the playground's trace view sums them).
                    "gen_ai.usage.input_tokens": usage.input_tokens,
                    "gen_ai.usage.output_tokens": usage.output_tokens,
                    "llm.cost_usd": usage.cost_usd,
                }
            )
        seconds = time.perf_counter() - started
        usage.seconds, usage.tool_calls = seconds, len(guard.calls)
        self._add_usage(state, usage)
        state.seq += 1
        record = StepRecord(
            run_id=state.run_id,
            seq=state.seq,
            phase=phase,
            role=role,
            step_index=step_index,
            attempt=attempt,
            output=output,
            tool_calls=guard.calls,
            usage=usage,
            started_at=started_at,
            duration_ms=seconds * 1000,
            messages=ModelMessagesTypeAdapter.dump_python(messages, mode="json"),
        )
        self.store.save_step(state, record)
        self._observe(record)
        return record

    async def _turn(
        self, state: RunState, guard: RunGuard, mcp: MCPToolset | None
    ) -> tuple[str, Any, RunUsage]:
        episodes = (
            self.memory.recall(state.task, self.settings.memory_top_k)
            if state.phase == "plan"
            else []
        )
        turn = next_turn(state, self.settings, episodes)
        toolsets: list[AbstractToolset[Any]] = []
        if turn.role in self.role_toolsets:
            toolsets.append(self.role_toolsets[turn.role])
        if mcp is not None:
            toolsets.append(GuardedToolset(mcp, self.settings.role_tools.get(turn.role, [])))
        deps = RoleDeps(memory=self.notes, clock=self.clock, role=turn.role, guard=guard)
        limits = UsageLimits(
            request_limit=self.settings.max_requests_per_step,
            total_tokens_limit=self._token_limit(state) - state.usage.total_tokens,
        )
        agent: Any = {"planner": self.roles.planner, "critic": self.roles.critic}.get(
            turn.role
        ) or self.roles.worker(turn.role)
        async with asyncio.timeout(self.settings.max_seconds - state.usage.seconds):
            run = await agent.run(turn.prompt, deps=deps, usage_limits=limits, toolsets=toolsets)
        return turn.role, run.output, run.usage

    @staticmethod
    def _add_usage(state: RunState, step: Usage) -> None:
        total = state.usage
        total.requests += step.requests
        total.input_tokens += step.input_tokens
        total.output_tokens += step.output_tokens
        total.cost_usd += step.cost_usd
        total.seconds += step.seconds  # tool_calls are counted by the guard as they happen

    def _observe(self, record: StepRecord) -> None:
        outcome = "failed" if "failure" in record.output else "ok"
        counter("agent_steps_total", "Agent workflow steps", ["role", "outcome"]).labels(
            record.role, outcome
        ).inc()
        histogram("agent_step_seconds", "Agent step duration", ["role"]).labels(
            record.role
        ).observe(record.duration_ms / 1000)
        log.info(
            "agent.step",
            run_id=record.run_id,
            seq=record.seq,
            role=record.role,
            phase=record.phase,
            outcome=outcome,
            tool_calls=len(record.tool_calls),
            tokens=record.usage.total_tokens,
            ms=round(record.duration_ms, 1),
        )

    def _remember(self, state: RunState) -> None:
        goals = "; ".join(step.goal for step in state.plan.steps) if state.plan else "no plan"
        result = state.answer or (state.failure.message if state.failure else "")
        text = f"Task: {state.task} | Plan: {goals} | Result: {result[:300]}"
        outcome = state.status if state.failure is None else f"failed: {state.failure.kind}"
        self.memory.remember(state.run_id, text, outcome)
