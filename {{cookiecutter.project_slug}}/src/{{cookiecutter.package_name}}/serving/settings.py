"""Settings of the serving pillar (section ``serving``: ``<PREFIX>_SERVING__<FIELD>``)."""

from __future__ import annotations

import re
from typing import Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    field_validator,
)

from ..core.pillars import ROOT_PACKAGE

# BentoML service names follow its tag rules: lowercase alphanumerics, `-`, `_` and `.`.
SERVICE_NAME_PATTERN = r"^[a-z0-9]([-._a-z0-9]*[a-z0-9])?$"
KEY_NAME_PATTERN = r"^[A-Za-z0-9_.-]{1,64}$"
MIN_KEY_CHARS = 16

RouteSettingsT = TypeVar("RouteSettingsT", bound=BaseModel)


class RouteSettingsError(ValueError):
    """Invalid settings of a route (``<PREFIX>_SERVING__<ROUTE>_<FIELD>``); names the variable."""


def _default_service_name() -> str:
    return ROOT_PACKAGE.replace("_", "-").lower()


class ServingSettings(BaseModel):
    """How the HTTP service listens, who may call it, and the limits it enforces.

    The routes another pillar adds (``serving/routes/<pillar>.py``) keep their own settings in
    this section under a prefix, e.g. ``SERVING__PREDICT_MAX_BATCH_SIZE``: they are kept as extra
    fields here and validated by the route's own model (:meth:`route`).
    """

    model_config = ConfigDict(extra="allow")

    # Validated route sections, per (prefix, model): routes read them on every request.
    _routes: dict[tuple[str, type[BaseModel]], BaseModel] = PrivateAttr(default_factory=dict)

    host: str = Field(
        default="127.0.0.1",
        description="Interface to bind; use 0.0.0.0 inside a container to accept outside traffic.",
    )
    port: int = Field(default=3000, ge=1, le=65535, description="TCP port of the HTTP server.")
    workers: int = Field(
        default=1, ge=1, le=64, description="Number of BentoML worker processes serving requests."
    )
    request_timeout_s: float = Field(
        default=60.0, gt=0, description="Seconds a request may run before the server gives up."
    )
    endpoint_timeouts_s: dict[str, float] = Field(
        default_factory=lambda: {"/predict": 5.0, "/search": 10.0},
        description="Per-path time to first response byte in seconds (JSON); others: 504 after "
        "request_timeout_s.",
    )
    max_request_body_bytes: int = Field(
        default=1_048_576,
        ge=1,
        description="Largest accepted request body in bytes; bigger requests get 413.",
    )
    body_timeout_s: float = Field(
        default=3.0,
        gt=0,
        description="Seconds a request body may take to arrive; slower (or truncated) bodies "
        "get 408.",
    )
    max_concurrency: int = Field(
        default=256, ge=1, description="Requests one worker handles at once; more get 503."
    )
    service_name: str = Field(
        default_factory=_default_service_name,
        min_length=1,
        max_length=63,
        pattern=SERVICE_NAME_PATTERN,
        description="Name of the BentoML service (lowercase letters, digits, '-', '_', '.').",
    )
    api_keys: dict[str, SecretStr] = Field(
        default_factory=dict,
        description='Named API keys as JSON, e.g. {"ci": "...", "web-2024": "..."} (several for '
        "rotation; at least 16 characters each).",
    )
    auth_enabled: bool = Field(
        default=True,
        description="Require an API key; false is honoured only when ENVIRONMENT=dev.",
    )
    public_paths: list[str] = Field(
        default_factory=lambda: ["/livez", "/readyz", "/metrics", "/playground", "/playground/*"],
        description="Paths answered without an API key (JSON list; a trailing * is a prefix).",
    )
    rate_limit_per_minute: float = Field(
        default=600.0, ge=0, description="Sustained requests per minute per key; 0 disables."
    )
    rate_limit_burst: int = Field(
        default=60, ge=1, description="Requests a key may send at once (token bucket size)."
    )
    rate_limit_backend: Literal["memory", "redis"] = Field(
        default="memory",
        description="memory (one replica) or redis (shared by every replica).",
    )
    redis_url: SecretStr = Field(
        default=SecretStr("redis://localhost:6379/0"),
        description="Redis URL of the rate-limit and budget backend (may hold a password).",
    )
    daily_tokens_per_key: int | None = Field(
        default=None,
        gt=0,
        description="Most model tokens one API key may spend per UTC day over every endpoint "
        "that calls a model (chat, /ask, agent runs); None = no limit. In Redis when "
        "RATE_LIMIT_BACKEND=redis (shared by every replica), else per process.",
    )
    daily_cost_usd_per_key: float | None = Field(
        default=None,
        gt=0,
        description="Most USD one API key may spend per UTC day on model calls (None = no limit).",
    )
    cors_origins: list[str] = Field(
        default_factory=list,
        description='Origins allowed by CORS as a JSON list (e.g. ["https://app.example.com"]).',
    )
    metrics_max_series: int = Field(
        default=1000,
        ge=10,
        description="Most label combinations of the request metrics; later new ones count as "
        "'other' (metrics are labelled by route template, never by raw path or key name).",
    )
    hsts: bool = Field(
        default=False, description="Send Strict-Transport-Security (behind HTTPS only)."
    )
    access_log: Literal["all", "errors", "off"] = Field(
        default="errors",
        description="Access-log lines: errors (4xx/5xx answers and requests slower than 1 s), "
        "all (every request: one JSON line each, which costs throughput) or off.",
    )

    @field_validator("api_keys")
    @classmethod
    def _check_keys(cls, keys: dict[str, SecretStr]) -> dict[str, SecretStr]:
        for name, key in keys.items():
            if not re.match(KEY_NAME_PATTERN, name):
                raise ValueError(f"API key name {name!r} must match {KEY_NAME_PATTERN}")
            if len(key.get_secret_value()) < MIN_KEY_CHARS:
                raise ValueError(f"API key {name!r} is shorter than {MIN_KEY_CHARS} characters")
        return keys

    def route(self, prefix: str, model: type[RouteSettingsT]) -> RouteSettingsT:
        """The fields ``<prefix>_<field>`` of this section, validated by a route's ``model``.

        Raises:
            RouteSettingsError: a value does not validate; the message names its variable.
        """
        cached = self._routes.get((prefix, model))
        if isinstance(cached, model):
            return cached
        start = f"{prefix}_"
        extra = self.model_extra or {}
        values = {key[len(start) :]: value for key, value in extra.items() if key.startswith(start)}
        try:
            section = model.model_validate(values)
        except ValidationError as error:
            problems = "; ".join(
                f"SERVING__{prefix.upper()}_{str(item['loc'][0]).upper()}: {item['msg']}"
                for item in error.errors()
            )
            raise RouteSettingsError(f"invalid route settings: {problems}") from error
        self._routes[(prefix, model)] = section
        return section


SETTINGS = ServingSettings
