"""A deterministic, offline stand-in for a tool-calling model (demo and local development).

:func:`scripted_model` returns a pydantic-ai ``FunctionModel`` that plans like a small agent with
fixed rules: on the first step it calls ``calculate`` for an arithmetic expression in the task,
``current_time`` when the task asks for the time or date, and ``search_notes`` with the task's
keywords when it mentions notes; once the tools answered, it writes the final answer from their
results. It needs no network and no API key, yet drives the real agent loop, tools and limits.
"""

from __future__ import annotations

import re

from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)
from pydantic_ai.models.function import AgentInfo, FunctionModel

from .._memory import keywords

_EXPRESSION = re.compile(r"[\d(][\d\s.()+\-*/%]*[\d)]")
_TIME_WORDS = frozenset({"time", "date", "today", "now"})
_NOTE_WORDS = frozenset({"note", "notes", "remember", "memory"})


def _task(messages: list[ModelMessage]) -> str:
    for message in messages:
        for part in message.parts:
            if isinstance(part, UserPromptPart) and isinstance(part.content, str):
                return part.content
    return ""


def plan(task: str) -> list[ToolCallPart]:
    """The tool calls the script makes for ``task`` (possibly none)."""
    calls: list[ToolCallPart] = []
    expression = next(
        (m.group().strip() for m in _EXPRESSION.finditer(task) if re.search(r"[-+*/%]", m.group())),
        None,
    )
    if expression:
        calls.append(ToolCallPart("calculate", {"expression": expression}))
    words = keywords(task)
    if words & _TIME_WORDS:
        calls.append(ToolCallPart("current_time", {}))
    if words & _NOTE_WORDS:
        topic = {word for word in words - _NOTE_WORDS - _TIME_WORDS if not word.isdigit()}
        query = " ".join(sorted(topic))
        calls.append(ToolCallPart("search_notes", {"query": query}))
    return calls


def _answer(messages: list[ModelMessage]) -> str:
    lines: list[str] = []
    for message in messages:
        if not isinstance(message, ModelRequest):
            continue
        for part in message.parts:
            if isinstance(part, ToolReturnPart) and part.outcome == "success":
                lines.append(f"{part.tool_name} -> {part.model_response_str()}")
            elif isinstance(part, ToolReturnPart):
                lines.append(f"{part.tool_name} failed: {part.model_response_str()}")
    if not lines:
        return "I have no tool for that; ask me to calculate, tell the time or search your notes."
    return "From my tools: " + "; ".join(lines)


def script(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    """One step: call the planned tools first, then answer from what they returned."""
    available = {tool.name for tool in info.function_tools}
    first_step = not any(isinstance(message, ModelResponse) for message in messages)
    calls = [call for call in plan(_task(messages)) if call.tool_name in available]
    if first_step and calls:
        return ModelResponse(parts=list(calls))
    return ModelResponse(parts=[TextPart(_answer(messages))])


def scripted_model() -> FunctionModel:
    """The scripted planner as a pydantic-ai model (``model_name`` ``scripted-planner``)."""
    return FunctionModel(script, model_name="scripted-planner")
