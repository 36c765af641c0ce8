"""OTLP/HTTP trace ingest: decoding export requests and mapping their spans to events.

`decode_json` needs nothing beyond the core; `decode_protobuf` needs ``opentelemetry-proto``
(the ``otlp`` extra) and imports it on first use. `map_span` turns one decoded span into the
event the store places with `Store.spans`.
"""

from __future__ import annotations

from ..._otel_mapping import event_id_of, map_span, trace_session_id
from ._json import decode_json, encode_json_response
from ._proto import decode_protobuf, encode_protobuf_response, encode_status
from ._spans import Decoded, OtlpError, ProtobufUnavailable, SpanData, SpanEventData

__all__ = [
    "Decoded",
    "OtlpError",
    "ProtobufUnavailable",
    "SpanData",
    "SpanEventData",
    "decode_json",
    "decode_protobuf",
    "encode_json_response",
    "encode_protobuf_response",
    "encode_status",
    "event_id_of",
    "map_span",
    "trace_session_id",
]
