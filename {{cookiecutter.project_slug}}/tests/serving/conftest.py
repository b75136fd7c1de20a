"""Fixtures of the serving tests: an in-process HTTP client over the real BentoML ASGI app."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest

# In-process /metrics needs Prometheus in multiprocess mode, chosen by this variable. Usage
# tracking stays off in tests.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="prometheus-"))
os.environ.setdefault("BENTOML_DO_NOT_TRACK", "true")
if "prometheus_client" in sys.modules:
    # Another library (Prefect, in a project with the ml pillar) imported prometheus_client
    # before this file set the variable: pick the value class again, as prometheus_client's own
    # tests do, so the metrics BentoML creates later are written where /metrics reads them.
    from prometheus_client import values

    prometheus_values: Any = values  # get_value_class has no type hints
    prometheus_values.ValueClass = prometheus_values.get_value_class()

from starlette.testclient import TestClient

from {{ cookiecutter.package_name }}.serving.service import asgi_app


@pytest.fixture
def client() -> Iterator[TestClient]:
    """A client of the service's ASGI app, with its startup and shutdown hooks run."""
    with TestClient(asgi_app()) as test_client:
        yield test_client
