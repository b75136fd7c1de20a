"""A registry of typed tools (their docstrings are the schema the model sees), shared with agents.

Built-in tools, each safe by construction:

* :func:`calculator_tool`: arithmetic on numbers only (a parsed expression, never ``eval``);
* :func:`http_get_tool`: GET on an allowlist of hosts (``HTTP_ALLOWED_HOSTS``), size-capped;
* :func:`sql_query_tool`: parameterised ``SELECT`` on a SQLite file opened read-only.

A tool's error goes back to the model as a retry prompt (:class:`~pydantic_ai.ModelRetry`), and
its arguments are validated against its signature before it runs.
"""

from __future__ import annotations

import sqlite3
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from contextlib import closing
from pathlib import Path
from typing import Any

from pydantic_ai import ModelRetry, Tool
from pydantic_ai.toolsets import FunctionToolset

from ._arithmetic import safe_eval
from .settings import LLMSettings

MAX_HTTP_BYTES = 100_000
MAX_SQL_ROWS = 100
SqlValue = str | int | float | None


class ToolRegistry:
    """Named pydantic-ai tools; hand a selection to an agent or to ``LLMClient.run(toolsets=)``."""

    def __init__(self, tools: Iterable[Tool[Any]] = ()) -> None:
        self._tools: dict[str, Tool[Any]] = {}
        for tool in tools:
            self.add(tool)

    def add(self, tool: Tool[Any] | Callable[..., Any]) -> Tool[Any]:
        """Register ``tool`` (a :class:`Tool` or a plain typed function with a docstring)."""
        made = tool if isinstance(tool, Tool) else Tool(tool)
        if made.name in self._tools:
            raise ValueError(f"a tool named {made.name!r} is already registered")
        self._tools[made.name] = made
        return made

    def register(self, function: Callable[..., Any]) -> Callable[..., Any]:
        """Decorator form of :meth:`add`; returns the function unchanged."""
        self.add(function)
        return function

    def names(self) -> list[str]:
        """Registered tool names, sorted."""
        return sorted(self._tools)

    def get(self, name: str) -> Tool[Any]:
        """The tool called ``name``."""
        try:
            return self._tools[name]
        except KeyError:
            raise KeyError(f"no tool {name!r}; registered: {self.names()}") from None

    def tools(self, names: Iterable[str] | None = None) -> list[Tool[Any]]:
        """The tools named (default: all), in registration order."""
        wanted = None if names is None else set(names)
        return [t for n, t in self._tools.items() if wanted is None or n in wanted]

    def toolset(self, names: Iterable[str] | None = None) -> FunctionToolset[Any]:
        """A pydantic-ai toolset of :meth:`tools`."""
        return FunctionToolset(self.tools(names))


def calculate(expression: str) -> float:
    """Evaluate an arithmetic expression exactly, e.g. ``(12.5 * 4) / 3``.

    Args:
        expression: numbers with + - * / // % ** and parentheses; nothing else.
    """
    try:
        return float(safe_eval(expression))
    except (ValueError, ZeroDivisionError, OverflowError) as exc:
        raise ModelRetry(f"cannot evaluate {expression!r}: {exc}") from exc


def calculator_tool() -> Tool[Any]:
    """The ``calculate`` tool."""
    return Tool(calculate)


def host_allowed(url: str, allowed_hosts: Iterable[str]) -> bool:
    """Whether ``url`` is http(s) on an allowed host (``*.example.com`` allows subdomains)."""
    parts = urllib.parse.urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        return False
    for allowed in allowed_hosts:
        pattern = allowed.lower()
        if host == pattern or (pattern.startswith("*.") and host.endswith(pattern[1:])):
            return True
    return False


def http_get_tool(allowed_hosts: Iterable[str], timeout: float = 10.0) -> Tool[Any]:
    """An ``http_get`` tool limited to ``allowed_hosts``."""
    hosts = tuple(allowed_hosts)

    def http_get(url: str) -> str:
        """Fetch a web page or JSON API over HTTP(S) and return the start of its body as text.

        Args:
            url: the full URL; only hosts on the service's allowlist can be fetched.
        """
        if not host_allowed(url, hosts):
            raise ModelRetry(f"{url} is not allowed; allowed hosts: {', '.join(hosts) or 'none'}")
        request = urllib.request.Request(url, headers={"User-Agent": "llm-tool/1"})  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                body: bytes = response.read(MAX_HTTP_BYTES)
        except (urllib.error.URLError, TimeoutError) as exc:
            raise ModelRetry(f"GET {url} failed: {exc}") from exc
        return body.decode("utf-8", errors="replace")

    return Tool(http_get)


def sql_query_tool(database: Path) -> Tool[Any]:
    """A ``sql_query`` tool over the SQLite file ``database``, opened read-only."""
    uri = f"{database.resolve().as_uri()}?mode=ro"

    def sql_query(query: str, params: list[SqlValue] | None = None) -> list[dict[str, Any]]:
        """Run one read-only SQL SELECT on the service database and return up to 100 rows.

        Args:
            query: a single SELECT (or WITH ... SELECT) statement; use ? placeholders for values.
            params: the values of the ? placeholders, in order.
        """
        if not query.lstrip().lower().startswith(("select", "with")):
            raise ModelRetry("only SELECT queries are allowed")
        try:
            with closing(sqlite3.connect(uri, uri=True)) as db:
                db.execute("PRAGMA query_only = ON")
                cursor = db.execute(query, params or [])
                columns = [c[0] for c in cursor.description or []]
                rows = cursor.fetchmany(MAX_SQL_ROWS)
        except sqlite3.Error as exc:
            raise ModelRetry(f"SQL error: {exc}") from exc
        return [dict(zip(columns, row, strict=True)) for row in rows]

    return Tool(sql_query)


def default_tools(settings: LLMSettings) -> ToolRegistry:
    """The calculator, plus ``http_get`` / ``sql_query`` when their settings are set."""
    registry = ToolRegistry([calculator_tool()])
    if settings.http_allowed_hosts:
        registry.add(http_get_tool(settings.http_allowed_hosts, settings.timeout_seconds))
    if settings.sql_database is not None:
        registry.add(sql_query_tool(settings.sql_database))
    return registry
