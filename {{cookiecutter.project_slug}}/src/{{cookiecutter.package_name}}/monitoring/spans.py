"""A bounded in-process store of finished spans, for the playground's trace view.

:func:`setup_tracing` adds the active store (see :func:`enable_span_store`) as one more span
processor next to the OTLP exporter, so the spans the code already records (``llm.*`` with tokens
and cost, ``rag.search`` with hit ids, ``agent.*`` steps and tool calls, ``ml.predict``) are also
kept here, newest last, until ``capacity`` spans are held; then the oldest traces are dropped
whole. Each span is tagged with the request id and run id bound in the logging context
(:mod:`.context`) when it starts, so a trace is found by the ``x-request-id`` a client saw or by an
agent run's id. Nothing is kept unless the store is enabled; nothing leaves the process.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor

from .context import REQUEST_ID, RUN_ID, current_context

REQUEST_ATTRIBUTE = "request.id"
RUN_ATTRIBUTE = "agent.run_id"
MAX_VALUE_CHARS = 500
MAX_LIST_ITEMS = 50

SpanRecord = dict[str, Any]


def _value(value: Any) -> Any:
    if isinstance(value, str):
        return value if len(value) <= MAX_VALUE_CHARS else value[:MAX_VALUE_CHARS] + "…"
    if isinstance(value, (list, tuple)):
        return [_value(item) for item in value[:MAX_LIST_ITEMS]]
    return value


def to_record(span: ReadableSpan) -> SpanRecord:
    """A finished span as JSON-ready data: ids, name, times (ms), status, attributes."""
    context = span.get_span_context()
    start, end = span.start_time or 0, span.end_time or span.start_time or 0
    return {
        "trace_id": f"{context.trace_id:032x}" if context else "",
        "span_id": f"{context.span_id:016x}" if context else "",
        "parent_id": f"{span.parent.span_id:016x}" if span.parent else None,
        "name": span.name,
        "start_ms": start / 1e6,
        "duration_ms": round((end - start) / 1e6, 3),
        "status": span.status.status_code.name.lower(),
        "attributes": {key: _value(value) for key, value in (span.attributes or {}).items()},
    }


class SpanStore(SpanProcessor):
    """Keeps the most recent finished spans (at most ``capacity``), grouped by trace."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("a span store holds at least one span")
        self.capacity = capacity
        self._traces: OrderedDict[str, list[SpanRecord]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        """Tag the span with the request and run ids of the context it starts in."""
        bound = current_context()
        if bound.get(REQUEST_ID):
            span.set_attribute(REQUEST_ATTRIBUTE, str(bound[REQUEST_ID]))
        if bound.get(RUN_ID) and not (span.attributes or {}).get(RUN_ATTRIBUTE):
            span.set_attribute(RUN_ATTRIBUTE, str(bound[RUN_ID]))

    def on_end(self, span: ReadableSpan) -> None:
        """Keep the finished span; drop the oldest traces beyond the capacity."""
        record = to_record(span)
        with self._lock:
            self._traces.setdefault(record["trace_id"], []).append(record)
            self._traces.move_to_end(record["trace_id"])
            self._size += 1
            while self._size > self.capacity and self._traces:
                _, dropped = self._traces.popitem(last=False)
                self._size -= len(dropped)

    def shutdown(self) -> None:
        """Nothing to flush: the spans stay readable until the process ends."""

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        """Spans are stored synchronously: always flushed."""
        return True

    def __len__(self) -> int:
        return self._size

    def find(self, *, request_id: str | None = None, run_id: str | None = None) -> list[SpanRecord]:
        """Every span of the traces holding a span with this request id or run id, by start."""
        wanted = {REQUEST_ATTRIBUTE: request_id, RUN_ATTRIBUTE: run_id}
        wanted = {key: value for key, value in wanted.items() if value}
        if not wanted:
            return []
        with self._lock:
            traces = [list(spans) for spans in self._traces.values()]
        found = [
            span
            for spans in traces
            if any(span["attributes"].get(k) == v for span in spans for k, v in wanted.items())
            for span in spans
        ]
        return sorted(found, key=lambda span: span["start_ms"])

    def recent(self, limit: int = 20) -> list[dict[str, Any]]:
        """A summary of the newest traces, newest first: root span, duration, ids."""
        with self._lock:
            traces = [list(spans) for spans in reversed(self._traces.values())][:limit]
        summaries = []
        for spans in traces:
            ids = {span["span_id"] for span in spans}
            root = min(
                (span for span in spans if span["parent_id"] not in ids),
                key=lambda span: span["start_ms"],
            )
            attributes: dict[str, Any] = {}
            for span in spans:
                for key in (REQUEST_ATTRIBUTE, RUN_ATTRIBUTE):
                    if key in span["attributes"]:
                        attributes.setdefault(key, span["attributes"][key])
            summaries.append(
                {
                    "trace_id": root["trace_id"],
                    "name": root["name"],
                    "start_ms": root["start_ms"],
                    "duration_ms": root["duration_ms"],
                    "spans": len(spans),
                    "request_id": attributes.get(REQUEST_ATTRIBUTE),
                    "run_id": attributes.get(RUN_ATTRIBUTE),
                }
            )
        return summaries


_store: list[SpanStore] = []


def enable_span_store(capacity: int) -> SpanStore:
    """Keep finished spans in this process (at most ``capacity``); return the store.

    Takes effect at the next :func:`~.tracing.setup_tracing`; enabling twice returns the same store.
    """
    if not _store:
        _store.append(SpanStore(capacity))
    return _store[0]


def span_store() -> SpanStore | None:
    """The enabled store, or ``None``."""
    return _store[0] if _store else None


def disable_span_store() -> None:
    """Forget the store (tests)."""
    _store.clear()
