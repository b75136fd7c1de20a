"""Agents pillar: planner, researcher, executor and critic roles in an explicit, resumable workflow.

The model comes from the LLM pillar. Public interface: :class:`AgentRunner` (run, resume), the
background API of :mod:`._runs` (:func:`start_run`, optionally under tighter :class:`RunLimits`,
:func:`iter_steps`, :func:`get_run`, :func:`ended`, :func:`approvals`, :func:`decide`,
:func:`stop_runs`), the
typed records (:class:`RunRecord`, :class:`StepRecord`, :class:`RunState`, :class:`Plan`...),
the single tool agent (:func:`build_agent`, :func:`run_agent`), :class:`AgentsSettings` and
:class:`ToolSettings` (one of your own tools in its ``tools``). Names that need pydantic-ai are
imported on first use, since it takes seconds to import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..core.lazy import lazy_exports
from ._extensions import PILLAR_TOOLS
from ._memory import NotesMemory, ShortTermMemory
from ._schemas import (
    Critique,
    Failure,
    Plan,
    PlanStep,
    RunLimits,
    RunRecord,
    RunState,
    StepRecord,
    StepResult,
)
from .settings import AgentsSettings, MCPServerSettings, ToolSettings

if TYPE_CHECKING:
    from ._agent import (
        AgentLimitExceededError,
        AgentResult,
        ToolCallRecord,
        arun_agent,
        build_agent,
        run_agent,
    )
    from ._guard import RoleDeps, ToolRequest
    from ._runner import AgentRunner
    from ._runs import approvals, decide, ended, get_run, iter_steps, start_run, stop_runs
    from ._store import RunNotFoundError
    from ._tools import AgentDeps

_LAZY = {
    "AgentDeps": "._tools",
    "AgentLimitExceededError": "._agent",
    "AgentResult": "._agent",
    "AgentRunner": "._runner",
    "RoleDeps": "._guard",
    "RunNotFoundError": "._store",
    "ToolCallRecord": "._agent",
    "ToolRequest": "._guard",
    "approvals": "._runs",
    "arun_agent": "._agent",
    "build_agent": "._agent",
    "decide": "._runs",
    "ended": "._runs",
    "get_run": "._runs",
    "iter_steps": "._runs",
    "run_agent": "._agent",
    "start_run": "._runs",
    "stop_runs": "._runs",
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
    "RunLimits",
    "RunNotFoundError",
    "RunRecord",
    "RunState",
    "ShortTermMemory",
    "StepRecord",
    "StepResult",
    "ToolCallRecord",
    "ToolRequest",
    "ToolSettings",
    "approvals",
    "arun_agent",
    "build_agent",
    "decide",
    "ended",
    "get_run",
    "iter_steps",
    "run_agent",
    "start_run",
    "stop_runs",
]


__getattr__ = lazy_exports(__name__, _LAZY)
