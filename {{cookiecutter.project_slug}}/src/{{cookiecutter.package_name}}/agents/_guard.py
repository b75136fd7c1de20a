"""Every tool call of a run goes through the guard: allowlists, budgets, loops, approval, data.

:class:`GuardedToolset` wraps the toolset a role gets. It hides tools outside the role's allowlist,
counts calls against ``max_tool_calls``, stops a loop (the same tool with the same arguments more
than ``max_identical_calls`` times), asks the approver before a tool marked ``side_effects`` runs,
turns a crashing tool into a message the model can recover from, and hands the result back as
delimited *data*: text inside ``<tool-output>`` never becomes instructions (role prompts say so,
and nothing from a tool result is ever copied into a role's instructions).

A tool that raises is reported by category only (:func:`failure_text`: timeout, unavailable,
invalid arguments with the field names...): that text is what the model reads and what the step
record keeps for users. The exception itself, which may hold hosts, paths or secrets, goes to the
service log with the run id. A tool that raises ``ModelRetry`` speaks to the model on purpose:
its message is passed on as written.
"""

from __future__ import annotations

import asyncio
import fnmatch
import inspect
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import structlog
from pydantic import ValidationError
from pydantic_ai import ModelRetry, RunContext
from pydantic_ai.toolsets import AbstractToolset, ToolsetTool, WrapperToolset

from ..monitoring.metrics import counter
from ..monitoring.tracing import get_tracer
from ._schemas import FailureKind, RunState, ToolCall
from ._store import RunStore
from ._tools import AgentDeps
from .settings import AgentsSettings

MAX_RESULT_CHARS = 4_000
log = structlog.get_logger(__name__)


def failure_text(tool: str, exc: Exception) -> str:
    """What users and the model read about ``tool`` raising ``exc``: a category, never its text."""
    if isinstance(exc, ValidationError):
        fields = sorted({".".join(map(str, error["loc"])) or "input" for error in exc.errors()})
        return f"tool '{tool}' failed: invalid arguments: {', '.join(fields)}"
    categories: tuple[tuple[type[BaseException], str], ...] = (
        (TimeoutError, "timeout"),
        (PermissionError, "not permitted"),
        (ConnectionError, "unavailable (connection error)"),
        (OSError, "unavailable (I/O error)"),
        (ValueError, "invalid input"),
        (TypeError, "invalid input"),
    )
    for kinds, category in categories:
        if isinstance(exc, kinds):
            return f"tool '{tool}' failed: {category}"
    return f"tool '{tool}' failed: internal error"


class RunStoppedError(Exception):
    """A hard limit ended the run (raised through the model loop; the runner records it)."""

    def __init__(self, kind: FailureKind, message: str) -> None:
        super().__init__(message)
        self.kind: FailureKind = kind


@dataclass(frozen=True)
class ToolRequest:
    """A side-effect tool call waiting for a human decision."""

    run_id: str
    role: str
    tool: str
    args: dict[str, Any]


Approver = Callable[[ToolRequest], bool | Awaitable[bool]]


def deny_all(request: ToolRequest) -> bool:
    """The safe default: refuse every side-effect call."""
    return False


def allow_all(request: ToolRequest) -> bool:
    """Approve every side-effect call (trusted, unattended setups only)."""
    return True


def approver_for(mode: str, store: RunStore | None = None, timeout_s: float = 300.0) -> Approver:
    """The approver named by the ``approval`` setting (``queue`` needs the run store)."""
    if mode == "allow":
        return allow_all
    if mode == "prompt":
        return _ask_terminal
    if mode == "queue" and store is not None:
        return QueueApprover(store, timeout_s)
    return deny_all


@dataclass(frozen=True)
class QueueApprover:
    """Queue each side-effect call in the run store; wait for ``runs.decide`` (e.g. over HTTP).

    An approval not decided within ``timeout_s`` is marked ``expired`` and the call is denied.
    The wait counts against the run's wall-clock limit.
    """

    store: RunStore
    timeout_s: float = 300.0
    poll_s: float = 0.1

    async def __call__(self, request: ToolRequest) -> bool:
        """Wait for the decision on ``request``."""
        approval_id = self.store.add_approval(
            request.run_id, request.role, request.tool, request.args
        )
        deadline = time.monotonic() + self.timeout_s
        while time.monotonic() < deadline:
            status = self.store.approval(approval_id).status
            if status != "pending":
                return status == "approved"
            await asyncio.sleep(self.poll_s)
        try:
            self.store.decide(approval_id, "expired")
        except LookupError:  # decided at the last moment
            return self.store.approval(approval_id).status == "approved"
        return False


async def _ask_terminal(request: ToolRequest) -> bool:
    question = f"[{request.role}] run {request.tool}({json.dumps(request.args)})? [y/N] "
    answer = await asyncio.to_thread(input, question)
    return answer.strip().lower() in {"y", "yes"}


def allowed(patterns: list[str], name: str) -> bool:
    """Whether ``name`` matches one of the allowlist ``patterns`` (``*`` wildcards)."""
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)


def as_data(tool: str, result: Any) -> str:
    """Wrap a tool result as delimited data (closing tags inside it are defused)."""
    text = result if isinstance(result, str) else json.dumps(result, default=str)
    text = text[:MAX_RESULT_CHARS].replace("</tool-output", "</tool_output")
    return f'<tool-output tool="{tool}">\n{text}\n</tool-output>'


@dataclass
class RunGuard:
    """One role turn's guard: run-wide budgets, loop detection within the turn, its tool calls.

    A loop is the same tool with the same arguments more than ``max_identical_calls`` times in one
    turn; across turns (a revision redoing a step) repetition is bounded by ``max_revisions``.
    """

    settings: AgentsSettings
    state: RunState
    approver: Approver = deny_all
    calls: list[ToolCall] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # identical calls in this role turn

    def admit(self, tool: str, args: dict[str, Any]) -> None:
        """Count a call; raise :class:`RunStoppedError` on the tool budget or a loop."""
        usage = self.state.usage
        if usage.tool_calls >= self.settings.max_tool_calls:
            self.calls.append(ToolCall(tool=tool, args=args, outcome="refused"))
            raise RunStoppedError(
                "tool_budget", f"tool-call budget of {self.settings.max_tool_calls} spent"
            )
        key = f"{tool}:{json.dumps(args, sort_keys=True, default=str)}"
        seen = self.counts.get(key, 0) + 1
        if seen > self.settings.max_identical_calls:
            self.calls.append(ToolCall(tool=tool, args=args, outcome="loop"))
            raise RunStoppedError(
                "loop", f"loop detected: {tool} called {seen} times with arguments {args}"
            )
        self.counts[key] = seen
        usage.tool_calls += 1

    async def approve(self, role: str, tool: str, args: dict[str, Any]) -> bool:
        """Ask the approver about a side-effect call."""
        decision = self.approver(ToolRequest(self.state.run_id, role, tool, args))
        return bool(await decision) if inspect.isawaitable(decision) else bool(decision)


@dataclass
class RoleDeps(AgentDeps):
    """What a role's tools may use: the notes and clock, plus the run's guard and scratchpad."""

    role: str = "executor"
    guard: RunGuard | None = None

    @property
    def scratchpad(self) -> dict[str, str]:
        """The run's scratchpad (persisted with the run state)."""
        return self.guard.state.scratchpad if self.guard else {}


class GuardedToolset(WrapperToolset[Any]):
    """A role's view of the shared tools: allowlisted, counted, approved, traced, data-wrapped."""

    def __init__(self, wrapped: AbstractToolset[Any], allow: list[str]) -> None:
        super().__init__(wrapped)
        self.allow = allow

    async def get_tools(self, ctx: RunContext[Any]) -> dict[str, ToolsetTool[Any]]:
        """Only the tools on the role's allowlist (others do not exist for the model)."""
        tools = await self.wrapped.get_tools(ctx)
        return {name: tool for name, tool in tools.items() if allowed(self.allow, name)}

    async def call_tool(
        self, name: str, tool_args: dict[str, Any], ctx: RunContext[Any], tool: ToolsetTool[Any]
    ) -> Any:
        """Run one call under the guard; see the module docstring for the rules."""
        deps: RoleDeps = ctx.deps
        guard = deps.guard
        if guard is None:
            return await super().call_tool(name, tool_args, ctx, tool)
        attributes = {"agent.run_id": guard.state.run_id, "agent.role": deps.role, "tool": name}
        with get_tracer(__name__).start_as_current_span(
            f"agent.tool {name}", attributes=attributes
        ):
            outcome, text = await self._call(
                guard=guard, role=deps.role, name=name, args=tool_args, ctx=ctx, tool=tool
            )
        counter("agent_tool_calls_total", "Agent tool calls", ["tool", "outcome"]).labels(
            name, outcome
        ).inc()
        return text

    async def _call(
        self,
        *,
        guard: RunGuard,
        role: str,
        name: str,
        args: dict[str, Any],
        ctx: RunContext[Any],
        tool: ToolsetTool[Any],
    ) -> tuple[str, str]:
        guard.admit(name, args)
        if (tool.tool_def.metadata or {}).get("side_effects") and not await guard.approve(
            role, name, args
        ):
            guard.calls.append(ToolCall(tool=name, args=args, outcome="denied"))
            denial = (
                "DENIED: this action was not approved (the approval setting denies it, a "
                "reviewer refused it, or no decision came in time). Do not retry it; continue "
                "without it."
            )
            return "denied", as_data(name, denial)
        try:
            result = await self.wrapped.call_tool(name, args, ctx, tool)
        except ModelRetry as exc:
            guard.calls.append(ToolCall(tool=name, args=args, outcome="error", result=str(exc)))
            raise
        except Exception as exc:  # a broken tool must not crash the run: the model adapts
            message = failure_text(name, exc)
            log.warning(
                "agent tool failed", run_id=guard.state.run_id, role=role, tool=name, exc_info=exc
            )
            guard.calls.append(ToolCall(tool=name, args=args, outcome="error", result=message))
            raise ModelRetry(f"{message}; try other arguments or go on without it") from exc
        text = as_data(name, result)
        guard.calls.append(ToolCall(tool=name, args=args, outcome="ok", result=text))
        return "ok", text
