"""LLM pillar: a provider-agnostic pydantic-ai client, prompts, tools, grounding, embeddings, evals.

Public interface (the serving, RAG and agents pillars use it): :class:`LLMClient` (``run``,
``run_sync``, ``stream``) returning :class:`LLMResult` with :class:`TokenUsage`;
:func:`grounded_answer` with :class:`Passage` and :class:`GroundedAnswer`; :class:`PromptRegistry`;
:class:`ToolRegistry`; :func:`get_embedder` (the shared embeddings, configured by the ``llm``
settings); :class:`FakeOpenAIServer`. Names are imported on first use: pydantic-ai takes seconds to
import and CLI commands that call no model should not pay for it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .fake_server import FakeOpenAIServer, Scripted
from .settings import LLMSettings

if TYPE_CHECKING:
    from .arithmetic import safe_eval
    from .client import (
        BudgetExceededError,
        LLMClient,
        LLMResult,
        StructuredOutputError,
        TokenUsage,
        build_model,
        model_settings,
    )
    from .grounding import GroundedAnswer, Passage, grounded_answer
    from .models import get_embedder
    from .prompts import PromptRegistry, RenderedPrompt
    from .tools import ToolRegistry, default_tools
    from .usage import price

_LAZY = {
    "BudgetExceededError": "client",
    "LLMClient": "client",
    "LLMResult": "client",
    "StructuredOutputError": "client",
    "TokenUsage": "client",
    "build_model": "client",
    "model_settings": "client",
    "get_embedder": "models",
    "GroundedAnswer": "grounding",
    "Passage": "grounding",
    "grounded_answer": "grounding",
    "PromptRegistry": "prompts",
    "RenderedPrompt": "prompts",
    "ToolRegistry": "tools",
    "default_tools": "tools",
    "price": "usage",
    "safe_eval": "arithmetic",
}

__all__ = [
    "BudgetExceededError",
    "FakeOpenAIServer",
    "GroundedAnswer",
    "LLMClient",
    "LLMResult",
    "LLMSettings",
    "Passage",
    "PromptRegistry",
    "RenderedPrompt",
    "Scripted",
    "StructuredOutputError",
    "TokenUsage",
    "ToolRegistry",
    "build_model",
    "default_tools",
    "get_embedder",
    "grounded_answer",
    "model_settings",
    "price",
    "safe_eval",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
