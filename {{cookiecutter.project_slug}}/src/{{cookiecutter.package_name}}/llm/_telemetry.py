"""Prometheus metrics, a structured log line and an OpenTelemetry span for every model call.

Metrics (default registry, scraped by the serving pillar's ``/metrics``):

* ``llm_calls_total{model,kind,outcome}``: calls by kind (run, stream, cached) and outcome;
* ``llm_tokens_total{model,direction}``: input and output tokens;
* ``llm_cost_usd_total{model}``: priced cost (calls of unknown price add nothing);
* ``llm_call_seconds{model,kind}``: wall time of a call, retries and fallbacks included.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from opentelemetry.trace import Span, Status, StatusCode

from ..core.logging import get_logger
from ..monitoring.metrics import counter, histogram
from ..monitoring.tracing import get_tracer
from ._usage import TokenUsage

log = get_logger(__name__)

SECONDS_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


@dataclass
class CallRecord:
    """What one call reports; the client fills it in while the call runs."""

    model: str
    kind: str
    prompt: str | None = None
    usage: TokenUsage = field(default_factory=TokenUsage)
    outcome: str = "ok"


@contextmanager
def observe_call(record: CallRecord) -> Iterator[Span]:
    """Time a call inside a span; count it, its tokens and cost; log one line when it ends."""
    tracer = get_tracer(__name__)
    start = time.perf_counter()
    with tracer.start_as_current_span(f"llm.{record.kind}") as span:
        span.set_attribute("gen_ai.request.model", record.model)
        if record.prompt:
            span.set_attribute("llm.prompt", record.prompt)
        try:
            yield span
        except Exception as exc:
            record.outcome = type(exc).__name__
            span.set_status(Status(StatusCode.ERROR, str(exc)[:200]))
            raise
        finally:
            _finish(record, span, time.perf_counter() - start)


def _finish(record: CallRecord, span: Span, seconds: float) -> None:
    usage = record.usage
    span.set_attribute("gen_ai.usage.input_tokens", usage.input_tokens)
    span.set_attribute("gen_ai.usage.output_tokens", usage.output_tokens)
    if usage.cost_usd is not None:
        span.set_attribute("llm.cost_usd", usage.cost_usd)
    model, kind = record.model, record.kind
    counter("llm_calls_total", "LLM calls", ["model", "kind", "outcome"]).labels(
        model, kind, record.outcome
    ).inc()
    tokens = counter("llm_tokens_total", "LLM tokens", ["model", "direction"])
    tokens.labels(model, "input").inc(usage.input_tokens)
    tokens.labels(model, "output").inc(usage.output_tokens)
    if usage.cost_usd is not None:
        counter("llm_cost_usd_total", "LLM cost in USD", ["model"]).labels(model).inc(
            usage.cost_usd
        )
    histogram(
        "llm_call_seconds", "LLM call wall time", ["model", "kind"], buckets=SECONDS_BUCKETS
    ).labels(model, kind).observe(seconds)
    log.info(
        "llm.call",
        model=model,
        kind=kind,
        prompt=record.prompt,
        outcome=record.outcome,
        requests=usage.requests,
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        cost_usd=usage.cost_usd,
        seconds=round(seconds, 4),
    )
