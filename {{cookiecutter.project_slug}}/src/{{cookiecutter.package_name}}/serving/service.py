"""The BentoML service: ``bentoml serve <package>.serving.service:AIService``.

Besides BentoML's built-in ``GET /livez``, ``GET /readyz`` and ``GET /metrics`` (Prometheus), it
answers ``POST /info`` (what is running) and ``POST /v1/echo`` (an example that needs no other
pillar). Every other pillar present adds its own endpoints through ``serving/routes/<pillar>.py``
(see :mod:`._adapters`): this module never names a pillar. Settings are read when this module is
imported (that is when BentoML reads a service's configuration).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from functools import cache
from typing import Any, Protocol, TypeVar, cast

import bentoml
import structlog
from starlette.middleware.cors import CORSMiddleware

from .. import __version__
from ..core.logging import configure_logging, get_logger
from ..core.pillars import installed_pillars
from ..core.settings import INVALID_SETTINGS, get_settings, settings_problems
from ..monitoring.settings import MonitoringSettings
from ..monitoring.tracing import setup_tracing, shutdown_tracing
from . import _logfilter as logfilter
from ._adapters import Contribution, discover
from ._gateway import GatewayMiddleware, auth_required
from ._middleware import (
    ASGIApp,
    BodySizeLimitMiddleware,
    DirectEndpoints,
    ValidationStatusMiddleware,
)
from ._ratelimit import RedisRateLimiter
from ._schemas import EchoRequest, EchoResponse, InfoResponse, describe_text
from .routes import playground
from .settings import ServingSettings

MethodT = TypeVar("MethodT", bound=Callable[..., Any])


# BentoML takes a service's configuration from its decorator, so the section is read on import.
def _serving_settings() -> ServingSettings:
    """The serving section, read on import; invalid settings stop the server with their names."""
    try:
        return get_settings().section("serving", ServingSettings)
    except INVALID_SETTINGS as exc:
        lines = "\n".join(f"  {line}" for line in settings_problems(exc))
        raise SystemExit(f"invalid settings, the service cannot start:\n{lines}") from None


_SETTINGS = _serving_settings()
CONTRIBUTIONS: list[Contribution] = discover()

_log = get_logger("serving")
UVICORN_ACCESS_LOGGER = "uvicorn.access"


class BentoService(Protocol):
    """The part of ``bentoml.Service`` this project uses (BentoML's SDK ships no type hints)."""

    name: str

    def to_asgi(self) -> ASGIApp:
        """Build the ASGI app BentoML serves: APIs, health checks, metrics, middleware."""

    def add_asgi_middleware(self, middleware_cls: type[Any], **options: Any) -> None:
        """Wrap every request in ``middleware_cls(app, **options)``."""

    def mount_asgi_app(self, app: ASGIApp, path: str = "/", name: str | None = None) -> None:
        """Serve ``app`` under ``path`` (after the service's own routes)."""


def api(route: str, **options: Any) -> Callable[[MethodT], MethodT]:
    """``bentoml.api`` on ``route``, typed so the decorated method keeps its signature."""
    return cast(Callable[[MethodT], MethodT], bentoml.api(route=route, **options))


def on_shutdown(method: MethodT) -> MethodT:  # noqa: UP047, RUF100 (PEP 695: 3.12+)
    """``bentoml.on_shutdown``, typed."""
    return cast(MethodT, bentoml.on_shutdown(method))


class CoreAPIs:
    """The service's own APIs and lifecycle; pillar mixins are added next to it."""

    def __init__(self) -> None:
        settings = get_settings()
        if not structlog.is_configured():
            configure_logging(settings)
        monitoring = settings.section("monitoring", MonitoringSettings)
        setup_tracing(monitoring, keep_spans=playground.trace_spans())
        logfilter.install()
        # uvicorn's access line would repeat the gateway's for every request: keep one.
        logging.getLogger(UVICORN_ACCESS_LOGGER).setLevel(logging.WARNING)
        serving = settings.section("serving", ServingSettings)
        if not auth_required(settings, serving):
            _log.warning("API key auth is OFF (auth_enabled=false in the dev environment)")
        elif not serving.auth_enabled:
            _log.warning("auth_enabled=false ignored: auth stays on outside ENVIRONMENT=dev")
        elif not serving.api_keys:
            _log.warning("no API keys configured: every protected route answers 401/403")

    async def __is_ready__(self) -> bool:
        """Ready when every pillar's check passes and the rate-limit store answers."""
        problems: list[str] = []
        for contribution in CONTRIBUTIONS:
            for check in contribution.readiness:
                reason = await check()
                if reason:
                    problems.append(f"{contribution.pillar}: {reason}")
        serving = get_settings().section("serving", ServingSettings)
        if serving.rate_limit_backend == "redis" and serving.rate_limit_per_minute > 0:
            probe = RedisRateLimiter(serving.redis_url.get_secret_value(), 1.0, 1)
            if not await probe.ping():
                problems.append("serving: redis (rate limit backend) unreachable")
            await probe.close()
        if problems:
            _log.warning("not ready", problems=problems)
        return not problems

    @on_shutdown
    async def _shutdown(self) -> None:
        for contribution in CONTRIBUTIONS:
            for hook in contribution.shutdown:
                await hook()
        shutdown_tracing()

    @api(route="/info")
    def info(self) -> InfoResponse:
        """Service name, package version, installed pillars and environment."""
        return InfoResponse(
            service=_SETTINGS.service_name,
            version=__version__,
            pillars=installed_pillars(),
            environment=get_settings().environment.value,
            routes=sorted(route for c in CONTRIBUTIONS for route in c.routes),
        )

    @api(route="/v1/echo")
    def echo(self, request: EchoRequest, /) -> EchoResponse:
        """Echo the text with its character, word and line counts, SHA-256 and top words."""
        return describe_text(request)


def _service_config() -> dict[str, Any]:
    return {
        "name": _SETTINGS.service_name,
        "workers": _SETTINGS.workers,
        "traffic": {
            "timeout": _SETTINGS.request_timeout_s,
            "max_concurrency": _SETTINGS.max_concurrency,
        },
        # BentoML labels its HTTP metrics with raw paths (unbounded); the gateway counts
        # requests by route template and answers /metrics (see _telemetry.py).
        "metrics": {"enabled": False},
        # The gateway writes the access log (request id, key name, duration, no query string;
        # SERVING__ACCESS_LOG); BentoML's own line would be a second, slower copy of it.
        "logging": {"access": {"enabled": False}},
        # BentoML opens a request span of its own (unsampled unless its tracing is configured)
        # for every request: not for the direct endpoints, whose work is traced per batch.
        "tracing": {"excluded_urls": [_url_pattern(path) for _, path in _direct_endpoints()]},
    }


def _direct_endpoints() -> list[tuple[str, str]]:
    return [key for contribution in CONTRIBUTIONS for key in contribution.endpoints]


def _url_pattern(path: str) -> str:
    """A regular expression matching request URLs of exactly ``path`` (any host, any query)."""
    return f"^[^?]*//[^/?]*{re.escape(path)}(\\?.*)?$"


_MIXINS = tuple(c.mixin for c in CONTRIBUTIONS if c.mixin is not None)
AIService: Any = bentoml.service(**_service_config())(
    type("AIService", (CoreAPIs, *_MIXINS), {"__module__": __name__, "__doc__": CoreAPIs.__doc__})
)


def bento_service() -> BentoService:
    """:data:`AIService` as the ``bentoml.Service`` object the decorator made of it."""
    return cast(BentoService, AIService)


@cache
def asgi_app() -> ASGIApp:
    """The service as an ASGI app, for in-process HTTP calls (tests, the demo).

    Built once per process: BentoML registers its Prometheus metrics for each app it builds, and
    a process's metrics registry accepts each metric name only once.
    """
    return bento_service().to_asgi()


def cors_options(settings: ServingSettings) -> dict[str, Any]:
    """Starlette ``CORSMiddleware`` options for the configured origins."""
    return {
        "allow_origins": settings.cors_origins,
        "allow_methods": ["GET", "POST", "OPTIONS"],
        "allow_headers": ["authorization", "x-api-key", "content-type", "x-request-id"],
        "expose_headers": ["x-request-id", "retry-after"],
        "max_age": 600,
    }


def install(
    service: BentoService, settings: ServingSettings, contributions: list[Contribution]
) -> None:
    """Add the middleware stack and the pillars' mounted apps to ``service``."""
    # Added first = outermost: CORS answers preflights before auth; the gateway sees every request.
    if settings.cors_origins:
        service.add_asgi_middleware(CORSMiddleware, **cors_options(settings))
    routes = [route for contribution in contributions for route in contribution.routes]
    service.add_asgi_middleware(GatewayMiddleware, routes=routes)
    service.add_asgi_middleware(
        BodySizeLimitMiddleware,
        max_body_bytes=settings.max_request_body_bytes,
        body_timeout_s=settings.body_timeout_s,
    )
    endpoints = {key: app for c in contributions for key, app in c.endpoints.items()}
    if endpoints:
        service.add_asgi_middleware(DirectEndpoints, endpoints=endpoints)
    service.add_asgi_middleware(ValidationStatusMiddleware)
    for contribution in contributions:
        for path, app in contribution.mounts:
            service.mount_asgi_app(app, path=path, name=f"{contribution.pillar}-{path}")


install(bento_service(), _SETTINGS, CONTRIBUTIONS)
