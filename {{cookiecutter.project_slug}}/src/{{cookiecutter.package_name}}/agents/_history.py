"""Short-term memory inside one role turn: the conversation trimmed to a token budget.

A role turn that calls many tools grows its message history with every result. Before each model
request, :func:`trim_tool_returns` replaces the content of the *oldest* tool results with a short
marker until the history fits the budget; the newest results, the prompt and every tool call stay
intact (so call/return pairs stay valid for the provider). The full results remain in the run's
step record (the guard keeps each tool call's output).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, cast

from pydantic_ai.messages import ModelMessage, ModelRequest, ToolReturnPart

from ._memory import estimate_tokens

TRIMMED = "[earlier tool output trimmed to fit the context budget; it is in the run transcript]"
History = list[ModelMessage]


def _size(message: ModelMessage) -> int:
    return sum(estimate_tokens(str(getattr(part, "content", ""))) for part in message.parts)


def trim_tool_returns(budget_tokens: int) -> Callable[[History], History]:
    """A pydantic-ai history processor keeping the history under ``budget_tokens`` (estimated)."""

    def process(messages: History) -> History:
        total = sum(_size(message) for message in messages)
        if total <= budget_tokens:
            return messages
        trimmed: History = []
        last = len(messages) - 1
        for index, message in enumerate(messages):
            if total > budget_tokens and index < last and isinstance(message, ModelRequest):
                parts = []
                for part in message.parts:
                    # exactly ToolReturnPart: its subclasses (tool search...) carry typed content
                    if type(part) is ToolReturnPart and total > budget_tokens:
                        total -= estimate_tokens(str(part.content)) - estimate_tokens(TRIMMED)
                        returned = cast("ToolReturnPart[Any]", part)
                        part = replace(returned, content=TRIMMED)  # noqa: PLW2901
                    parts.append(part)
                message = replace(message, parts=parts)  # noqa: PLW2901
            trimmed.append(message)
        return trimmed

    return process
