from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from {{ cookiecutter.package_name }}.monitoring.settings import MonitoringSettings
from {{ cookiecutter.package_name }}.monitoring.tracing import (
    get_tracer,
    parse_headers,
    setup_tracing,
    shutdown_tracing,
    traces_url,
)


@pytest.fixture(autouse=True)
def reset_tracing() -> Iterator[None]:
    shutdown_tracing()
    yield
    shutdown_tracing()


def test_tracing_is_off_without_endpoint() -> None:
    assert setup_tracing(MonitoringSettings(), set_global=False) is None
    with get_tracer("test").start_as_current_span("noop") as span:
        assert not span.is_recording()


UNTRACED_PROCESS = """
import sys
from {{ cookiecutter.package_name }}.monitoring.settings import MonitoringSettings
from {{ cookiecutter.package_name }}.monitoring.tracing import get_tracer, setup_tracing
assert setup_tracing(MonitoringSettings()) is None
with get_tracer("cli").start_as_current_span("step"):
    pass
print(sorted(name for name in sys.modules if name.startswith("opentelemetry.sdk")))
"""


def test_a_process_that_does_not_trace_never_imports_the_sdk() -> None:
    # Every command calls setup_tracing at start (cli._startup): the SDK, psutil under it
    # included, is for traced runs.
    loaded = subprocess.run(  # noqa: S603 - this interpreter, code of this module
        [sys.executable, "-c", UNTRACED_PROCESS], capture_output=True, text=True, check=True
    )
    assert loaded.stdout.strip() == "[]"


def test_in_memory_exporter_receives_spans() -> None:
    exporter = InMemorySpanExporter()
    settings = MonitoringSettings(service_name="svc-under-test")
    assert setup_tracing(settings, exporter=exporter, set_global=False) is not None
    tracer = get_tracer("test")
    with tracer.start_as_current_span("outer"), tracer.start_as_current_span("inner") as inner:
        inner.set_attribute("rows", 3)
    spans = {span.name: span for span in exporter.get_finished_spans()}
    assert set(spans) == {"outer", "inner"}
    assert spans["inner"].attributes == {"rows": 3}
    assert spans["inner"].parent is not None
    assert spans["outer"].resource.attributes["service.name"] == "svc-under-test"


def test_otlp_endpoint_configures_a_batch_exporter() -> None:
    settings = MonitoringSettings(otlp_endpoint="http://127.0.0.1:9/", otlp_headers="a=1")
    provider = setup_tracing(settings, set_global=False)
    assert provider is not None
    processors = provider._active_span_processor._span_processors
    assert any(isinstance(processor, BatchSpanProcessor) for processor in processors)


def test_sample_ratio_zero_drops_traces() -> None:
    exporter = InMemorySpanExporter()
    setup_tracing(MonitoringSettings(trace_sample_ratio=0.0), exporter=exporter, set_global=False)
    with get_tracer("test").start_as_current_span("dropped"):
        pass
    assert exporter.get_finished_spans() == ()


def test_helpers() -> None:
    assert traces_url("http://c:4318/") == "http://c:4318/v1/traces"
    assert traces_url("http://c:4318/v1/traces") == "http://c:4318/v1/traces"
    assert parse_headers("a=1, b = x=y,junk") == {"a": "1", "b": "x=y"}
