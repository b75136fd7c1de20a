"""Tools from external MCP servers (Model Context Protocol), started as stdio subprocesses.

:func:`connect_mcp` starts every server of the ``mcp_servers`` setting, lists its tools and yields
one toolset offering them as ``mcp_<server>_<tool>``; the servers stop when the block ends (the
runner opens it once per run). Calls go through the same guard as local tools: allowlist (the
default executor allowlist has ``mcp_*``), budgets, loop detection, and approval when the server is
marked ``side_effects`` (the default: an external tool may do anything).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

from mcp import ClientSession, types
from mcp.client.stdio import StdioServerParameters, stdio_client
from pydantic import TypeAdapter
from pydantic_ai import ModelRetry, RunContext
from pydantic_ai.tools import ToolDefinition
from pydantic_ai.toolsets import AbstractToolset, ToolsetTool

from .settings import MCPServerSettings

_ARGS_VALIDATOR: Any = TypeAdapter(dict[str, Any]).validator


@dataclass(frozen=True)
class _RemoteTool:
    session: ClientSession
    remote_name: str
    definition: ToolDefinition


class MCPToolset(AbstractToolset[Any]):
    """The tools of connected MCP sessions (connections are owned by :func:`connect_mcp`)."""

    def __init__(self, tools: dict[str, _RemoteTool], max_retries: int = 2) -> None:
        self._tools = tools
        self.max_retries = max_retries

    @property
    def id(self) -> str | None:
        """Toolset id."""
        return "mcp"

    async def __aenter__(self) -> MCPToolset:
        return self  # connections are opened and closed by connect_mcp, once per run

    async def __aexit__(self, *args: object) -> bool | None:
        return None

    async def get_tools(self, ctx: RunContext[Any]) -> dict[str, ToolsetTool[Any]]:
        """Every remote tool, as the model sees it."""
        return {
            name: ToolsetTool(
                toolset=self,
                tool_def=remote.definition,
                max_retries=self.max_retries,
                args_validator=_ARGS_VALIDATOR,
            )
            for name, remote in self._tools.items()
        }

    async def call_tool(
        self, name: str, tool_args: dict[str, Any], ctx: RunContext[Any], tool: ToolsetTool[Any]
    ) -> Any:
        """Call the remote tool; a tool-level error goes back to the model as a retry."""
        remote = self._tools[name]
        result = await remote.session.call_tool(remote.remote_name, tool_args)
        texts = [part.text for part in result.content if isinstance(part, types.TextContent)]
        if result.is_error:
            raise ModelRetry(f"{name} failed: {' '.join(texts) or 'no details'}")
        if result.structured_content is not None:
            return result.structured_content
        return "\n".join(texts)


def _definition(server: MCPServerSettings, tool: types.Tool) -> tuple[str, ToolDefinition]:
    name = f"mcp_{server.name}_{tool.name}"
    metadata = {"side_effects": server.side_effects, "mcp_server": server.name}
    return name, ToolDefinition(
        name=name,
        description=tool.description or f"{tool.name} from MCP server {server.name}",
        parameters_json_schema=dict(tool.input_schema),
        metadata=metadata,
    )


@asynccontextmanager
async def connect_mcp(
    servers: Sequence[MCPServerSettings], max_retries: int = 2
) -> AsyncIterator[MCPToolset | None]:
    """Start ``servers`` and yield a toolset of all their tools (``None`` without servers)."""
    if not servers:
        yield None
        return
    tools: dict[str, _RemoteTool] = {}
    async with AsyncExitStack() as stack:
        for server in servers:
            params = StdioServerParameters(
                command=server.command, args=server.args, env={**os.environ, **server.env}
            )
            read, write = await stack.enter_async_context(stdio_client(params))
            session = await stack.enter_async_context(ClientSession(read, write))
            await session.initialize()
            listing = await session.list_tools()
            for tool in listing.tools:
                name, definition = _definition(server, tool)
                tools[name] = _RemoteTool(session, tool.name, definition)
        yield MCPToolset(tools, max_retries)
