"""What a call may be asked with: plain text, OpenAI-style chat messages, or a rendered prompt.

:func:`split_prompt` turns any of them into what a pydantic-ai agent takes: the last user message,
the instructions (system messages and the prompt's own) and the earlier turns as message history.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    TextPart,
    UserPromptPart,
)

from ._prompts import RenderedPrompt

ChatMessage = Mapping[str, Any]
"""``{"role": "system" | "user" | "assistant", "content": str}``, as in the OpenAI API."""

Prompt = str | RenderedPrompt | Sequence[ChatMessage]


@dataclass(frozen=True)
class PromptParts:
    """A prompt split for pydantic-ai."""

    user_prompt: str
    instructions: str | None
    history: list[ModelMessage] | None
    prompt_ref: str | None
    turns: tuple[tuple[str, str], ...] = ()
    """The earlier turns as ``(role, text)``: a stable cache key (messages carry timestamps)."""


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, Sequence):
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, Mapping))
    return str(content or "")


def _join(*texts: str | None) -> str | None:
    kept = [t for t in texts if t]
    return "\n\n".join(kept) if kept else None


def split_prompt(prompt: Prompt, instructions: str | None = None) -> PromptParts:
    """Split ``prompt``; ``instructions`` are added after any the prompt carries.

    Raises:
        ValueError: chat messages whose last message is not from the user, or an unknown role.
    """
    if isinstance(prompt, str):
        return PromptParts(prompt, instructions, None, None)
    if isinstance(prompt, RenderedPrompt):
        return PromptParts(prompt.text, _join(prompt.system, instructions), None, prompt.ref)
    messages = list(prompt)
    if not messages or messages[-1].get("role") != "user":
        raise ValueError("chat messages must end with a user message")
    system: list[str] = []
    history: list[ModelMessage] = []
    turns: list[tuple[str, str]] = []
    for message in messages[:-1]:
        role, text = message.get("role"), _text(message.get("content"))
        turns.append((str(role), text))
        if role in ("system", "developer"):
            system.append(text)
        elif role == "user":
            history.append(ModelRequest(parts=[UserPromptPart(text)]))
        elif role == "assistant":
            history.append(ModelResponse(parts=[TextPart(text)]))
        else:
            raise ValueError(f"unsupported chat role {role!r} (use system, user or assistant)")
    last = _text(messages[-1].get("content"))
    return PromptParts(last, _join(*system, instructions), history or None, None, tuple(turns))
