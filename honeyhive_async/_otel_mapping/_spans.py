"""Spans as plain Python values, and a span as an event before it is placed in a tree.

What the local server's OTLP decoders produce and what `HoneyHiveSpanProcessor` builds from
an OpenTelemetry SDK span: the mapping to events (`._mapping`) reads only these.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["SPAN_KIND_NAMES", "STATUS_CODE_ERROR", "SpanData", "SpanEvent", "SpanEventData"]

STATUS_CODE_ERROR = 2
SPAN_KIND_NAMES = ("UNSPECIFIED", "INTERNAL", "SERVER", "CLIENT", "PRODUCER", "CONSUMER")


@dataclass(frozen=True, slots=True)
class SpanEventData:
    """One event recorded on a span (an exception, a GenAI message)."""

    name: str
    time_ns: int
    attributes: dict[str, Any]


@dataclass(frozen=True, slots=True)
class SpanData:
    """One span, decoded: ids as lowercase hex, times in Unix nanoseconds."""

    trace_id: str
    span_id: str
    parent_span_id: str | None
    name: str
    kind: int
    start_ns: int
    end_ns: int
    attributes: dict[str, Any]
    events: list[SpanEventData]
    status_code: int
    status_message: str
    resource: dict[str, Any]
    """The attributes of the span's resource (``service.name``, ...)."""
    scope: str
    """The instrumentation scope's name (the instrumentor)."""


@dataclass(frozen=True, slots=True)
class SpanEvent:
    """One span as an event, before it is placed in a session and a tree."""

    fields: dict[str, Any]
    """Every event field but `session_id`, `parent_id` and `children_ids`."""
    trace_id: str
    session_id: str | None
    """The session the span names, if any."""
    parent_event_id: str | None
    """The event id of the parent span, if the span has one (stored or not)."""
    explicit_parent_id: str | None
    """An event id the span names as its parent (distributed tracing), if any."""
    trace_session_id: str
    """The session of the span's trace when no span of it names one."""
    session_name: str
    """The name of the session, if this span's session has to be started."""
    event_id: str | None = None
    """The event id the span asks for, instead of ``fields["event_id"]`` (made from its ids)."""
