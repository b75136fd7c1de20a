"""A tool-using agent with hard limits, built on the LLM pillar's model.

:func:`build_agent` makes a pydantic-ai agent from any model, instructions and tools, so more roles
(planner, researcher, executor, critic...) are more calls to it. :func:`run_agent` runs one task
under :class:`~.settings.AgentsSettings` limits and returns an :class:`AgentResult`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic_ai import Agent
from pydantic_ai.exceptions import UsageLimitExceeded
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    ToolCallPart,
    ToolReturnPart,
)
from pydantic_ai.models import Model
from pydantic_ai.usage import UsageLimits

from ..core.settings import get_settings
from ..llm import LLMClient, TokenUsage
from ._tools import DEFAULT_TOOLS, AgentDeps
from .settings import AgentsSettings

INSTRUCTIONS = (
    "You are a careful assistant. Use the tools instead of guessing: `calculate` for any "
    "arithmetic, `current_time` for the date or time, `search_notes` for what the user wrote "
    "down, `save_note` to remember something. Answer in a few sentences and say which facts "
    "came from tools."
)


class AgentLimitExceededError(RuntimeError):
    """The run hit one of the hard limits of :class:`~.settings.AgentsSettings`."""


@dataclass(frozen=True)
class ToolCallRecord:
    """One tool call of a run: its arguments and what the model got back."""

    tool: str
    args: dict[str, Any]
    result: str
    ok: bool


@dataclass(frozen=True)
class AgentResult:
    """The agent's answer and how it got there."""

    answer: str
    steps: int
    tool_calls: list[ToolCallRecord] = field(default_factory=list)
    usage: TokenUsage = field(default_factory=TokenUsage)


def _settings() -> AgentsSettings:
    return get_settings().section("agents", AgentsSettings)


def build_agent(
    model: Model | None = None,
    settings: AgentsSettings | None = None,
    *,
    instructions: str = INSTRUCTIONS,
    tools: Sequence[Any] = DEFAULT_TOOLS,
    name: str = "assistant",
) -> Agent[AgentDeps, str]:
    """A text-answering agent over ``tools`` that share :class:`~.tools.AgentDeps`.

    Without ``model``, the model and its request settings (timeout, temperature, max tokens) come
    from the LLM pillar's client. Build the agent once and pass it to :func:`run_agent` for
    repeated runs: building the model and the tool schemas takes tens of milliseconds.
    """
    request_settings = None
    if model is None:
        client = LLMClient()
        model, request_settings = client.resolved_model, client.model_settings
    return Agent(
        model,
        deps_type=AgentDeps,
        output_type=str,
        instructions=instructions,
        tools=list(tools),
        model_settings=request_settings,
        retries=(settings or _settings()).tool_retries,
        name=name,
        defer_model_check=True,
    )


def usage_limits(settings: AgentsSettings) -> UsageLimits:
    """pydantic-ai limits from the settings (the wall-clock limit is applied by the runner)."""
    return UsageLimits(
        request_limit=settings.max_requests_per_step,
        tool_calls_limit=settings.max_tool_calls,
        total_tokens_limit=settings.max_total_tokens,
    )


def tool_calls(messages: Sequence[ModelMessage]) -> list[ToolCallRecord]:
    """Pair each tool call of ``messages`` with its outcome, in call order.

    A call is ``ok`` when the tool returned; a tool that raised ``ModelRetry`` (or got invalid
    arguments) is recorded with the message the model was sent back.
    """
    outcomes: dict[str, tuple[str, bool]] = {}
    calls: list[ToolCallPart] = []
    for message in messages:
        for part in message.parts:
            if isinstance(message, ModelResponse) and isinstance(part, ToolCallPart):
                calls.append(part)
            elif isinstance(message, ModelRequest) and isinstance(part, ToolReturnPart):
                outcomes[part.tool_call_id] = (part.model_response_str(), part.outcome == "success")
    records: list[ToolCallRecord] = []
    for call in calls:
        result, ok = outcomes.get(call.tool_call_id, ("(not run)", False))
        records.append(
            ToolCallRecord(tool=call.tool_name, args=call.args_as_dict(), result=result, ok=ok)
        )
    return records


async def arun_agent(
    task: str,
    *,
    agent: Agent[AgentDeps, str] | None = None,
    deps: AgentDeps | None = None,
    settings: AgentsSettings | None = None,
) -> AgentResult:
    """Run ``task`` under the limits of ``settings`` (defaults: the project's settings).

    Without ``agent``, one is built by :func:`build_agent` on the LLM pillar's model.

    Raises:
        AgentLimitExceededError: too many steps, tool calls or tokens, or too many seconds.
    """
    limits = settings or _settings()
    agent = agent or build_agent(settings=limits)
    try:
        async with asyncio.timeout(limits.max_seconds):
            run = await agent.run(task, deps=deps or AgentDeps(), usage_limits=usage_limits(limits))
    except UsageLimitExceeded as exc:
        raise AgentLimitExceededError(f"agent stopped: {exc} ({_hint(limits)})") from exc
    except TimeoutError as exc:
        message = f"agent stopped: no answer within {limits.max_seconds:g} s ({_hint(limits)})"
        raise AgentLimitExceededError(message) from exc
    return AgentResult(
        answer=run.output,
        steps=run.usage.requests,
        tool_calls=tool_calls(run.all_messages()),
        usage=TokenUsage.from_run(run.usage),
    )


def run_agent(
    task: str,
    *,
    agent: Agent[AgentDeps, str] | None = None,
    deps: AgentDeps | None = None,
    settings: AgentsSettings | None = None,
) -> AgentResult:
    """Synchronous :func:`arun_agent` (not for use inside a running event loop)."""
    return asyncio.run(arun_agent(task, agent=agent, deps=deps, settings=settings))


def _hint(settings: AgentsSettings) -> str:
    names = ("max_requests_per_step", "max_tool_calls", "max_total_tokens", "max_seconds")
    limits = settings.model_dump(include=set(names))
    return "limits " + json.dumps(limits) + "; raise them with ..._AGENTS__<LIMIT> variables"
