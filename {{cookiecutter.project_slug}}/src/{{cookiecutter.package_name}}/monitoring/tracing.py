"""OpenTelemetry tracing: OTLP/HTTP export when an endpoint is configured, otherwise off.

Code asks for a tracer with :func:`get_tracer` and opens spans; that costs nothing until
:func:`setup_tracing` runs (the CLI and the service call it at start). Tests pass an in-memory
exporter and read the finished spans. Nothing is set up at import.
"""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

from ..core.pillars import ROOT_PACKAGE
from .settings import MonitoringSettings

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
) -> TracerProvider | None:
    """Configure tracing from ``settings``; return the provider, or ``None`` when tracing is off.

    Args:
        settings: the ``monitoring`` settings section.
        exporter: export here instead (tests: ``InMemorySpanExporter``); spans leave synchronously.
        set_global: also install the provider as OpenTelemetry's global one, so libraries that
            trace themselves (pydantic-ai, httpx instrumentation) export through it too. The
            global provider can be set only once per process; tests pass ``False``.
    """
    global _provider  # noqa: PLW0603 - one provider per process, like OpenTelemetry's own
    if exporter is None and not settings.otlp_endpoint:
        return None
    resource = Resource.create({SERVICE_NAME: settings.service_name or ROOT_PACKAGE})
    sampler = ParentBased(TraceIdRatioBased(settings.trace_sample_ratio))
    provider = TracerProvider(resource=resource, sampler=sampler)
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    else:
        provider.add_span_processor(BatchSpanProcessor(_otlp_exporter(settings)))
    if set_global:
        trace.set_tracer_provider(provider)
    _provider = provider
    return provider


def shutdown_tracing() -> None:
    """Flush and stop the configured provider (at process exit, or between tests)."""
    global _provider  # noqa: PLW0603
    if _provider is not None:
        _provider.shutdown()
        _provider = None


def _otlp_exporter(settings: MonitoringSettings) -> SpanExporter:
    # Imported here: the exporter pulls protobuf and requests, which only a traced process needs.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter  # noqa: PLC0415

    headers = parse_headers(settings.otlp_headers.get_secret_value())
    return OTLPSpanExporter(endpoint=traces_url(settings.otlp_endpoint), headers=headers or None)
