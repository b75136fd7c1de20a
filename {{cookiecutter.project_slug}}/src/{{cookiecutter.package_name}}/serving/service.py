"""The BentoML service: ``bentoml serve <package>.serving.service:AIService``.

Besides BentoML's built-in ``GET /livez``, ``GET /readyz`` and ``GET /metrics`` (Prometheus), it
answers ``POST /info`` (what is running) and ``POST /v1/echo`` (an example that needs no other
pillar). Request limits come from the ``serving`` settings section, read when this module is
imported (that is when BentoML reads a service's configuration).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any, Protocol, TypeVar, cast

import bentoml

from .. import __version__
from ..core.pillars import installed_pillars
from ..core.settings import get_settings
from .middleware import ASGIApp, BodySizeLimitMiddleware, ValidationStatusMiddleware
from .schemas import EchoRequest, EchoResponse, InfoResponse, describe_text
from .settings import ServingSettings

MethodT = TypeVar("MethodT", bound=Callable[..., Any])

# BentoML takes a service's configuration from its decorator, so the section is read on import.
_SETTINGS = get_settings().section("serving", ServingSettings)


class BentoService(Protocol):
    """The part of ``bentoml.Service`` this project uses (BentoML's SDK ships no type hints)."""

    name: str

    def to_asgi(self) -> ASGIApp:
        """Build the ASGI app BentoML serves: APIs, health checks, metrics, middleware."""

    def add_asgi_middleware(self, middleware_cls: type[Any], **options: Any) -> None:
        """Wrap every request in ``middleware_cls(app, **options)``."""


def api(route: str) -> Callable[[MethodT], MethodT]:
    """``bentoml.api`` on ``route``, typed so the decorated method keeps its signature."""
    return cast(Callable[[MethodT], MethodT], bentoml.api(route=route))


@bentoml.service(
    name=_SETTINGS.service_name,
    workers=_SETTINGS.workers,
    traffic={"timeout": _SETTINGS.request_timeout_s},
)
class AIService:
    """HTTP front door of the project; each API method is one ``POST`` route."""

    @api(route="/info")
    def info(self) -> InfoResponse:
        """Service name, package version, installed pillars and environment."""
        return InfoResponse(
            service=_SETTINGS.service_name,
            version=__version__,
            pillars=installed_pillars(),
            environment=get_settings().environment.value,
        )

    @api(route="/v1/echo")
    def echo(self, request: EchoRequest, /) -> EchoResponse:
        """Echo the text with its character, word and line counts, SHA-256 and top words."""
        return describe_text(request)


def bento_service() -> BentoService:
    """:class:`AIService` as the ``bentoml.Service`` object the decorator made of it."""
    return cast(BentoService, AIService)


@cache
def asgi_app() -> ASGIApp:
    """The service as an ASGI app, for in-process HTTP calls (tests, the demo).

    Built once per process: BentoML registers its Prometheus metrics for each app it builds, and
    a process's metrics registry accepts each metric name only once.
    """
    return bento_service().to_asgi()


bento_service().add_asgi_middleware(
    BodySizeLimitMiddleware, max_body_bytes=_SETTINGS.max_request_body_bytes
)
bento_service().add_asgi_middleware(ValidationStatusMiddleware)
