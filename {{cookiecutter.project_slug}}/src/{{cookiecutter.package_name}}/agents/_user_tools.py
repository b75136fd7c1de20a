"""Your own tools, named by the ``AGENTS__TOOLS`` setting as import paths of typed functions.

Each entry names a function in a module of yours (``my_service.custom.tools:order_status``) and
becomes a pydantic-ai ``Tool``: the function's name is the tool's name, its typed parameters are
the arguments and its docstring (with an ``Args:`` section) is what the model reads to decide when
and how to call it. It may take a ``RunContext[RoleDeps]`` first, and raise ``ModelRetry`` to send
a correction back to the model. ``side_effects: true`` makes the guard ask for approval before
each call (the ``approval`` setting); ``roles`` adds the tool to those roles' allowlists.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, cast

from pydantic_ai import Tool

from ..core.plugins import PluginError, load_object
from ..core.settings import ENV_PREFIX
from ._guard import allowed
from ._toolbox import SIDE_EFFECTS
from .settings import ToolSettings

SETTING = f"{ENV_PREFIX}AGENTS__TOOLS"


def _problem(function: object, names: Collection[str]) -> str | None:
    """Why ``function`` cannot be a tool besides the tools ``names``, or ``None``."""
    if not callable(function):
        return f"is a {type(function).__name__}, not a function"
    if not inspect.getdoc(function):
        return "has no docstring: it is what the model reads to decide when to call the tool"
    parameters = inspect.signature(function).parameters.values()
    untyped = [p.name for p in parameters if p.annotation is inspect.Parameter.empty]
    if untyped:
        return f"has parameters without a type ({', '.join(untyped)}): types are the tool schema"
    name = getattr(function, "__name__", "")
    if name in names:
        return f"is named {name!r} like another tool: rename it"
    return None


def user_tools(specs: Sequence[ToolSettings], taken: Collection[str] = ()) -> list[Tool[Any]]:
    """One ``Tool`` per entry of ``AGENTS__TOOLS``, imported and checked now.

    Args:
        specs: the setting's entries.
        taken: names of the built-in tools, which yours may not reuse.

    Raises:
        PluginError: an entry does not import, is not a typed, documented function, or its name
            is taken; the message names the setting and the entry.
    """
    tools: list[Tool[Any]] = []
    names = set(taken)
    for spec in specs:
        function = load_object(spec.function, setting=SETTING)
        problem = _problem(function, names)
        if problem is not None:
            raise PluginError(f"{SETTING}: {spec.function} {problem}")
        try:
            metadata = SIDE_EFFECTS if spec.side_effects else None
            tool = Tool(cast(Callable[..., Any], function), metadata=metadata)
        except Exception as exc:  # pydantic-ai cannot build a schema from the signature
            raise PluginError(f"{SETTING}: {spec.function} is not a usable tool: {exc}") from exc
        tools.append(tool)
        names.add(tool.name)
    return tools


def allow_user_tools(
    role_tools: Mapping[str, list[str]], specs: Sequence[ToolSettings], tools: Sequence[Tool[Any]]
) -> dict[str, list[str]]:
    """``role_tools`` with each of your tools added to the allowlists of its ``roles``."""
    merged = {role: list(patterns) for role, patterns in role_tools.items()}
    for spec, tool in zip(specs, tools, strict=True):
        for role in spec.roles:
            patterns = merged.setdefault(role, [])
            if not allowed(patterns, tool.name):
                patterns.append(tool.name)
    return merged
