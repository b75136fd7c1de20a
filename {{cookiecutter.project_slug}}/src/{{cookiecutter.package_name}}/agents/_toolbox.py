"""The shared tool registry the roles draw from (each role sees only its allowlist).

Built-in tools come from :mod:`._tools` (arithmetic, clock, notes) plus the run scratchpad; the
tools other pillars lend through :data:`._extensions.PILLAR_TOOLS` join next (``rag_search`` and
``ml_predict`` when those pillars are part of the project, see ``bridges/``), then the LLM
pillar's shared registry (``http_get`` on allowlisted hosts, read-only ``sql_query``) when those
are configured; user tools (the ``AGENTS__TOOLS`` setting, then those passed to the runner) come
last.
Tools that change things carry ``metadata={"side_effects": True}``: the guard asks for approval
before each call.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pydantic_ai import RunContext, Tool
from pydantic_ai.toolsets import FunctionToolset

from ..core.settings import get_settings
from ..llm import LLMSettings, default_tools
from ._extensions import PILLAR_TOOLS
from ._guard import GuardedToolset, RoleDeps, allowed
from ._tools import calculate, current_time, save_note, search_notes

SIDE_EFFECTS = {"side_effects": True}


def scratchpad_read(ctx: RunContext[RoleDeps]) -> dict[str, str]:
    """Read the run's scratchpad: notes the roles left for each other during this run."""
    return dict(ctx.deps.scratchpad)


def scratchpad_write(ctx: RunContext[RoleDeps], key: str, value: str) -> str:
    """Write one entry of the run's scratchpad (kept with the run, visible to later steps).

    Args:
        ctx: the run context.
        key: a short name, e.g. `total`.
        value: what to remember, one line.
    """
    ctx.deps.scratchpad[key[:64]] = value[:1000]
    return f"scratchpad[{key[:64]!r}] set"


def _pillar_tools() -> list[Tool[Any]]:
    return [Tool(function) for function in PILLAR_TOOLS.all()]


def _llm_tools(taken: set[str]) -> list[Tool[Any]]:
    """The LLM pillar's shared registry (HTTP GET and read-only SQL when configured)."""
    registry = default_tools(get_settings().section("llm", LLMSettings))
    return [tool for tool in registry.tools() if tool.name not in taken]


def builtin_tools() -> list[Tool[Any]]:
    """The tools every registry holds: arithmetic, clock, notes, scratchpad, installed pillars'."""
    return [
        Tool(calculate),
        Tool(current_time),
        Tool(search_notes),
        Tool(save_note, metadata=SIDE_EFFECTS),
        Tool(scratchpad_read),
        Tool(scratchpad_write),
        *_pillar_tools(),
    ]


def build_toolset(
    extra: Sequence[Tool[Any] | Callable[..., Any]] = (), *, max_retries: int = 2
) -> FunctionToolset[Any]:
    """The registry: built-in tools, tools of installed pillars, then ``extra`` (user tools)."""
    tools = builtin_tools()
    user = [item if isinstance(item, Tool) else Tool(item) for item in extra]
    taken = {tool.name for tool in tools + user}
    return FunctionToolset([*tools, *_llm_tools(taken), *user], max_retries=max_retries)


def role_toolsets(
    registry: FunctionToolset[Any], role_tools: dict[str, list[str]], max_retries: int = 2
) -> dict[str, GuardedToolset]:
    """One guarded toolset per role holding only its allowlisted tools (built once, reused).

    Roles without any allowed tool get none: their model requests carry no tool definitions.
    """
    toolsets: dict[str, GuardedToolset] = {}
    for role, patterns in role_tools.items():
        tools = [tool for name, tool in registry.tools.items() if allowed(patterns, name)]
        if tools:
            toolsets[role] = GuardedToolset(
                FunctionToolset(tools, max_retries=max_retries), patterns
            )
    return toolsets
