"""LLM pillar: a pydantic-ai client configured from settings, plus a local fake OpenAI server.

Public interface (the agents and RAG pillars use it): :func:`build_model`, :func:`model_settings`,
:class:`LLMClient`, :class:`LLMResult`, :class:`TokenUsage`, :class:`LLMSettings` and
:class:`FakeOpenAIServer`. The client names are imported on first use: pydantic-ai takes seconds
to import and the CLI should not pay for it in commands that do not call a model.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .fake_server import FakeOpenAIServer
from .settings import LLMSettings

if TYPE_CHECKING:
    from .client import LLMClient, LLMResult, TokenUsage, build_model, model_settings

_CLIENT_NAMES = frozenset({"LLMClient", "LLMResult", "TokenUsage", "build_model", "model_settings"})

__all__ = [
    "FakeOpenAIServer",
    "LLMClient",
    "LLMResult",
    "LLMSettings",
    "TokenUsage",
    "build_model",
    "model_settings",
]


def __getattr__(name: str) -> Any:
    if name in _CLIENT_NAMES:
        return getattr(importlib.import_module(".client", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
