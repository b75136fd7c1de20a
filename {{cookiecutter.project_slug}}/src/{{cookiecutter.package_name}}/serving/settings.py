"""Settings of the serving pillar (section ``serving``: ``<PREFIX>_SERVING__<FIELD>``)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from ..core.pillars import ROOT_PACKAGE

# BentoML service names follow its tag rules: lowercase alphanumerics, `-`, `_` and `.`.
SERVICE_NAME_PATTERN = r"^[a-z0-9]([-._a-z0-9]*[a-z0-9])?$"


def _default_service_name() -> str:
    return ROOT_PACKAGE.replace("_", "-").lower()


class ServingSettings(BaseModel):
    """How the HTTP service listens, and the limits it enforces on each request."""

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
    max_request_body_bytes: int = Field(
        default=1_048_576,
        ge=1,
        description="Largest accepted request body in bytes; bigger requests get 413.",
    )
    service_name: str = Field(
        default_factory=_default_service_name,
        min_length=1,
        max_length=63,
        pattern=SERVICE_NAME_PATTERN,
        description="Name of the BentoML service (lowercase letters, digits, '-', '_', '.').",
    )


SETTINGS = ServingSettings
