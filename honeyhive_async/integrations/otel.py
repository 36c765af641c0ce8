"""`HoneyHiveSpanProcessor`: OpenTelemetry spans from any instrumentor as events of our tree.

Needs ``opentelemetry-sdk`` (the ``otel`` extra). A span's place is fixed when it starts (the
`@trace` span current then, or the event of its OpenTelemetry parent, or the tracer's default
session); its fields when it ends, by the mapping the local server's OTLP ingest uses
(`honeyhive_async._otel_mapping`): HoneyHive's attributes, the GenAI and OpenInference
conventions.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any

from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor
from opentelemetry.sdk.trace import Span as OtelSpan
from opentelemetry.trace import StatusCode

from .._otel_mapping import SpanData, SpanEventData, event_id_of, map_span
from ..tracing._context import _current
from ..tracing._record import wall_offset
from ..tracing._span import Span, open_child
from ..tracing._tracer import Tracer
from ..tracing._wrapping import root_parent

__all__ = ["HoneyHiveSpanProcessor"]

log = logging.getLogger("honeyhive_async.integrations")

_FIELDS = ("config", "inputs", "metadata", "metrics", "feedback", "user_properties")


class HoneyHiveSpanProcessor(SpanProcessor):
    """Turn each ended OpenTelemetry span into an event of the current HoneyHive session.

    Args:
        tracer: Where the events go; the default tracer when omitted.
    """

    def __init__(self, tracer: Tracer | None = None) -> None:
        self._tracer = tracer
        self._open: dict[tuple[int, int], Span] = {}
        self._lock = threading.Lock()

    def on_start(self, span: OtelSpan, parent_context: Context | None = None) -> None:  # noqa: ARG002  (the SDK's signature; the parent is read from the span)
        """Place the span: under its OpenTelemetry parent's event, else the current span."""
        try:
            context = span.get_span_context()
            if context is None:
                return
            parent: Span | None = None
            otel_parent = span.parent
            if otel_parent is not None:
                with self._lock:
                    parent = self._open.get((otel_parent.trace_id, otel_parent.span_id))
            if parent is None:
                parent = _current.get() or root_parent(self._tracer, span.name)
            if parent is None:
                return
            event_id = event_id_of(f"{context.trace_id:032x}", f"{context.span_id:016x}")
            child = open_child(parent, "tool", span.name, event_id)
            with self._lock:
                self._open[(context.trace_id, context.span_id)] = child
        except Exception:  # tracing must never break the instrumented call
            log.exception("honeyhive: could not place the OpenTelemetry span %s", span.name)

    def on_end(self, span: ReadableSpan) -> None:
        """Give the ended span its fields and hand it to the exporter."""
        context = span.get_span_context()
        if context is None:
            return
        with self._lock:
            event = self._open.pop((context.trace_id, context.span_id), None)
        if event is None:
            return
        try:
            fields = map_span(_span_data(span)).fields
            event.event_type = fields["event_type"]
            event.event_name = fields["event_name"]
            for name in _FIELDS:
                if fields.get(name):
                    setattr(event, name, fields[name])
            if fields.get("outputs"):
                event.outputs = fields["outputs"]
            if fields.get("error"):
                event.error = fields["error"]
            if span.start_time is not None:
                event._t0 = span.start_time / 1e9 - wall_offset()
        except Exception:
            log.exception("honeyhive: could not map the OpenTelemetry span %s", span.name)
        event.finish()

    def shutdown(self) -> None:
        """Forget spans still open: they never end."""
        with self._lock:
            self._open.clear()

    def force_flush(self, timeout_millis: int = 30000) -> bool:  # noqa: ARG002  (the SDK's signature)
        """Nothing is buffered here: the tracer's exporter ships the events."""
        return True


def _value(value: Any) -> Any:
    # OpenTelemetry keeps sequence attributes as tuples; the mapping reads lists.
    return list(value) if isinstance(value, tuple) else value


def _attributes(attributes: Mapping[str, Any] | None) -> dict[str, Any]:
    return {key: _value(value) for key, value in (attributes or {}).items()}


def _span_data(span: ReadableSpan) -> SpanData:
    context = span.get_span_context()
    assert context is not None  # checked by on_end
    parent = span.parent
    status = span.status
    return SpanData(
        trace_id=f"{context.trace_id:032x}",
        span_id=f"{context.span_id:016x}",
        parent_span_id=None if parent is None else f"{parent.span_id:016x}",
        name=span.name,
        # The SDK counts kinds from INTERNAL = 0; OTLP from UNSPECIFIED = 0.
        kind=span.kind.value + 1,
        start_ns=span.start_time or 0,
        end_ns=span.end_time or 0,
        attributes=_attributes(span.attributes),
        events=[
            SpanEventData(event.name, event.timestamp, _attributes(event.attributes))
            for event in span.events
        ],
        status_code=2 if status.status_code is StatusCode.ERROR else status.status_code.value,
        status_message=status.description or "",
        resource=_attributes(span.resource.attributes),
        scope=span.instrumentation_scope.name if span.instrumentation_scope else "",
    )
