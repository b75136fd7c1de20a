"""Prometheus metrics shared by every pillar: get-or-create on the default registry.

``counter("rag_searches_total", "Searches run", ["mode"])`` returns the same collector every time it
is called with that name, so modules can declare metrics where they use them without import-time
registration races or "Duplicated timeseries" errors in tests. Asking for an existing name with a
different type or label names is a programming error and raises.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import cast

from prometheus_client import (
    REGISTRY,
    Counter,
    Gauge,
    Histogram,
    push_to_gateway,
    write_to_textfile,
)
from prometheus_client.metrics import MetricWrapperBase

_lock = threading.Lock()
_metrics: dict[str, MetricWrapperBase] = {}


def _get_or_create(
    kind: type[Counter | Gauge | Histogram],
    name: str,
    documentation: str,
    labelnames: Sequence[str],
    buckets: Sequence[float] | None = None,
) -> MetricWrapperBase:
    with _lock:
        metric = _metrics.get(name)
        if metric is None:
            if buckets is not None:
                metric = Histogram(name, documentation, labelnames, buckets=tuple(buckets))
            else:
                metric = kind(name, documentation, labelnames)
            _metrics[name] = metric
    if not isinstance(metric, kind):
        found = type(metric).__name__
        raise TypeError(f"metric {name!r} exists as a {found}, not a {kind.__name__}")
    existing = tuple(metric._labelnames)  # no public accessor
    if existing != tuple(labelnames):
        raise ValueError(f"metric {name!r} exists with labels {existing}, not {tuple(labelnames)}")
    return metric


def counter(name: str, documentation: str, labelnames: Sequence[str] = ()) -> Counter:
    """Return the counter ``name`` (created on first use) from the default registry."""
    return cast(Counter, _get_or_create(Counter, name, documentation, labelnames))


def gauge(name: str, documentation: str, labelnames: Sequence[str] = ()) -> Gauge:
    """Return the gauge ``name`` (created on first use) from the default registry."""
    return cast(Gauge, _get_or_create(Gauge, name, documentation, labelnames))


def histogram(
    name: str,
    documentation: str,
    labelnames: Sequence[str] = (),
    buckets: Sequence[float] | None = None,
) -> Histogram:
    """Return the histogram ``name`` (created on first use); ``buckets`` default to Prometheus'."""
    return cast(Histogram, _get_or_create(Histogram, name, documentation, labelnames, buckets))


def write_textfile(path: Path) -> Path:
    """Write every metric of the default registry to ``path`` (node-exporter textfile format).

    Batch jobs (training, drift checks) end before Prometheus could scrape them: point the node
    exporter's textfile collector (or a pushgateway job) at this file instead.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    write_to_textfile(str(path), REGISTRY)
    return path


def push(gateway: str, job: str, timeout: float = 10.0) -> None:
    """Push every metric of the default registry to a Prometheus Pushgateway as ``job``.

    The other way for batch jobs to reach Prometheus (see :func:`write_textfile`).
    """
    push_to_gateway(gateway, job=job, registry=REGISTRY, timeout=timeout)
