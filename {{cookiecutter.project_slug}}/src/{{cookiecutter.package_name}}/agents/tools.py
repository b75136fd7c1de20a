"""The agent's tools and the typed ``deps`` they share.

A tool's docstring and signature are its schema: the model reads them to decide when and how to
call it, so keep them precise. A tool signals a bad call by raising ``ModelRetry``: pydantic-ai
sends the message back to the model, which can correct itself, instead of crashing the run.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pydantic_ai import ModelRetry, RunContext

from .memory import NotesMemory

Number = int | float

_BINARY: dict[type[ast.operator], Callable[[Number, Number], Number]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY: dict[type[ast.unaryop], Callable[[Number], Number]] = {
    ast.UAdd: operator.pos,
    ast.USub: operator.neg,
}
MAX_EXPONENT = 100
MAX_EXPRESSION = 200


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class AgentDeps:
    """What the tools may use: the notes memory and a clock (replaceable in tests)."""

    memory: NotesMemory = field(default_factory=NotesMemory.with_defaults)
    clock: Callable[[], datetime] = _utc_now


def _evaluate(node: ast.AST) -> Number:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        if isinstance(node.value, bool):
            raise ValueError("booleans are not numbers here")
        return node.value
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_evaluate(node.operand))
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _evaluate(node.left), _evaluate(node.right)
        if isinstance(node.op, ast.Pow) and abs(right) > MAX_EXPONENT:
            raise ValueError(f"exponent {right} is larger than {MAX_EXPONENT}")
        return _BINARY[type(node.op)](left, right)
    raise ValueError(f"unsupported syntax: {ast.dump(node)[:60]}")


def safe_eval(expression: str) -> Number:
    """Evaluate arithmetic (numbers, + - * / // % ** and parentheses) without ``eval``.

    Raises:
        ValueError: anything else (names, calls, attributes), or an over-long expression.
        ZeroDivisionError: division or modulo by zero.
    """
    if len(expression) > MAX_EXPRESSION:
        raise ValueError(f"expression longer than {MAX_EXPRESSION} characters")
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as exc:
        raise ValueError(f"not an arithmetic expression: {expression!r}") from exc
    return _evaluate(tree.body)


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
