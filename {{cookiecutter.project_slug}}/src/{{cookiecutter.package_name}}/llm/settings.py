"""Settings of the LLM pillar: which model to call, where, with which limits, budgets and cache.

Set them with ``MY_AI_SERVICE_LLM__<FIELD>`` variables (the prefix is the package name), e.g.
``..._LLM__PROVIDER=anthropic`` or ``..._LLM__BASE_URL=http://localhost:8000/v1`` for a vLLM,
Ollama or LiteLLM server that speaks the OpenAI protocol.

The default provider was chosen when the project was generated and lives in ``defaults.toml`` next
to this file (with each provider's default model and endpoint), so switching provider is a setting,
never a code change.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr

from ..core.settings import ENV_PREFIX

Provider = Literal["openai", "anthropic", "google", "ollama", "openai-compatible"]
EmbedderName = Literal["wordllama", "openai", "sentence-transformers"]


@cache
def provider_defaults() -> dict[str, Any]:
    """The parsed ``defaults.toml``: ``provider`` and one ``presets.<provider>`` table each."""
    text = resources.files(__package__ or __name__).joinpath("defaults.toml").read_text("utf-8")
    return tomllib.loads(text)


def _default_provider() -> Provider:
    provider: Provider = provider_defaults()["provider"]
    return provider


class FinetuneSettings(BaseModel):
    """LoRA / QLoRA fine-tuning (``llm finetune``; needs the ``finetune`` extra)."""

    base_model: str = Field(
        default="Qwen/Qwen2.5-0.5B-Instruct",
        description="Hugging Face id or local folder of the model to adapt.",
    )
    output_dir: Path = Field(
        default=Path("llm/adapters/latest"),
        description="Adapter folder; relative to ARTIFACTS_DIR.",
    )
    max_steps: int = Field(default=100, gt=0, description="Optimiser steps.")
    learning_rate: float = Field(default=2e-4, gt=0, description="AdamW learning rate.")
    batch_size: int = Field(default=4, gt=0, description="Examples per device and step.")
    max_length: int = Field(default=512, gt=0, description="Tokens kept per example.")
    lora_r: int = Field(default=16, gt=0, description="LoRA rank.")
    lora_alpha: int = Field(default=32, gt=0, description="LoRA scaling numerator.")
    lora_dropout: float = Field(default=0.05, ge=0, lt=1, description="Dropout on LoRA inputs.")
    target_modules: list[str] = Field(
        default_factory=list, description="Modules to adapt; empty = every linear layer."
    )
    qlora: Literal["auto", "on", "off"] = Field(
        default="auto", description="4-bit base model (bitsandbytes): auto = when CUDA is present."
    )
    seed: int = Field(default=42, description="Seed of the run.")


def missing_key_message(provider: str, variable: str) -> str:
    """What to do when ``provider`` has no key: its variable, this project's setting, a local model.

    The command line's hints and :class:`~._models.MissingProviderKeyError` both say this.
    """
    return (
        f"no API key for the {provider!r} model provider: set {variable} "
        f"(or {ENV_PREFIX}LLM__API_KEY) in the environment or `.env`, "
        f"or use a local model with {ENV_PREFIX}LLM__PROVIDER=ollama"
    )


class LLMSettings(BaseModel):
    """How the service reaches its language model, and what it may spend."""

    provider: Provider = Field(
        default_factory=_default_provider,
        description="openai, anthropic, google, ollama or openai-compatible.",
    )
    model: str = Field(
        default="",
        description="Model id; empty = the provider's preset. `provider:model` overrides provider.",
    )
    base_url: str | None = Field(
        default=None,
        description="OpenAI-compatible endpoint (vLLM, Ollama, LiteLLM); None = provider preset.",
    )
    api_key: SecretStr = Field(
        default=SecretStr(""),
        description=(
            "API key; empty means the provider's own variable (e.g. OPENAI_API_KEY, also used "
            "with base_url when provider is openai; other endpoints get no key)."
        ),
    )
    fallback_models: list[str] = Field(
        default_factory=list,
        description="Models tried in order when the main one fails (same naming as model).",
    )
    timeout_seconds: float = Field(default=30.0, gt=0, description="Timeout of one model request.")
    max_retries: int = Field(
        default=2, ge=0, description="SDK retries on 429/5xx/timeouts, honouring Retry-After."
    )
    output_retries: int = Field(
        default=2, ge=0, description="Times an invalid structured answer is sent back to the model."
    )
    temperature: float = Field(default=0.0, ge=0, le=2, description="Sampling temperature.")
    max_tokens: int = Field(default=1024, gt=0, description="Most tokens generated per answer.")
    max_tokens_per_call: int | None = Field(
        default=20_000,
        gt=0,
        description="Most input + output tokens of one call (all its requests).",
    )
    max_cost_per_call_usd: float | None = Field(
        default=None, gt=0, description="Most USD one call may cost (None = no limit)."
    )
    max_total_tokens: int | None = Field(
        default=None, gt=0, description="Most tokens this process may spend (None = no limit)."
    )
    max_total_cost_usd: float | None = Field(
        default=None, gt=0, description="Most USD this process may spend (None = no limit)."
    )
    input_price_per_mtok: float | None = Field(
        default=None,
        ge=0,
        description="USD per million input tokens when the price list does not know the model.",
    )
    output_price_per_mtok: float | None = Field(
        default=None,
        ge=0,
        description="USD per million output tokens when the price list does not know the model.",
    )
    cache_enabled: bool = Field(
        default=False, description="Cache answers of deterministic calls (temperature 0) on disk."
    )
    cache_dir: Path = Field(
        default=Path("llm/cache"), description="Response cache folder; relative to ARTIFACTS_DIR."
    )
    cache_ttl_seconds: float = Field(default=86_400.0, gt=0, description="Age of a stale entry.")
    cache_max_entries: int = Field(default=10_000, gt=0, description="Entries kept (oldest go).")
    prompt_dirs: list[Path] = Field(
        default_factory=list, description="Extra prompt folders, searched before the built-ins."
    )
    self_consistency_samples: int = Field(
        default=1, ge=1, description="Grounded answers sampled; >1 requires they agree."
    )
    judge_enabled: bool = Field(
        default=False, description="Ask an LLM judge whether each grounded answer is faithful."
    )
    judge_model: str = Field(default="", description="Judge model; empty = the main model.")
    http_allowed_hosts: list[str] = Field(
        default_factory=list, description="Hosts the http_get tool may call (empty = none)."
    )
    sql_database: Path | None = Field(
        default=None, description="SQLite file the read-only SQL tool queries (None = no tool)."
    )
    embedder: EmbedderName = Field(
        default="wordllama", description="wordllama (offline), openai or sentence-transformers."
    )
    embedding_model: str = Field(
        default="",
        description="Embedding model id (openai / sentence-transformers); empty = a default.",
    )
    embedding_dim: int = Field(default=256, gt=0, description="Embedding size (wordllama: ≤256).")
    finetune: FinetuneSettings = Field(
        default_factory=FinetuneSettings, description="LoRA fine-tuning."
    )

    @property
    def preset(self) -> dict[str, str]:
        """The ``defaults.toml`` preset of :attr:`provider`."""
        presets: dict[str, dict[str, str]] = provider_defaults()["presets"]
        return presets[self.provider]

    @property
    def model_id(self) -> str:
        """:attr:`model`, or the provider's preset model when empty."""
        return self.model or self.preset["model"]

    @property
    def endpoint(self) -> str | None:
        """:attr:`base_url`, or the provider's preset endpoint (ollama, openai-compatible)."""
        return self.base_url or self.preset.get("base_url")


SETTINGS = LLMSettings
