"""The shared tool registry the roles draw from (each role sees only its allowlist).

Built-in tools come from :mod:`.tools` (arithmetic, clock, notes) plus the run scratchpad; the RAG
pillar's search (``rag_search``) and the ML pillar's predictor (``ml_predict``) join when those
pillars are installed, and the LLM pillar's shared registry (``http_get`` on allowlisted hosts,
read-only ``sql_query``) when those are configured; user tools passed to the runner come last.
Tools that change things carry ``metadata={"side_effects": True}``: the guard asks for approval
before each call.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Sequence
from typing import Any

from pydantic_ai import RunContext, Tool
from pydantic_ai.toolsets import FunctionToolset

from ..core.pillars import ROOT_PACKAGE, installed_pillars, pillar_module
from ..core.settings import get_settings
from .guard import GuardedToolset, RoleDeps, allowed
from .tools import calculate, current_time, save_note, search_notes

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


def rag_search(query: str, k: int = 4) -> list[dict[str, Any]]:
    """Search the project's document index; returns passages with their source and score.

    Args:
        query: what to look for, in a few words or a question.
        k: how many passages (1-10).
    """
    api = pillar_module("rag", "api")
    if api is None:  # called directly in a project without RAG
        raise RuntimeError("the RAG pillar is not installed")
    hits = api.search(query, k=max(1, min(k, 10)))
    return [
        {"source": hit.source, "title": hit.title, "text": hit.text, "score": round(hit.score, 4)}
        for hit in hits
    ]


def ml_predict(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Score records with the production ML model; one prediction per record.

    Args:
        records: raw input rows as column -> value objects (the model's input schema).
    """
    inference = pillar_module("ml", "inference")
    if inference is None:  # called directly in a project without ML
        raise RuntimeError("the ML pillar is not installed")
    predictor = inference.Predictor.load()
    return [prediction.model_dump() for prediction in predictor.predict(records)]


def _present(pillar: str, module: str) -> bool:
    """Whether ``<package>.<pillar>.<module>`` exists, without importing it (ML takes seconds)."""
    if pillar not in installed_pillars():
        return False
    return importlib.util.find_spec(f"{ROOT_PACKAGE}.{pillar}.{module}") is not None


def _pillar_tools() -> list[Tool[Any]]:
    tools: list[Tool[Any]] = []
    if _present("rag", "api"):
        tools.append(Tool(rag_search))
    if _present("ml", "inference"):
        tools.append(Tool(ml_predict))
    return tools


def _llm_tools(taken: set[str]) -> list[Tool[Any]]:
    """The LLM pillar's shared registry (HTTP GET and read-only SQL when configured)."""
    module, settings_module = pillar_module("llm", "tools"), pillar_module("llm", "settings")
    factory = getattr(module, "default_tools", None)
    if factory is None or settings_module is None:
        return []
    registry = factory(get_settings().section("llm", settings_module.LLMSettings))
    return [tool for tool in registry.tools() if tool.name not in taken]


def build_toolset(
    extra: Sequence[Tool[Any] | Callable[..., Any]] = (), *, max_retries: int = 2
) -> FunctionToolset[Any]:
    """The registry: built-in tools, tools of installed pillars, then ``extra`` (user tools)."""
    tools: list[Tool[Any]] = [
        Tool(calculate),
        Tool(current_time),
        Tool(search_notes),
        Tool(save_note, metadata=SIDE_EFFECTS),
        Tool(scratchpad_read),
        Tool(scratchpad_write),
        *_pillar_tools(),
    ]
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
