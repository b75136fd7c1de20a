"""A tiny MCP tool server over stdio, started by the MCP tests as a subprocess."""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

server = MCPServer("unit-tools")


@server.tool()
def convert_units(value: float, unit: str) -> str:
    """Convert a length in km or miles into the other unit."""
    if unit == "km":
        return f"{value * 0.621371:.2f} miles"
    if unit == "miles":
        return f"{value / 0.621371:.2f} km"
    raise ToolError(f"unknown unit {unit!r}: use km or miles")


if __name__ == "__main__":
    server.run()
