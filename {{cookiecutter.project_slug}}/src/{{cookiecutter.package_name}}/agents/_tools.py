"""The agent's tools and the typed ``deps`` they share.

A tool's docstring and signature are its schema: the model reads them to decide when and how to
call it, so keep them precise. A tool signals a bad call by raising ``ModelRetry``: pydantic-ai
sends the message back to the model, which can correct itself, instead of crashing the run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pydantic_ai import ModelRetry, RunContext

from ..llm import safe_eval
from ._memory import NotesMemory


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class AgentDeps:
    """What the tools may use: the notes memory and a clock (replaceable in tests)."""

    memory: NotesMemory = field(default_factory=NotesMemory.with_defaults)
    clock: Callable[[], datetime] = _utc_now


def calculate(expression: str) -> str:
    """Evaluate an arithmetic expression exactly, e.g. `(17 + 25) * 3` or `2 ** 10 / 4`.

    Args:
        expression: numbers with + - * / // % ** and parentheses; no variables or functions.
    """
    try:
        return str(safe_eval(expression))
    except ZeroDivisionError as exc:
        raise ModelRetry(f"{expression!r} divides by zero; fix the expression.") from exc
    except ValueError as exc:
        raise ModelRetry(f"{exc}. Use only numbers, operators and parentheses.") from exc


def current_time(ctx: RunContext[AgentDeps]) -> str:
    """Return the current date and time in UTC, ISO 8601 (e.g. `2025-01-31T09:30:00+00:00`)."""
    return ctx.deps.clock().astimezone(UTC).isoformat(timespec="seconds")


def search_notes(ctx: RunContext[AgentDeps], query: str) -> list[str]:
    """Find the user's notes about a topic: up to 3 notes, best match first, none if no match.

    Args:
        ctx: the run context holding the notes memory.
        query: a few keywords, e.g. `deployment helm` or `on-call rotation`.
    """
    return ctx.deps.memory.search(query)


def save_note(ctx: RunContext[AgentDeps], note: str) -> str:
    """Remember a short note for later questions in this session.

    Args:
        ctx: the run context holding the notes memory.
        note: the fact to remember, one sentence.
    """
    try:
        count = ctx.deps.memory.add(note)
    except ValueError as exc:
        raise ModelRetry(str(exc)) from exc
    return f"saved; {count} notes in memory"


DEFAULT_TOOLS = (calculate, current_time, search_notes, save_note)
