"""Agents pillar: a tool-using pydantic-ai agent with typed deps and hard limits.

The model comes from the LLM pillar (:class:`..llm.LLMClient`). Public interface:
:func:`build_agent`, :func:`run_agent`, :func:`arun_agent`, :class:`AgentResult`,
:class:`AgentDeps`, :class:`NotesMemory`, :class:`AgentsSettings`. The agent names are imported on
first use, since pydantic-ai takes seconds to import.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .memory import NotesMemory
from .settings import AgentsSettings

if TYPE_CHECKING:
    from .agent import (
        AgentLimitExceededError,
        AgentResult,
        ToolCallRecord,
        arun_agent,
        build_agent,
        run_agent,
    )
    from .tools import AgentDeps

_LAZY = {
    "AgentDeps": ".tools",
    "AgentLimitExceededError": ".agent",
    "AgentResult": ".agent",
    "ToolCallRecord": ".agent",
    "arun_agent": ".agent",
    "build_agent": ".agent",
    "run_agent": ".agent",
}

__all__ = [
    "AgentDeps",
    "AgentLimitExceededError",
    "AgentResult",
    "AgentsSettings",
    "NotesMemory",
    "ToolCallRecord",
    "arun_agent",
    "build_agent",
    "run_agent",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
