"""OTLP/JSON trace export bodies, decoded with msgspec (no dependency beyond the core).

The OTLP spec's JSON mapping: lowerCamelCase keys, trace and span ids as hex strings, 64-bit
integers as decimal strings or numbers, enums as numbers, unknown fields ignored, null as
unset. Names for enums (``"SPAN_KIND_INTERNAL"``) and ``"parentSpanId": null`` are accepted
too: honeyhive==1.7.0's own JSON exporter sends both.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

import msgspec

from ._spans import (
    MAX_VALUE_DEPTH,
    Decoded,
    OtlpError,
    SpanData,
    SpanEventData,
    enum_value,
    finite_or_text,
    span_problem,
)

__all__ = ["decode_json", "encode_json_response"]

_INT64 = (-(2**63), 2**63 - 1)
_UINT64 = (0, 2**64 - 1)
_DECIMAL = re.compile(r"-?[0-9]{1,20}")
_DOUBLE_WORDS = {"NaN": "NaN", "Infinity": "inf", "-Infinity": "-inf"}


class _Struct(msgspec.Struct, rename="camel"):
    """Every OTLP/JSON message: camelCase keys, unknown keys ignored."""


class _ArrayValue(_Struct):
    values: list[_AnyValue] | None = None


class _KeyValueList(_Struct):
    values: list[_KeyValue] | None = None


class _AnyValue(_Struct):
    string_value: str | None = None
    bool_value: bool | None = None
    int_value: int | str | None = None
    double_value: float | str | None = None
    array_value: _ArrayValue | None = None
    kvlist_value: _KeyValueList | None = None
    bytes_value: str | None = None


class _KeyValue(_Struct):
    key: str = ""
    value: _AnyValue | None = None


class _Status(_Struct):
    message: str | None = None
    code: int | str | None = None


class _Event(_Struct):
    time_unix_nano: int | str | None = None
    name: str | None = None
    attributes: list[_KeyValue] | None = None


class _Span(_Struct):
    trace_id: str | None = None
    span_id: str | None = None
    parent_span_id: str | None = None
    name: str | None = None
    kind: int | str | None = None
    start_time_unix_nano: int | str | None = None
    end_time_unix_nano: int | str | None = None
    attributes: list[_KeyValue] | None = None
    events: list[_Event] | None = None
    status: _Status | None = None


class _Scope(_Struct):
    name: str | None = None


class _ScopeSpans(_Struct):
    scope: _Scope | None = None
    spans: list[_Span] | None = None


class _Resource(_Struct):
    attributes: list[_KeyValue] | None = None


class _ResourceSpans(_Struct):
    resource: _Resource | None = None
    scope_spans: list[_ScopeSpans] | None = None


class _ExportRequest(_Struct):
    resource_spans: list[_ResourceSpans] | None = None


_decoder = msgspec.json.Decoder(_ExportRequest)
_encoder = msgspec.json.Encoder()


def decode_json(body: bytes) -> Decoded:
    """Decode an OTLP/JSON ``ExportTraceServiceRequest``.

    Raises:
        OtlpError: the body is not JSON, or a field has the wrong type or value (the message
            names it by its JSON path).
    """
    try:
        request = _decoder.decode(body)
    except msgspec.ValidationError as exc:
        raise OtlpError(f"Invalid OTLP/JSON trace export: {exc}") from None
    except msgspec.DecodeError as exc:
        raise OtlpError(f"Request body is not valid JSON: {exc}") from None
    except RecursionError:
        raise OtlpError("Request body is nested too deeply") from None
    decoded = Decoded()
    for r, resource_spans in enumerate(request.resource_spans or ()):
        where = f"$.resourceSpans[{r}]"
        resource = resource_spans.resource
        resource_attrs = _attributes(resource.attributes if resource else None, f"{where}.resource")
        for s, scope_spans in enumerate(resource_spans.scope_spans or ()):
            scope = scope_spans.scope.name if scope_spans.scope else None
            for n, span in enumerate(scope_spans.spans or ()):
                path = f"{where}.scopeSpans[{s}].spans[{n}]"
                data = _span(span, path, resource_attrs, scope or "")
                problem = span_problem(data)
                if problem is None:
                    decoded.spans.append(data)
                else:
                    decoded.rejected.append(f"{path}: {problem}")
    return decoded


def encode_json_response(rejected: int, message: str) -> bytes:
    """Return an ``ExportTraceServiceResponse`` as OTLP/JSON (partial success only if rejected)."""
    if not rejected:
        return b"{}"
    # int64 as a decimal string, as the protobuf JSON mapping writes it.
    partial = {"rejectedSpans": str(rejected), "errorMessage": message}
    return _encoder.encode({"partialSuccess": partial})


def _span(span: _Span, path: str, resource: dict[str, Any], scope: str) -> SpanData:
    status = span.status or _Status()
    return SpanData(
        trace_id=(span.trace_id or "").lower(),
        span_id=(span.span_id or "").lower(),
        parent_span_id=(span.parent_span_id or "").lower() or None,
        name=span.name or "",
        kind=enum_value("kind", span.kind, path),
        start_ns=_integer(span.start_time_unix_nano, f"{path}.startTimeUnixNano", _UINT64),
        end_ns=_integer(span.end_time_unix_nano, f"{path}.endTimeUnixNano", _UINT64),
        attributes=_attributes(span.attributes, path),
        events=[
            SpanEventData(
                name=event.name or "",
                time_ns=_integer(event.time_unix_nano, f"{path}.events[{e}].timeUnixNano", _UINT64),
                attributes=_attributes(event.attributes, f"{path}.events[{e}]"),
            )
            for e, event in enumerate(span.events or ())
        ],
        status_code=enum_value("code", status.code, f"{path}.status"),
        status_message=status.message or "",
        resource=resource,
        scope=scope,
    )


def _attributes(items: list[_KeyValue] | None, where: str) -> dict[str, Any]:
    return {
        item.key: _value(item.value, f"{where}.attributes[{i}].value", 0)
        for i, item in enumerate(items or ())
    }


def _value(value: _AnyValue | None, where: str, depth: int) -> Any:
    """Return an ``AnyValue`` as a Python value (an empty one is None)."""
    if value is None:
        return None
    if depth > MAX_VALUE_DEPTH:
        raise OtlpError(f"{where}: nested deeper than {MAX_VALUE_DEPTH} levels")
    if value.string_value is not None:
        return value.string_value
    if value.bool_value is not None:
        return value.bool_value
    if value.int_value is not None:
        return _integer(value.int_value, f"{where}.intValue", _INT64)
    if value.double_value is not None:
        return _double(value.double_value, f"{where}.doubleValue")
    if value.array_value is not None:
        return [
            _value(item, f"{where}.arrayValue.values[{i}]", depth + 1)
            for i, item in enumerate(value.array_value.values or ())
        ]
    if value.kvlist_value is not None:
        return {
            item.key: _value(item.value, f"{where}.kvlistValue.values[{i}].value", depth + 1)
            for i, item in enumerate(value.kvlist_value.values or ())
        }
    if value.bytes_value is not None:
        try:
            raw = base64.b64decode(value.bytes_value, altchars=b"-_", validate=False)
        except (binascii.Error, ValueError):
            raise OtlpError(f"{where}.bytesValue: not base64") from None
        # Kept as standard base64 text: an event holds JSON, and bytes have no JSON form.
        return base64.b64encode(raw).decode("ascii")
    return None


def _integer(value: int | str | None, where: str, bounds: tuple[int, int]) -> int:
    if value is None:
        return 0
    if isinstance(value, str):
        text = value.strip()
        if not _DECIMAL.fullmatch(text):
            raise OtlpError(f"{where}: expected an integer or a decimal string, got {value!r}")
        value = int(text)
    if not bounds[0] <= value <= bounds[1]:
        raise OtlpError(f"{where}: {value} is out of range")
    return value


def _double(value: float | str, where: str) -> float | str:
    if isinstance(value, str):
        try:
            value = float(_DOUBLE_WORDS.get(value, value))
        except ValueError:
            raise OtlpError(f"{where}: expected a number, got {value!r}") from None
    return finite_or_text(value)
