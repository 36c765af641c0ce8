"""OTLP/protobuf trace export bodies, through ``opentelemetry-proto`` (the ``otlp`` extra).

The generated classes are imported on the first protobuf request, never at server start, so
the server runs (and serves OTLP/JSON) without the extra. Error replies are ``google.rpc.Status``
messages, encoded here by hand: two fields need no dependency.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from ._spans import (
    MAX_VALUE_DEPTH,
    Decoded,
    OtlpError,
    ProtobufUnavailable,
    SpanData,
    SpanEventData,
    finite_or_text,
    span_problem,
)

if TYPE_CHECKING:
    from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
    from opentelemetry.proto.trace.v1.trace_pb2 import Span

__all__ = ["decode_protobuf", "encode_protobuf_response", "encode_status"]


def decode_protobuf(body: bytes) -> Decoded:
    """Decode an OTLP/protobuf ``ExportTraceServiceRequest``.

    Raises:
        ProtobufUnavailable: ``opentelemetry-proto`` is not installed.
        OtlpError: the body is not such a message, or nests values too deeply.
    """
    try:
        from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
    except ImportError:
        raise ProtobufUnavailable from None
    request = trace_service_pb2.ExportTraceServiceRequest()
    try:
        request.ParseFromString(body)
    except Exception as exc:  # DecodeError, or the runtime's own errors on hostile bytes
        raise OtlpError(f"Request body is not an OTLP/protobuf trace export: {exc}") from None
    decoded = Decoded()
    for r, resource_spans in enumerate(request.resource_spans):
        where = f"resourceSpans[{r}]"
        resource = _attributes(resource_spans.resource.attributes, f"{where}.resource")
        for s, scope_spans in enumerate(resource_spans.scope_spans):
            for n, span in enumerate(scope_spans.spans):
                path = f"{where}.scopeSpans[{s}].spans[{n}]"
                data = _span(span, path, resource, scope_spans.scope.name)
                problem = span_problem(data)
                if problem is None:
                    decoded.spans.append(data)
                else:
                    decoded.rejected.append(f"{path}: {problem}")
    return decoded


def encode_protobuf_response(rejected: int, message: str) -> bytes:
    """Return an ``ExportTraceServiceResponse`` (partial success only if spans were rejected)."""
    from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

    response = trace_service_pb2.ExportTraceServiceResponse()
    if rejected:
        response.partial_success.rejected_spans = rejected
        response.partial_success.error_message = message
    encoded: bytes = response.SerializeToString()
    return encoded


def encode_status(code: int, message: str) -> bytes:
    """Return a ``google.rpc.Status`` with `code` (field 1) and `message` (field 2)."""
    text = message.encode("utf-8")
    return b"\x08" + _varint(code) + b"\x12" + _varint(len(text)) + text


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        low, value = value & 0x7F, value >> 7
        if not value:
            out.append(low)
            return bytes(out)
        out.append(low | 0x80)


def _span(span: Span, path: str, resource: dict[str, Any], scope: str) -> SpanData:
    return SpanData(
        trace_id=span.trace_id.hex(),
        span_id=span.span_id.hex(),
        parent_span_id=span.parent_span_id.hex() or None,
        name=span.name,
        kind=span.kind,
        start_ns=span.start_time_unix_nano,
        end_ns=span.end_time_unix_nano,
        attributes=_attributes(span.attributes, path),
        events=[
            SpanEventData(
                name=event.name,
                time_ns=event.time_unix_nano,
                attributes=_attributes(event.attributes, f"{path}.events[{e}]"),
            )
            for e, event in enumerate(span.events)
        ],
        status_code=span.status.code,
        status_message=span.status.message,
        resource=resource,
        scope=scope,
    )


def _attributes(items: Any, where: str) -> dict[str, Any]:
    pairs: list[KeyValue] = list(items)
    return {
        item.key: _value(item.value, f"{where}.attributes[{i}].value", 0)
        for i, item in enumerate(pairs)
    }


def _value(value: AnyValue, where: str, depth: int) -> Any:
    """Return an ``AnyValue`` as a Python value (an empty one is None)."""
    if depth > MAX_VALUE_DEPTH:
        raise OtlpError(f"{where}: nested deeper than {MAX_VALUE_DEPTH} levels")
    kind = value.WhichOneof("value")
    if kind == "string_value":
        return value.string_value
    if kind == "bool_value":
        return value.bool_value
    if kind == "int_value":
        return value.int_value
    if kind == "double_value":
        return finite_or_text(value.double_value)
    if kind == "array_value":
        return [
            _value(item, f"{where}.arrayValue.values[{i}]", depth + 1)
            for i, item in enumerate(value.array_value.values)
        ]
    if kind == "kvlist_value":
        return {
            item.key: _value(item.value, f"{where}.kvlistValue.values[{i}].value", depth + 1)
            for i, item in enumerate(value.kvlist_value.values)
        }
    if kind == "bytes_value":
        return base64.b64encode(value.bytes_value).decode("ascii")
    return None
