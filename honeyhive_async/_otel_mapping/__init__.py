"""OpenTelemetry spans into HoneyHive events: one mapping for every way spans arrive.

The local server's OTLP ingest and `honeyhive_async.integrations.otel.HoneyHiveSpanProcessor`
both turn spans into events with `map_span`: HoneyHive's own attributes, the GenAI and
OpenInference conventions for model calls, OpenLLMetry's. Pure functions; nothing here
imports the server or OpenTelemetry.
"""

from __future__ import annotations

from ._mapping import NAMESPACE, event_id_of, map_span, trace_session_id
from ._spans import SPAN_KIND_NAMES, STATUS_CODE_ERROR, SpanData, SpanEvent, SpanEventData

__all__ = [
    "NAMESPACE",
    "SPAN_KIND_NAMES",
    "STATUS_CODE_ERROR",
    "SpanData",
    "SpanEvent",
    "SpanEventData",
    "event_id_of",
    "map_span",
    "trace_session_id",
]
