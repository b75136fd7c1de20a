"""Request metrics with a bounded number of series, and the ``/metrics`` answer.

BentoML's own HTTP metrics label every request with its raw path, so a client sending random
paths (or none with a key) grows ``/metrics`` without bound: 3,000 keyless requests took it from
6 KB to 12.6 MB. The service switches those off and counts requests here instead:

* ``serving_requests_total`` and ``serving_request_duration_seconds`` are labelled by route
  *template* (``/agent/runs/{run_id}``), method and status; a path that matches no route is
  ``other``;
* a request refused for its key (401/403) only counts in ``serving_auth_failures_total`` by
  reason: it creates no series;
* no label holds a key name, a raw path or anything else the client chose;
* a hard cap (``SERVING__METRICS_MAX_SERIES``) on label combinations: beyond it, new ones are
  counted under ``other``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable

from prometheus_client import Gauge

from ..monitoring.metrics import counter, gauge, histogram

OTHER = "other"
METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"})
_PARAMETER = re.compile(r"\{[^/{}]+\}")


def _pattern(template: str) -> re.Pattern[str]:
    pieces = _PARAMETER.split(template)
    return re.compile("^" + "[^/]+".join(re.escape(piece) for piece in pieces) + "$")


class RouteLabels:
    """Map a request path to the route template it matches (``other`` if none)."""

    def __init__(self, templates: Iterable[str]) -> None:
        self.exact = {t for t in templates if "{" not in t}
        self.patterns = [
            (_pattern(t), t)
            for t in sorted({t for t in templates if "{" in t}, key=len, reverse=True)
        ]

    def label(self, path: str) -> str:
        """The route template of ``path``."""
        if path in self.exact:
            return path
        for pattern, template in self.patterns:
            if pattern.match(path):
                return template
        return OTHER


class SeriesCap:
    """Remember label combinations up to ``limit``; later new ones become ``other``."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._seen: set[tuple[str, ...]] = set()
        self._lock = threading.Lock()

    def admit(self, labels: tuple[str, ...]) -> tuple[str, ...]:
        """``labels`` if known or room is left, else all ``other``."""
        with self._lock:
            if labels in self._seen:
                return labels
            if len(self._seen) < self.limit:
                self._seen.add(labels)
                return labels
        return tuple(OTHER for _ in labels)


def in_progress(route: str) -> Gauge:
    """The gauge of requests of ``route`` being answered now (inc on start, dec when done)."""
    return gauge(
        "serving_requests_in_progress", "Requests being answered, by route template", ["route"]
    ).labels(route)


def record_request(cap: SeriesCap, route: str, method: str, status: int, seconds: float) -> None:
    """Count one answered request (not called for requests refused for their key)."""
    method = method if method in METHODS else OTHER
    labels = cap.admit((route, method, str(status)))
    counter(
        "serving_requests_total",
        "Requests answered, by route template",
        ["route", "method", "status"],
    ).labels(*labels).inc()
    histogram(
        "serving_request_duration_seconds", "Time to answer, by route template", ["route"]
    ).labels(cap.admit((labels[0],))[0]).observe(seconds)


def auth_failure(reason: str) -> None:
    """Count a request refused for its key (``missing`` or ``invalid``): no new series."""
    counter("serving_auth_failures_total", "Rejected API keys", ["reason"]).labels(reason).inc()


def exposition() -> tuple[bytes, str]:
    """The Prometheus text of every process's metrics, and its content type."""
    # Fenced: BentoML's container is what knows the multiprocess folder of `bentoml serve`.
    from bentoml._internal.configuration.containers import BentoMLContainer  # noqa: PLC0415

    client = BentoMLContainer.metrics_client.get()
    body: bytes = client.generate_latest()  # type: ignore[no-untyped-call]
    return body, str(client.CONTENT_TYPE_LATEST)
