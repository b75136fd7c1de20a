"""The bounded span store behind the playground's trace view."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from {{ cookiecutter.package_name }}.monitoring.context import bind_request_id, bind_run_id, clear_context
from {{ cookiecutter.package_name }}.monitoring.settings import MonitoringSettings
from {{ cookiecutter.package_name }}.monitoring.spans import MAX_VALUE_CHARS, SpanStore, span_store
from {{ cookiecutter.package_name }}.monitoring.tracing import get_tracer, setup_tracing, shutdown_tracing


@pytest.fixture
def traced() -> Iterator[tuple[SpanStore, TracerProvider]]:
    store = SpanStore(capacity=5)
    provider = TracerProvider()
    provider.add_span_processor(store)
    clear_context()
    yield store, provider
    clear_context()
    provider.shutdown()


def test_it_keeps_spans_tagged_with_the_request_and_run_ids(
    traced: tuple[SpanStore, TracerProvider],
) -> None:
    store, provider = traced
    tracer = provider.get_tracer("test")
    bind_request_id("r1")
    bind_run_id("run-9")
    with tracer.start_as_current_span("llm.chat") as span:
        span.set_attribute("gen_ai.usage.input_tokens", 12)
    (kept,) = store.find(request_id="r1")
    assert kept["attributes"] == {
        "request.id": "r1",
        "agent.run_id": "run-9",
        "gen_ai.usage.input_tokens": 12,
    }
    assert store.find(run_id="run-9") == [kept]
    assert kept["duration_ms"] >= 0
    assert kept["status"] == "unset"


def test_it_drops_whole_oldest_traces_beyond_its_capacity(
    traced: tuple[SpanStore, TracerProvider],
) -> None:
    store, provider = traced
    tracer = provider.get_tracer("test")
    for index in range(4):
        bind_request_id(f"r{index}")
        with tracer.start_as_current_span("root"), tracer.start_as_current_span("child"):
            pass
    assert len(store) <= 5
    assert store.find(request_id="r0") == []
    assert len(store.find(request_id="r3")) == 2
    assert [trace["request_id"] for trace in store.recent()] == ["r3", "r2"]


def test_long_values_are_cut(traced: tuple[SpanStore, TracerProvider]) -> None:
    store, provider = traced
    bind_request_id("long")
    with provider.get_tracer("test").start_as_current_span("s") as span:
        span.set_attribute("llm.prompt", "x" * 5000)
    (kept,) = store.find(request_id="long")
    assert len(kept["attributes"]["llm.prompt"]) == MAX_VALUE_CHARS + 1


def test_a_lookup_without_an_id_finds_nothing(traced: tuple[SpanStore, TracerProvider]) -> None:
    store, _ = traced
    assert store.find() == []


def test_capacity_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least one span"):
        SpanStore(0)


def test_the_store_alone_traces_this_project_without_a_global_provider() -> None:
    before = trace.get_tracer_provider()
    shutdown_tracing()
    try:
        assert setup_tracing(MonitoringSettings(), keep_spans=10) is not None
        with get_tracer("test").start_as_current_span("kept"):
            pass
        store = span_store()
        assert store is not None
        assert [kept["name"] for kept in store.recent()] == ["kept"]
        assert trace.get_tracer_provider() is before
    finally:
        shutdown_tracing()
    assert span_store() is None
