"""What both OTLP decoders produce: spans as plain Python values, and the checks they share.

The JSON and protobuf decoders differ only in how they read the wire; both hand back `Decoded`
(spans with hex ids, integer nanoseconds and attributes as Python values) so the mapping to
events never sees the encoding.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from ..._otel_mapping._spans import (
    SPAN_KIND_NAMES,
    STATUS_CODE_ERROR,
    SpanData,
    SpanEventData,
)

__all__ = [
    "MAX_VALUE_DEPTH",
    "SPAN_KIND_NAMES",
    "STATUS_CODE_ERROR",
    "Decoded",
    "OtlpError",
    "ProtobufUnavailable",
    "SpanData",
    "SpanEventData",
    "enum_value",
    "finite_or_text",
    "span_problem",
]

MAX_VALUE_DEPTH = 32
"""How deep an attribute value (arrays in arrays, key-value lists) may nest."""

_STATUS_NAMES = ("UNSET", "OK", "ERROR")
_ENUM_PREFIXES = {"kind": ("SPAN_KIND_", SPAN_KIND_NAMES), "code": ("STATUS_CODE_", _STATUS_NAMES)}
_TRACE_ID = re.compile(r"[0-9a-f]{32}")
_SPAN_ID = re.compile(r"[0-9a-f]{16}")
_MAX_UINT64 = 2**64 - 1


class OtlpError(Exception):
    """The body cannot be read as an OTLP trace export: a 400 whose message names the problem."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ProtobufUnavailable(Exception):
    """A protobuf body arrived but ``opentelemetry-proto`` (the ``otlp`` extra) is not installed."""


@dataclass(slots=True)
class Decoded:
    """A decoded export request: the spans to store and why the others were rejected."""

    spans: list[SpanData] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    """One message per rejected span, naming the span and the problem."""


def enum_value(name: str, value: int | str | None, where: str) -> int:
    """Return an enum field as its number; OTLP/JSON says numbers, some senders send names.

    Raises:
        OtlpError: a name that is not one of the enum's.
    """
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    prefix, names = _ENUM_PREFIXES[name]
    short = value.removeprefix(prefix)
    if short in names:
        return names.index(short)
    raise OtlpError(f"{where}.{name}: unknown value {value!r}")


def span_problem(span: SpanData) -> str | None:
    """Return why a span cannot be stored (bad ids or times), or None if it can."""
    if not _TRACE_ID.fullmatch(span.trace_id) or span.trace_id == "0" * 32:
        return f"traceId {span.trace_id!r} is not 16 bytes (32 hex digits), not all zero"
    if not _SPAN_ID.fullmatch(span.span_id) or span.span_id == "0" * 16:
        return f"spanId {span.span_id!r} is not 8 bytes (16 hex digits), not all zero"
    if span.parent_span_id is not None and not _SPAN_ID.fullmatch(span.parent_span_id):
        return f"parentSpanId {span.parent_span_id!r} is not empty or 8 bytes (16 hex digits)"
    for name, value in (("startTimeUnixNano", span.start_ns), ("endTimeUnixNano", span.end_ns)):
        if not 0 < value <= _MAX_UINT64:
            return f"{name} {value} is missing or out of range"
    if span.end_ns < span.start_ns:
        return "endTimeUnixNano is before startTimeUnixNano"
    return None


def finite_or_text(value: float) -> float | str:
    """Return a double attribute as stored: NaN and infinities have no JSON number, so text."""
    return value if math.isfinite(value) else str(value)
