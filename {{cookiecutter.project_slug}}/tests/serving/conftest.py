"""Fixtures of the serving tests: an in-process HTTP client over the real BentoML ASGI app."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from bentoml._internal.configuration.containers import BentoMLContainer
from bentoml._internal.server.metrics.prometheus import PrometheusClient
from starlette.testclient import TestClient

from {{ cookiecutter.package_name }}.serving.service import asgi_app

os.environ.setdefault("BENTOML_DO_NOT_TRACK", "true")
# The in-process app runs in this one process, so its /metrics uses Prometheus' single-process
# registry. BentoML's default multiprocess mode (what `bentoml serve` workers need) would depend on
# PROMETHEUS_MULTIPROC_DIR being set before anything, e.g. Prefect, imports prometheus_client.
BentoMLContainer.metrics_client.set(PrometheusClient(multiproc=False))


@pytest.fixture
def client() -> Iterator[TestClient]:
    """A client of the service's ASGI app, with its startup and shutdown hooks run."""
    with TestClient(asgi_app()) as test_client:
        yield test_client
