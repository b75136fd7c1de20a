"""How the routes of other pillars join the service, without ``service.py`` naming them.

Each pillar with endpoints has a module ``serving/routes/<pillar>.py`` (present only when both that
pillar and serving are part of the project; the template's manifest lists it as an integration).
It imports the pillar's public interface and defines ``contribute() -> Contribution``: a mixin
class whose ``@bentoml.api`` methods join the service, ASGI apps to mount (for routes BentoML APIs
cannot express: ``GET``, path parameters, OpenAI-style SSE), direct endpoints (an ASGI app that
answers one method and path ahead of BentoML's router: a hot path such as ``POST /predict`` that
should not pay for BentoML's IO descriptors; the mixin's API of the same route still documents it
in the OpenAPI page and serves in-process calls), and a readiness check.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from ..core.pillars import PILLAR_NAMES
from . import routes
from ._middleware import ASGIApp

# Returns None when ready, or why not (the reason is logged; /readyz answers 503).
ReadinessCheck = Callable[[], Awaitable[str | None]]


@dataclass
class Contribution:
    """What one pillar adds to the service."""

    pillar: str
    mixin: type | None = None
    mounts: list[tuple[str, ASGIApp]] = field(default_factory=list)
    # (method, path) -> the app that answers it ahead of BentoML's router.
    endpoints: dict[tuple[str, str], ASGIApp] = field(default_factory=dict)
    readiness: list[ReadinessCheck] = field(default_factory=list)
    routes: list[str] = field(default_factory=list)
    # Run when the service shuts down (a rolling deploy's SIGTERM), before it exits.
    shutdown: list[Callable[[], Awaitable[None]]] = field(default_factory=list)


@runtime_checkable
class RouteModule(Protocol):
    """What a module of :mod:`.routes` provides."""

    def contribute(self) -> Contribution:
        """The routes, mixin and readiness checks this module adds to the service."""
        ...


def configuring_only() -> bool:
    """True in the ``bentoml serve`` arbiter process.

    It imports the service only to read its configuration (name, workers, traffic) and then
    starts the workers, which import it again and serve every request. Route modules use this to
    skip work only a worker needs (loading a model to type its requests), so that the arbiter
    stays small and the workers start sooner.
    """
    if sys.argv[1:2] != ["serve"] or "bentoml_cli" not in sys.modules:
        return False
    from bentoml._internal.context import server_context  # noqa: PLC0415  (no public API)

    return server_context.worker_index is None


def route_modules() -> list[str]:
    """Names of the modules in :mod:`.routes`, in pillar order."""
    names = {info.name for info in pkgutil.iter_modules(routes.__path__)}
    return [name for name in PILLAR_NAMES if name in names] + sorted(names - set(PILLAR_NAMES))


def discover() -> list[Contribution]:
    """The contribution of every module in :mod:`.routes`."""
    found: list[Contribution] = []
    for name in route_modules():
        module = importlib.import_module(f"{routes.__name__}.{name}")
        if not isinstance(module, RouteModule):
            raise TypeError(f"{module.__name__} defines no contribute() -> Contribution")
        found.append(module.contribute())
    return found
