"""Settings of the LLM pillar: which model to call, where, and with which request limits.

Set them with ``MY_AI_SERVICE_LLM__<FIELD>`` variables (the prefix is the package name), e.g.
``..._LLM__MODEL=anthropic:claude-sonnet-4-5`` or ``..._LLM__BASE_URL=http://localhost:8000/v1``
for a vLLM, Ollama or LiteLLM server that speaks the OpenAI protocol.
"""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr


class LLMSettings(BaseModel):
    """How the service reaches its language model."""

    model: str = Field(
        default="openai:gpt-4o-mini",
        description="Model as `provider:model` (pydantic-ai naming); with base_url, the model id.",
    )
    base_url: str | None = Field(
        default=None,
        description="OpenAI-compatible endpoint (vLLM, Ollama, LiteLLM), e.g. http://localhost:8000/v1.",
    )
    api_key: SecretStr = Field(
        default=SecretStr(""),
        description="API key; empty means the provider's own variable (e.g. OPENAI_API_KEY).",
    )
    timeout_seconds: float = Field(default=30.0, gt=0, description="Timeout of one model request.")
    max_retries: int = Field(
        default=2, ge=0, description="Retries of a failed HTTP request by the provider SDK."
    )
    output_retries: int = Field(
        default=1, ge=0, description="Times an invalid structured answer is sent back to the model."
    )
    temperature: float = Field(default=0.0, ge=0, le=2, description="Sampling temperature.")
    max_tokens: int = Field(default=1024, gt=0, description="Most tokens generated per answer.")


SETTINGS = LLMSettings
