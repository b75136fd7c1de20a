"""Locust load test of a generated service's ``/predict`` (and ``/v1/echo``), for users.

    pip install locust
    SERVICE_API_KEY=<a key of SERVING__API_KEYS> locust -f benchmarks/serving_locustfile.py \
        --host http://127.0.0.1:3000 --users 64 --spawn-rate 16 --run-time 60s --headless

Each simulated user sends one-record ``/predict`` requests back to back (weight 9) and an
occasional ``/v1/echo`` (weight 1); Locust reports requests/s and latency percentiles.
``benchmarks/serving_bench.py`` is the scripted, self-contained version used for
docs/performance.md.
"""

from __future__ import annotations

import os

from locust import FastHttpUser, between, task  # type: ignore[import-not-found]

# Locust puts this file's folder on the import path: the same record as the scripted benchmark.
from serving_bench import RECORD  # type: ignore[import-not-found]


class ServiceUser(FastHttpUser):  # type: ignore[misc]
    """One client of the service."""

    wait_time = between(0, 0)

    def on_start(self) -> None:
        """Authenticate every request with the key from SERVICE_API_KEY."""
        self.client.headers["x-api-key"] = os.environ.get("SERVICE_API_KEY", "")

    @task(9)
    def predict(self) -> None:
        """Score one record."""
        self.client.post("/predict", json={"records": [RECORD]})

    @task(1)
    def echo(self) -> None:
        """A request that does not touch the model."""
        self.client.post("/v1/echo", json={"text": "load test", "top_k": 1})
