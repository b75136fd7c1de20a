"""Settings of the agents pillar: the hard limits every agent run is held to.

Set them with ``MY_AI_SERVICE_AGENTS__<FIELD>`` variables (the prefix is the package name). The
model itself comes from the LLM pillar's settings (``..._LLM__MODEL``).
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class AgentsSettings(BaseModel):
    """Limits that stop a runaway agent: model requests, tool calls, tokens and wall-clock time."""

    max_steps: int = Field(default=8, gt=0, description="Most model requests in one run.")
    max_tool_calls: int = Field(default=12, ge=0, description="Most tool calls in one run.")
    max_total_tokens: int = Field(
        default=50_000, gt=0, description="Most input + output tokens in one run."
    )
    max_seconds: float = Field(default=60.0, gt=0, description="Wall-clock limit of one run.")
    tool_retries: int = Field(
        default=2, ge=0, description="Times a failing tool call is sent back to the model."
    )


SETTINGS = AgentsSettings
