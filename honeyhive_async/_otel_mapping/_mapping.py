"""One decoded span into the event it stands for: ids, times, type, fields. Pure functions.

HoneyHive's own attributes (as honeyhive==1.7.0's tracer writes them) come first: the
``honeyhive.*`` identity stamped on every span, ``honeyhive_event_type``/``_name``, and the
flattened ``honeyhive_<field>.*`` namespaces, un-flattened back into objects. The GenAI and
OpenInference conventions (`._llm`) fill in model calls; OpenLLMetry's ``traceloop.*`` (what
honeyhive 0.2.x traces with) gives span kinds, names, inputs and outputs. Every other attribute lands in
`metadata`, un-flattened, next to the span's OpenTelemetry identity under ``metadata.otel``.

Ids are deterministic, so a span sent twice (or its parent sent later) lands on the same
event: the event id is a UUIDv5 of the trace and span ids, unless the span asks for one
(``honeyhive_event_id``), and a trace whose spans name no session gets the session whose id is
the UUIDv5 of the trace id.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping
from typing import Any

from ..models import EVENT_TYPES
from ..tracing._redact import DEFAULT_REDACT_KEYS, REDACTED, KeyRule
from ._flat import decode_json_text, prefixed, unflatten
from ._llm import llm_parts, read_here
from ._spans import SPAN_KIND_NAMES, STATUS_CODE_ERROR, SpanData, SpanEvent

__all__ = ["NAMESPACE", "event_id_of", "map_span", "trace_session_id"]

NAMESPACE = uuid.UUID("5f1c2a9e-7b3d-5e48-9a61-0c8d4b2f7e13")
"""The UUIDv5 namespace of every id made from OpenTelemetry ids here."""

SESSION_KEYS = (
    "honeyhive.session_id",
    "honeyhive_session_id",
    "traceloop.association.properties.session_id",
    "baggage.session_id",
    "baggage.honeyhive_session_id",
    "baggage.honeyhive.session_id",
)
_SOURCE_KEYS = ("honeyhive.source", "honeyhive_source", "traceloop.association.properties.source")
_PARENT_KEYS = ("honeyhive.parent_id", "traceloop.association.properties.parent_id")
_NAME_KEYS = ("honeyhive_event_name", "honeyhive.event_name", "traceloop.entity.name")
_SESSION_NAME_KEYS = ("honeyhive.session_name", "honeyhive_session_name")
_IGNORED_KEYS = (
    # The project comes from the API key, as on every other route; the tracer's bookkeeping
    # has no event field; the event id a span asks for is its event's id (`SpanEvent.event_id`).
    "honeyhive.project",
    "honeyhive_project",
    "traceloop.association.properties.project",
    "honeyhive_event_id",
    "honeyhive.session_auto_create",
    "honeyhive_event_type_raw",
    "honeyhive_event_type",
    "honeyhive_event_name",
    # What honeyhive==1.7.0's `tracer.trace(name, event_type=...)` and `start_span` also write,
    # mirroring `honeyhive_event_type`/`_name`: read as those, not copied into metadata.
    "honeyhive.event_type",
    "honeyhive.event_name",
    "honeyhive_duration_ms",
    "honeyhive_error",
    "honeyhive_error_type",
    "honeyhive_user_id",
)
_NAMESPACES = (
    "config",
    "inputs",
    "outputs",
    "metadata",
    "metrics",
    "feedback",
    "user_properties",
)
_GENAI_OPERATION_TYPES = {
    "chat": "model",
    "text_completion": "model",
    "generate_content": "model",
    "embeddings": "model",
    "invoke_agent": "chain",
    "create_agent": "chain",
    "invoke_workflow": "chain",
    "execute_tool": "tool",
    "retrieval": "tool",
}
_OPENINFERENCE_TYPES = {
    "LLM": "model",
    "EMBEDDING": "model",
    "CHAIN": "chain",
    "AGENT": "chain",
    "TOOL": "tool",
    "RETRIEVER": "tool",
    "RERANKER": "tool",
    "GUARDRAIL": "tool",
    "EVALUATOR": "tool",
    "PROMPT": "tool",
}
_SECRET_KEYS = KeyRule(DEFAULT_REDACT_KEYS)
# OpenLLMetry (traceloop), which honeyhive 0.2.x's tracer is built on.
_TRACELOOP_TYPES = {"workflow": "chain", "agent": "chain", "task": "tool", "tool": "tool"}
_TRACELOOP_KEYS = (
    "traceloop.span.kind",
    "traceloop.entity.name",
    "traceloop.entity.input",
    "traceloop.entity.output",
)
_OWNED = (
    *_TRACELOOP_KEYS,
    *SESSION_KEYS,
    *_SOURCE_KEYS,
    *_PARENT_KEYS,
    *_SESSION_NAME_KEYS,
    *_IGNORED_KEYS,
)


def event_id_of(trace_id: str, span_id: str) -> str:
    """Return the event id of a span: a UUIDv5 of its trace and span ids (hex)."""
    return str(uuid.uuid5(NAMESPACE, f"{trace_id}-{span_id}"))


def trace_session_id(trace_id: str) -> str:
    """Return the session id of a trace whose spans name no session."""
    return str(uuid.uuid5(NAMESPACE, f"session-{trace_id}"))


def map_span(span: SpanData, *, source: str | None = None) -> SpanEvent:
    """Return the event a span stands for, with what the store needs to place it in a tree.

    Args:
        span: The decoded span.
        source: The source of a span that names none (honeyhive==1.7.0 sends ``X-Source``).
    """
    attrs = span.attributes
    llm = llm_parts(attrs, span.events)
    fields = {
        name: _object(
            unflatten(
                (key, decode_json_text(value))
                for key, value in prefixed(attrs, f"honeyhive_{name}")
            )
        )
        for name in _NAMESPACES
    }
    rest = {key: value for key, value in attrs.items() if not _owned(key)}
    metadata = {**_object(unflatten(rest.items())), **llm.metadata, **fields["metadata"]}
    metadata["otel"] = _otel_identity(span)
    if attrs.get("honeyhive_error_type") is not None:
        metadata["error_type"] = attrs["honeyhive_error_type"]
    user_properties = {**llm.user_properties, **fields["user_properties"]}
    if attrs.get("honeyhive_user_id") is not None:
        user_properties.setdefault("user_id", attrs["honeyhive_user_id"])
    start_ms, end_ms = span.start_ns // 1_000_000, span.end_ns // 1_000_000
    event = {
        "event_id": event_id_of(span.trace_id, span.span_id),
        "event_type": _event_type(attrs, llm.is_model),
        "event_name": _first_text(attrs, _NAME_KEYS) or span.name or "unknown",
        "source": _first_text(attrs, _SOURCE_KEYS) or _text(source),
        "project_id": None,
        "config": {**llm.config, **fields["config"]},
        "inputs": {**_entity(attrs, "input"), **llm.inputs, **fields["inputs"]},
        "outputs": {**_entity(attrs, "output"), **llm.outputs, **fields["outputs"]},
        "error": _error(span),
        "start_time": start_ms,
        "end_time": end_ms,
        "duration": _duration(attrs.get("honeyhive_duration_ms"), span),
        "metadata": metadata,
        "feedback": fields["feedback"],
        "metrics": {**llm.metrics, **fields["metrics"]},
        "user_properties": user_properties,
    }
    parent_span = span.parent_span_id
    return SpanEvent(
        fields={name: _redacted(value) for name, value in event.items()},
        trace_id=span.trace_id,
        session_id=_first_text(attrs, SESSION_KEYS),
        parent_event_id=event_id_of(span.trace_id, parent_span) if parent_span else None,
        explicit_parent_id=_first_text(attrs, _PARENT_KEYS),
        trace_session_id=trace_session_id(span.trace_id),
        session_name=_session_name(span),
        event_id=_first_text(attrs, ("honeyhive_event_id",)),
    )


def _object(value: Any) -> dict[str, Any]:
    """An event field is an object: a list (``honeyhive_outputs.0``, ...) goes under "value"."""
    return value if isinstance(value, dict) else {"value": value}


def _redacted(value: Any) -> Any:
    """`value` with what a secret-looking key holds (``authorization``, ``api_key``) replaced.

    Auto-instrumentation records headers and client options; as the tracer does with what it
    captures, the server keeps the key and never the secret.
    """
    if isinstance(value, dict):
        return {
            key: REDACTED if _SECRET_KEYS.matches(key) else _redacted(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_redacted(item) for item in value]
    return value


def _owned(key: str) -> bool:
    """Whether an attribute is read into a field (and so not copied into metadata)."""
    return (
        key in _OWNED
        or read_here(key)
        or any(
            key == f"honeyhive_{name}" or key.startswith(f"honeyhive_{name}.")
            for name in _NAMESPACES
        )
    )


def _event_type(attrs: Mapping[str, Any], is_model: bool) -> str:
    """The span's own type if valid, else inferred as honeyhive==1.7.0's processor does."""
    for key in ("honeyhive_event_type", "honeyhive_event_type_raw", "honeyhive.event_type"):
        named = attrs.get(key)
        if isinstance(named, str) and named in EVENT_TYPES and named != "session":
            return named
    operation = _GENAI_OPERATION_TYPES.get(str(attrs.get("gen_ai.operation.name", "")).lower())
    if operation:
        return operation
    kind = _OPENINFERENCE_TYPES.get(str(attrs.get("openinference.span.kind", "")).upper())
    if kind:
        return kind
    kind = _TRACELOOP_TYPES.get(str(attrs.get("traceloop.span.kind", "")).lower())
    if kind:
        return kind
    return "model" if is_model else "tool"


def _entity(attrs: Mapping[str, Any], side: str) -> dict[str, Any]:
    """OpenLLMetry's ``traceloop.entity.input``/``output`` (JSON text) as an event field."""
    if f"traceloop.entity.{side}" not in attrs:
        return {}
    return _object(decode_json_text(attrs[f"traceloop.entity.{side}"]))


def _error(span: SpanData) -> str | None:
    """``honeyhive_error``, else the first exception event, else an ERROR status."""
    explicit = span.attributes.get("honeyhive_error")
    if explicit is not None and explicit != "":
        return str(explicit)
    for event in span.events:
        if event.name == "exception":
            kind = _text(event.attributes.get("exception.type"))
            message = _text(event.attributes.get("exception.message"))
            text = ": ".join(part for part in (kind, message) if part)
            return text or "exception"
    if span.status_code == STATUS_CODE_ERROR:
        return span.status_message or "error"
    return None


def _duration(recorded: Any, span: SpanData) -> float:
    """The tracer's own ``honeyhive_duration_ms`` if it is a sane number, else end - start."""
    number = isinstance(recorded, (int, float)) and not isinstance(recorded, bool)
    if number and math.isfinite(recorded) and recorded >= 0:
        return float(recorded)
    return (span.end_ns - span.start_ns) / 1_000_000


def _otel_identity(span: SpanData) -> dict[str, Any]:
    identity: dict[str, Any] = {"trace_id": span.trace_id, "span_id": span.span_id}
    if span.parent_span_id:
        identity["parent_span_id"] = span.parent_span_id
    if 0 <= span.kind < len(SPAN_KIND_NAMES):
        identity["kind"] = SPAN_KIND_NAMES[span.kind].lower()
    if span.scope:
        identity["scope"] = span.scope
    return identity


def _session_name(span: SpanData) -> str:
    """The name of a session this span opens: the tracer's, the service's, or the span's."""
    named = _first_text(span.attributes, _SESSION_NAME_KEYS)
    if named:
        return named
    service = _text(span.resource.get("service.name"))
    # The SDK's default ("unknown_service", "unknown_service:python") names nothing.
    if service and not service.startswith("unknown_service"):
        return service
    return span.name or "unknown"


def _first_text(attrs: Mapping[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        text = _text(attrs.get(key))
        if text:
            return text
    return None


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None
