"""OpenTelemetry tracing: OTLP/HTTP export when an endpoint is configured, otherwise off.

Code asks for a tracer with :func:`get_tracer` and opens spans; that costs nothing until
:func:`setup_tracing` runs (the CLI and the service call it at start). Tests pass an in-memory
exporter and read the finished spans. Nothing is set up at import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from opentelemetry import trace

from ..core.pillars import ROOT_PACKAGE
from .settings import MonitoringSettings

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter

TRACES_PATH = "/v1/traces"

_provider: TracerProvider | None = None


def get_tracer(name: str) -> trace.Tracer:
    """Return a tracer: the configured one after :func:`setup_tracing`, a no-op one before."""
    if _provider is not None:
        return _provider.get_tracer(name)
    return trace.get_tracer(name)


def parse_headers(raw: str) -> dict[str, str]:
    """Parse ``k=v,k2=v2`` (the OTEL_EXPORTER_OTLP_HEADERS format) into a dict."""
    pairs = (item.split("=", 1) for item in raw.split(",") if "=" in item)
    return {key.strip(): value.strip() for key, value in pairs}


def traces_url(endpoint: str) -> str:
    """Collector base URL -> its OTLP/HTTP traces URL (``/v1/traces`` appended once)."""
    base = endpoint.rstrip("/")
    return base if base.endswith(TRACES_PATH) else base + TRACES_PATH


def setup_tracing(
    settings: MonitoringSettings,
    *,
    exporter: SpanExporter | None = None,
    set_global: bool = True,
    keep_spans: int = 0,
) -> TracerProvider | None:
    """Configure tracing from ``settings``; return the provider, or ``None`` when tracing is off.

    Args:
        settings: the ``monitoring`` settings section.
        exporter: export here instead (tests: ``InMemorySpanExporter``); spans leave synchronously.
        set_global: also install the provider as OpenTelemetry's global one, so libraries that
            trace themselves (pydantic-ai, httpx instrumentation) export through it too. The
            global provider can be set only once per process; tests pass ``False``.
        keep_spans: also keep the last ``keep_spans`` finished spans in this process
            (:mod:`.spans`, read by the playground's trace view); 0: none. With the store alone
            (no exporter, no endpoint) the provider is not made global: libraries' own spans
            (pydantic-ai's) are not kept, this project's spans (``llm.*`` with tokens and cost)
            are.
    """
    global _provider  # noqa: PLW0603 - one provider per process, like OpenTelemetry's own
    if exporter is None and not settings.otlp_endpoint and keep_spans <= 0:
        return None
    # Imported here: the SDK (and psutil under its resource detection) costs a process that does
    # not trace about 0.05 s, and most command runs do not trace.
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource  # noqa: PLC0415
    from opentelemetry.sdk.trace import TracerProvider  # noqa: PLC0415
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor  # noqa: PLC0415
    from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased  # noqa: PLC0415

    from .spans import enable_span_store  # noqa: PLC0415

    store = enable_span_store(keep_spans) if keep_spans > 0 else None
    resource = Resource.create({SERVICE_NAME: settings.service_name or ROOT_PACKAGE})
    ratio = TraceIdRatioBased(settings.trace_sample_ratio)
    # BentoML wraps each request in a span of its own provider that it does not sample; under it,
    # decide by trace id like a root span (the same trace id gives the same answer every time).
    sampler = ParentBased(ratio, local_parent_not_sampled=ratio)
    provider = TracerProvider(resource=resource, sampler=sampler)
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    elif settings.otlp_endpoint:
        provider.add_span_processor(BatchSpanProcessor(_otlp_exporter(settings)))
    if store is not None:
        provider.add_span_processor(store)
    if set_global and (exporter is not None or settings.otlp_endpoint):
        # Not for the span store alone: it needs only this project's spans, and a process-wide
        # provider cannot be unset (in-process tests would all trace from then on).
        trace.set_tracer_provider(provider)
    _provider = provider
    return provider


def shutdown_tracing() -> None:
    """Flush and stop the configured provider (at process exit, or between tests)."""
    global _provider  # noqa: PLW0603
    if _provider is not None:
        _provider.shutdown()
        _provider = None
    from .spans import disable_span_store  # noqa: PLC0415 - see setup_tracing

    disable_span_store()


def _otlp_exporter(settings: MonitoringSettings) -> SpanExporter:
    # Imported here: the exporter pulls protobuf and requests, which only a traced process needs.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter  # noqa: PLC0415

    headers = parse_headers(settings.otlp_headers.get_secret_value())
    return OTLPSpanExporter(endpoint=traces_url(settings.otlp_endpoint), headers=headers or None)
