"""OTLP/HTTP trace ingest: ``POST /opentelemetry/v1/traces`` (OTLP/JSON and OTLP/protobuf).

Answers as the OTLP spec says: 200 with an ``ExportTraceServiceResponse`` in the request's
encoding (``partialSuccess`` when some spans were rejected); 400 naming the problem when the
body cannot be read or every span is bad, and 415 for another content type or a protobuf body
without the ``otlp`` extra. Errors come in the request's encoding too: a ``google.rpc.Status``
for protobuf, the server's JSON error shape (its ``message`` is the Status's) otherwise. The whole body is decoded and checked
before anything is stored, and its events are stored in one transaction. gzip bodies are
inflated by aiohttp, within the server's body limit (a larger result is a 413).
"""

from __future__ import annotations

from aiohttp import web

from .._http import STORE_KEY, ServerError
from ..otlp import (
    Decoded,
    OtlpError,
    ProtobufUnavailable,
    decode_json,
    decode_protobuf,
    encode_json_response,
    encode_protobuf_response,
    encode_status,
    map_span,
)

__all__ = ["ROUTES", "export_traces"]

_JSON = "application/json"
_PROTOBUF = "application/x-protobuf"
_PROTOBUF_TYPES = (_PROTOBUF, "application/protobuf")
_INVALID_ARGUMENT = 3  # google.rpc.Code: what a bad export request is
_UNIMPLEMENTED = 12
_MAX_LISTED = 5
"""Rejected spans named in a reply; the count covers the rest."""


async def export_traces(request: web.Request) -> web.Response:
    """``POST /opentelemetry/v1/traces``: store the spans of an OTLP trace export as events."""
    content_type = request.content_type
    protobuf = content_type in _PROTOBUF_TYPES
    if content_type != _JSON and not protobuf:
        raise ServerError(
            415,
            f"Content-Type must be {_JSON} (OTLP/JSON) or {_PROTOBUF} (OTLP/protobuf), "
            f"got {content_type}",
            "UNSUPPORTED_MEDIA_TYPE",
        )
    body = await request.read()
    try:
        decoded = decode_protobuf(body) if protobuf else decode_json(body)
    except ProtobufUnavailable:
        message = (
            "OTLP/protobuf needs the 'otlp' extra on the server: "
            "pip install 'honeyhive-async[otlp]' (or send OTLP/JSON)"
        )
        return _error(protobuf, 415, _UNIMPLEMENTED, message, "UNSUPPORTED_MEDIA_TYPE")
    except OtlpError as exc:
        return _error(protobuf, 400, _INVALID_ARGUMENT, exc.message, "VALIDATION_ERROR")
    if decoded.rejected and not decoded.spans:
        message = f"Every span was rejected: {_rejections(decoded)}"
        return _error(protobuf, 400, _INVALID_ARGUMENT, message, "VALIDATION_ERROR")
    if decoded.spans:
        source = request.headers.get("X-Source")  # honeyhive==1.7.0's exporter sends it
        request.app[STORE_KEY].spans.ingest(
            [map_span(span, source=source) for span in decoded.spans]
        )
    rejected = len(decoded.rejected)
    message = _rejections(decoded) if rejected else ""
    if protobuf:
        return web.Response(
            body=encode_protobuf_response(rejected, message), content_type=_PROTOBUF
        )
    return web.Response(body=encode_json_response(rejected, message), content_type=_JSON)


def _rejections(decoded: Decoded) -> str:
    listed = "; ".join(decoded.rejected[:_MAX_LISTED])
    more = len(decoded.rejected) - _MAX_LISTED
    return f"{listed}; and {more} more" if more > 0 else listed


def _error(protobuf: bool, status: int, code: int, message: str, name: str) -> web.Response:
    """An error in the request's encoding: a protobuf ``Status``, or the JSON error shape."""
    if not protobuf:
        raise ServerError(status, message, name)
    return web.Response(status=status, body=encode_status(code, message), content_type=_PROTOBUF)


ROUTES = [web.post("/opentelemetry/v1/traces", export_traces)]
