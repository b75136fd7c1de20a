"""Agents pillar: planner, researcher, executor and critic roles in an explicit, resumable workflow.

The model comes from the LLM pillar. Public interface: :class:`AgentRunner` (run, resume), the
background API of :mod:`.runs` (:func:`start_run`, :func:`iter_steps`, :func:`get_run`,
:func:`approvals`, :func:`decide`), the typed records (:class:`RunRecord`, :class:`StepRecord`,
:class:`RunState`, :class:`Plan`...), the single tool agent (:func:`build_agent`,
:func:`run_agent`) and :class:`AgentsSettings`. Names that need pydantic-ai are imported on first
use, since it takes seconds to import.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .extensions import PILLAR_TOOLS
from .memory import NotesMemory, ShortTermMemory
from .schemas import Critique, Failure, Plan, PlanStep, RunRecord, RunState, StepRecord, StepResult
from .settings import AgentsSettings, MCPServerSettings

if TYPE_CHECKING:
    from .agent import (
        AgentLimitExceededError,
        AgentResult,
        ToolCallRecord,
        arun_agent,
        build_agent,
        run_agent,
    )
    from .guard import RoleDeps, ToolRequest
    from .runner import AgentRunner
    from .runs import approvals, decide, get_run, iter_steps, start_run
    from .store import RunNotFoundError
    from .tools import AgentDeps

_LAZY = {
    "AgentDeps": ".tools",
    "AgentLimitExceededError": ".agent",
    "AgentResult": ".agent",
    "AgentRunner": ".runner",
    "RoleDeps": ".guard",
    "RunNotFoundError": ".store",
    "ToolCallRecord": ".agent",
    "ToolRequest": ".guard",
    "approvals": ".runs",
    "arun_agent": ".agent",
    "build_agent": ".agent",
    "decide": ".runs",
    "get_run": ".runs",
    "iter_steps": ".runs",
    "run_agent": ".agent",
    "start_run": ".runs",
}

__all__ = [
    "PILLAR_TOOLS",
    "AgentDeps",
    "AgentLimitExceededError",
    "AgentResult",
    "AgentRunner",
    "AgentsSettings",
    "Critique",
    "Failure",
    "MCPServerSettings",
    "NotesMemory",
    "Plan",
    "PlanStep",
    "RoleDeps",
    "RunNotFoundError",
    "RunRecord",
    "RunState",
    "ShortTermMemory",
    "StepRecord",
    "StepResult",
    "ToolCallRecord",
    "ToolRequest",
    "approvals",
    "arun_agent",
    "build_agent",
    "decide",
    "get_run",
    "iter_steps",
    "run_agent",
    "start_run",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
