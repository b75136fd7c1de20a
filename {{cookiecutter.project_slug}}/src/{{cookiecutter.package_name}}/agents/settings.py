"""Settings of the agents pillar: hard limits, run storage, memory, tool policy and MCP servers.

Set them with ``MY_AI_SERVICE_AGENTS__<FIELD>`` variables (the prefix is the package name); lists
and mappings are JSON, e.g. ``..._AGENTS__MCP_SERVERS='[{"name": "files", "command": "uvx",
"args": ["mcp-server-filesystem", "/data"]}]'``; your own tools are import paths,
``..._AGENTS__TOOLS='["my_service.custom.tools:order_status"]'``. The model itself comes from the
LLM pillar's settings (``..._LLM__MODEL``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from ..core.plugins import ImportPath

Role = Literal["planner", "researcher", "executor", "critic"]

DEFAULT_ROLE_TOOLS: dict[str, list[str]] = {
    "planner": [],
    "researcher": ["search_notes", "rag_search", "http_get", "current_time", "scratchpad_read"],
    "executor": [
        "calculate",
        "current_time",
        "save_note",
        "ml_predict",
        "sql_query",
        "scratchpad_read",
        "scratchpad_write",
        "mcp_*",
    ],
    "critic": ["scratchpad_read"],
}


class MCPServerSettings(BaseModel):
    """An MCP tool server started as a subprocess and spoken to over stdio."""

    name: str = Field(description="Short name; its tools are offered as `mcp_<name>_<tool>`.")
    command: str = Field(description="Executable that starts the server, e.g. `uvx` or `python`.")
    args: list[str] = Field(default_factory=list, description="Arguments of the command.")
    env: dict[str, str] = Field(default_factory=dict, description="Extra environment variables.")
    side_effects: bool = Field(
        default=True, description="Its tools change things: each call needs human approval."
    )


def _executor() -> list[Role]:
    return ["executor"]


class ToolSettings(BaseModel):
    """One of your own tools: a typed function, found by its import path, offered to some roles.

    Written as a plain string it is the ``function`` with the defaults below.
    """

    function: ImportPath = Field(
        description="`package.module:function`; its name, typed parameters and docstring are "
        "the tool the model sees."
    )
    side_effects: bool = Field(
        default=False, description="It changes things: each call needs approval (`approval`)."
    )
    roles: list[Role] = Field(
        default_factory=_executor,
        min_length=1,
        description="Roles that may call it (added to their `role_tools`).",
    )

    @model_validator(mode="before")
    @classmethod
    def _path_alone(cls, value: object) -> object:
        return {"function": value} if isinstance(value, str) else value


class AgentsSettings(BaseModel):
    """Limits that stop a runaway run, and where runs and memories are kept."""

    max_steps: int = Field(
        default=16, gt=0, description="Most workflow steps (role turns) in one run."
    )
    max_requests_per_step: int = Field(
        default=8, gt=0, description="Most model requests inside one role turn."
    )
    max_tool_calls: int = Field(default=24, ge=0, description="Most tool calls in one run.")
    max_total_tokens: int = Field(
        default=100_000, gt=0, description="Most input + output tokens in one run."
    )
    max_cost_usd: float = Field(default=0.50, ge=0, description="Most model spend in one run, USD.")
    input_cost_per_mtok: float = Field(
        default=0.15,
        ge=0,
        description="USD per million input tokens when neither pydantic-ai's price list nor "
        "the LLM settings price the model.",
    )
    output_cost_per_mtok: float = Field(
        default=0.60,
        ge=0,
        description="USD per million output tokens when neither pydantic-ai's price list nor "
        "the LLM settings price the model.",
    )
    max_seconds: float = Field(default=300.0, gt=0, description="Wall-clock limit of one run.")
    max_revisions: int = Field(
        default=2, ge=0, description="Times the critic may send one step back for revision."
    )
    max_plan_steps: int = Field(default=6, gt=0, description="Most steps a plan may have.")
    max_identical_calls: int = Field(
        default=2,
        gt=0,
        description="Same tool with the same arguments more often in one role turn is a loop.",
    )
    tool_retries: int = Field(
        default=2, ge=0, description="Times a failing tool call is sent back to the model."
    )
    output_retries: int = Field(
        default=2, ge=0, description="Times an invalid typed output is sent back to the model."
    )
    critique_steps: bool = Field(
        default=True, description="The critic reviews every step, not only the final answer."
    )
    approval: Literal["deny", "allow", "prompt", "queue"] = Field(
        default="deny",
        description="Side-effect tools without an approver: deny, allow, ask on the terminal, "
        "or queue (wait for a decision through the runs API / HTTP).",
    )
    approval_timeout_s: float = Field(
        default=300.0, gt=0, description="A queued approval not decided in time is denied."
    )
    approver_keys: list[str] = Field(
        default_factory=list,
        description="Names of the service's API keys that may decide queued approvals over HTTP"
        " (POST /agent/runs/{run}/approvals/{id}); '*' for every key; none by default.",
    )
    role_tools: dict[str, list[str]] = Field(
        default_factory=lambda: {k: list(v) for k, v in DEFAULT_ROLE_TOOLS.items()},
        description="Tool allowlist per role (JSON); a trailing `*` matches a prefix.",
    )
    runs_db: Path = Field(
        default=Path("agents/runs.sqlite"),
        description="SQLite file of runs, steps and episodes; relative to ARTIFACTS_DIR.",
    )
    short_term_tokens: int = Field(
        default=2_000, gt=0, description="Token budget of earlier step results shown to a role."
    )
    turn_history_tokens: int = Field(
        default=8_000,
        gt=0,
        description="Token budget of one role turn's conversation; older tool outputs are trimmed.",
    )
    memory_top_k: int = Field(
        default=3, ge=0, description="Similar past episodes offered to the planner."
    )
    embedder: Literal["auto", "hashing"] = Field(
        default="auto",
        description="Episode embeddings: auto (the LLM pillar's embedder) or hashing (offline).",
    )
    scripted: bool = Field(
        default=False, description="Use the offline scripted roles instead of the LLM (demos)."
    )
    mcp_servers: list[MCPServerSettings] = Field(
        default_factory=list, description="MCP tool servers (JSON list of name/command/args)."
    )
    tools: list[ToolSettings] = Field(
        default_factory=list,
        description="Your own tools (JSON list): `package.module:function` paths, or objects "
        "with function, side_effects and roles.",
    )


SETTINGS = AgentsSettings
