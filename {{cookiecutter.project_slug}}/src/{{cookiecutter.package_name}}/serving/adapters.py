"""How other pillars put their endpoints on the service, without ``service.py`` naming them.

A pillar that has endpoints ships ``<pillar>/endpoints.py`` (present only when both that pillar
and serving are part of the project; the template's manifest lists it as an integration). The
module defines ``contribute() -> Contribution``: a mixin class whose ``@bentoml.api`` methods
join the service, ASGI apps to mount (for routes BentoML APIs cannot express: ``GET``,
path parameters, OpenAI-style SSE), and a readiness check.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from ..core.pillars import installed_pillars, pillar_module
from .middleware import ASGIApp

# Returns None when ready, or why not (the reason is logged; /readyz answers 503).
ReadinessCheck = Callable[[], Awaitable[str | None]]


@dataclass
class Contribution:
    """What one pillar adds to the service."""

    pillar: str
    mixin: type | None = None
    mounts: list[tuple[str, ASGIApp]] = field(default_factory=list)
    readiness: list[ReadinessCheck] = field(default_factory=list)
    routes: list[str] = field(default_factory=list)


def discover() -> list[Contribution]:
    """The contributions of every installed pillar that has an ``endpoints`` module."""
    found: list[Contribution] = []
    for pillar in installed_pillars():
        module = pillar_module(pillar, "endpoints")
        contribute = getattr(module, "contribute", None)
        if callable(contribute):
            contribution = contribute()
            if isinstance(contribution, Contribution):
                found.append(contribution)
    return found
