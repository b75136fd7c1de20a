from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from {{ cookiecutter.package_name }}.monitoring.metrics import (
    counter,
    gauge,
    histogram,
    push,
    write_textfile,
)


def test_same_name_returns_the_same_collector() -> None:
    first = counter("test_monitoring_events_total", "Events seen", ["kind"])
    again = counter("test_monitoring_events_total", "Events seen", ["kind"])
    assert first is again
    first.labels(kind="a").inc(2)
    value = REGISTRY.get_sample_value("test_monitoring_events_total", {"kind": "a"})
    assert value is not None
    assert value >= 2


def test_gauge_and_histogram_with_buckets() -> None:
    level = gauge("test_monitoring_level", "A level")
    level.set(3.5)
    assert REGISTRY.get_sample_value("test_monitoring_level") == 3.5
    latency = histogram("test_monitoring_seconds", "Latency", buckets=[0.1, 1.0])
    latency.observe(0.5)
    assert REGISTRY.get_sample_value("test_monitoring_seconds_bucket", {"le": "1.0"}) == 1.0
    assert REGISTRY.get_sample_value("test_monitoring_seconds_bucket", {"le": "0.1"}) == 0.0


def test_type_mismatch_is_an_error() -> None:
    gauge("test_monitoring_mismatch", "A gauge")
    with pytest.raises(TypeError, match="Gauge"):
        counter("test_monitoring_mismatch", "Not a counter")


def test_label_mismatch_is_an_error() -> None:
    counter("test_monitoring_labelled_total", "Labelled", ["model"])
    with pytest.raises(ValueError, match="labels"):
        counter("test_monitoring_labelled_total", "Labelled", ["other"])


def test_textfile_holds_the_registry(tmp_path: Path) -> None:
    gauge("test_monitoring_textfile", "Written to a file").set(7)
    path = write_textfile(tmp_path / "out" / "job.prom")
    assert "test_monitoring_textfile 7.0" in path.read_text(encoding="utf-8")


def test_push_sends_the_registry_to_a_pushgateway() -> None:
    received: list[tuple[str, str]] = []

    class Gateway(BaseHTTPRequestHandler):
        def do_PUT(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            received.append((self.path, body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Gateway)
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    try:
        gauge("test_monitoring_pushed", "Pushed to the gateway").set(2)
        push(f"http://127.0.0.1:{server.server_port}", job="batch")
    finally:
        server.shutdown()
        server.server_close()
    [(path, body)] = received
    assert path == "/metrics/job/batch"
    assert "test_monitoring_pushed 2.0" in body
