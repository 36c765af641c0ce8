"""What the exporter sends, built from what it holds: pure functions, run on its thread.

A finished span becomes a `CreateEventRequest` whose dict fields are already JSON (`Raw`):
made JSON-safe, bounded and redacted by the tracer's `Sanitizer`. A session that has ended
becomes one too (an event of type ``session``); an open one becomes the fields of its start
and of its updates.
"""

from __future__ import annotations

import linecache
from collections.abc import Callable
from typing import Any

import msgspec
from msgspec import UNSET

from ..models import CreateEventRequest
from ._capture import Sanitizer, repair_text, wrap_output
from ._ids import format_id
from ._record import SpanRecord, bind_inputs, wall_offset
from ._span import Session

__all__ = [
    "EVENT_OVERHEAD",
    "check_encodable",
    "event_request",
    "repair_value",
    "session_event",
    "session_score_fields",
    "session_start_fields",
    "session_update_fields",
    "traceback_frames",
]

EVENT_OVERHEAD = 400
"""Approximate encoded bytes of an event beyond its captured fields."""
_EMPTY_OBJECT: Any = msgspec.Raw(b"{}")  # stands in for an empty inputs dict
_encoder = msgspec.json.Encoder()
_NO_KWARGS: dict[str, Any] = {}  # shared and never written: only read


def event_request(
    record: SpanRecord, sanitizer: Sanitizer, wall_offset: float
) -> tuple[CreateEventRequest, int]:
    """The span as a request, and its approximate encoded size for the buffer's bound.

    Args:
        record: The finished span; read, not changed.
        sanitizer: Makes each captured field JSON-safe, bounded and redacted.
        wall_offset: Seconds from `perf_counter` time to Unix time (`_record.wall_offset`).
    """
    # The hottest code of the exporter thread: it competes with the application for the
    # GIL, so the common span (arguments bound by @trace, nothing enriched) takes the
    # shortest way. Raw JSON stands in for the dict fields (typed Any for that reason).
    binder, extra = record.binder, record.extra
    if binder is not None and extra is None:  # `bind_inputs` with nothing to merge
        inputs: dict[str, Any] | None = binder.bind(record.args, record.kwargs or _NO_KWARGS)
    else:
        inputs = bind_inputs(binder, record.args, record.kwargs, extra)
    outputs = record.outputs
    raw_outputs: Any = None
    if sanitizer.redact is None:  # a hook sees every field, an empty one too
        # `Sanitizer.plain`, else the walk: what `field` does, one call less a plain field.
        plain = sanitizer.plain
        if inputs is None:
            raw_inputs = _EMPTY_OBJECT
        else:
            raw_inputs = plain(inputs)
            if raw_inputs is None:
                raw_inputs = sanitizer.walked("inputs", inputs)
        if outputs is not None:
            if type(outputs) is not dict:
                outputs = wrap_output(outputs)
            raw_outputs = plain(outputs)
            if raw_outputs is None:
                raw_outputs = sanitizer.walked("outputs", outputs)
            size = EVENT_OVERHEAD + len(raw_inputs) + len(raw_outputs)
        else:
            size = EVENT_OVERHEAD + len(raw_inputs)
    else:
        raw_inputs = sanitizer.field("inputs", {} if inputs is None else inputs)
        size = EVENT_OVERHEAD + len(raw_inputs)
        if outputs is not None:
            raw_outputs = sanitizer.field(
                "outputs", outputs if type(outputs) is dict else wrap_output(outputs)
            )
            size += len(raw_outputs)
    t0 = record.perf_start
    start = (t0 + wall_offset) * 1e3
    duration = (record.perf_end - t0) * 1e3
    # Times go out as whole Unix ms (truncated; `duration` keeps its fraction): HoneyHive
    # stores int64 ms and honeyhive==0.2.57 refuses an `end_time` with a fraction.
    session = record.session
    session_id = session.event_id
    # Ids are formatted here, off the caller's path; a string id (a session's, the user's) as is.
    event_id, parent, children = record.id, record.parent, record.children
    request = CreateEventRequest(
        event_type=record.event_type,
        inputs=raw_inputs,
        event_id=event_id if type(event_id) is str else format_id(event_id),
        session_id=session_id,
        parent_id=(
            session_id if parent is None else parent if type(parent) is str else format_id(parent)
        ),
        children_ids=None if children is None else [format_id(child) for child in children],
        event_name=record.event_name,
        source=session.source,
        outputs=raw_outputs,
        start_time=int(start),
        end_time=int(start + duration),
        duration=duration,
    )
    if extra is not None:
        size += _add_extra(request, extra, sanitizer)
    return request, size


def _add_extra(request: CreateEventRequest, extra: dict[str, Any], sanitizer: Sanitizer) -> int:
    """Set the rarely used fields a span was enriched with; return their encoded size."""
    field: Callable[[str, Any], Any] = sanitizer.field
    size = 0
    metadata = extra.get("metadata")
    frames = extra.get("_traceback")
    if frames is not None:
        metadata = {**(metadata or {}), "error_traceback": traceback_frames(frames)}
    for name, value in (
        ("config", extra.get("config")),
        ("metadata", metadata),
        ("metrics", extra.get("metrics")),
        ("feedback", extra.get("feedback")),
        ("user_properties", extra.get("user_properties")),
    ):
        if value is not None:
            raw = field(name, value)
            size += len(raw)
            setattr(request, name, raw)
    error = extra.get("error")
    if error is not None:
        request.error = sanitizer.text("error", error)
    return size


def traceback_frames(frames: list[tuple[str, int, str]]) -> list[dict[str, Any]]:
    """Recorded frames as metadata shows them, with their source lines (read here, not by the caller)."""
    return [
        {"filename": f, "lineno": n, "name": name, "line": linecache.getline(f, n).strip()}
        for f, n, name in frames
    ]


def session_start_fields(session: Session, sanitizer: Sanitizer) -> dict[str, Any]:
    """The arguments of `client.session.start` for `session`, as it stands now.

    A session that has ended by now is started with its end (outputs, end time, duration,
    children): its closing update needs no request of its own. Made once per start: a
    retried start sends the same bytes.
    """
    # The enriched fields read from their dict at once (the properties cost a call each).
    extra = session._extra or _NO_KWARGS
    outputs = session.outputs
    start_time, end_time, duration = _session_times(session)
    return {
        "session_id": session.event_id,
        "session_name": repair_value(session.session_name),
        "source": repair_value(session.source),
        "start_time": start_time,
        "inputs": _raw(sanitizer, "inputs", extra.get("inputs")),
        "outputs": None if outputs is None else sanitizer.field("outputs", wrap_output(outputs)),
        "config": _raw(sanitizer, "config", extra.get("config")),
        "metadata": _raw(sanitizer, "metadata", extra.get("metadata")),
        "user_properties": _raw(sanitizer, "user_properties", extra.get("user_properties")),
        "children_ids": session.children_ids or None,
        "end_time": end_time,
        "duration": duration,
    }


def _session_times(session: Session) -> tuple[int, int | None, float | None]:
    """The session's start and end (whole Unix ms, as `event_request` sends) and duration."""
    t0, t1, offset = session._t0, session._t1, wall_offset()
    if not t1:
        return int((t0 + offset) * 1e3), None, None
    return int((t0 + offset) * 1e3), int((t1 + offset) * 1e3), (t1 - t0) * 1e3


def session_event(session: Session, sanitizer: Sanitizer) -> CreateEventRequest:
    """An ended session as one event of the batch: its start, close and scores in one.

    The server stores it as `POST /v1/sessions` would (its `event_id` is the `session_id`,
    it has no parent); unlike a start, it carries metrics and feedback too.
    """
    # One a request in a web service: built directly, not from `session_start_fields`'s dict
    # (that cost it a third more), the fields it rarely has only when it has them.
    extra = session._extra or _NO_KWARGS
    field: Callable[[str, Any], Any] = sanitizer.field
    outputs, (start_time, end_time, duration) = session.outputs, _session_times(session)
    inputs, children, event_id = extra.get("inputs"), session._children, session.event_id
    request = CreateEventRequest(
        event_type="session",
        inputs=_EMPTY_OBJECT if inputs is None else field("inputs", inputs),
        event_id=event_id,
        session_id=event_id,
        children_ids=[format_id(child) for child in children] if children else None,
        event_name=repair_value(session.session_name),
        source=repair_value(session.source),
        outputs=None if outputs is None else field("outputs", wrap_output(outputs)),
        start_time=start_time,
        end_time=end_time,
        duration=duration,
    )
    if len(extra) > (inputs is not None):  # more than its inputs: set what it has
        for name in _SESSION_EXTRA:
            value = extra.get(name)
            if value is not None:
                setattr(request, name, field(name, value))
    return request


_SESSION_EXTRA = ("config", "metadata", "user_properties", "feedback", "metrics")
"""The rarely set fields a session event carries, in the order they are made JSON-safe."""


def session_score_fields(session: Session, sanitizer: Sanitizer) -> dict[str, Any] | None:
    """The update a start cannot carry (metrics, feedback), or None when there is none."""
    metrics, feedback = session.metrics, session.feedback
    if metrics is None and feedback is None:
        return None
    return {
        "metrics": _raw(sanitizer, "metrics", metrics, UNSET),
        "feedback": _raw(sanitizer, "feedback", feedback, UNSET),
    }


def session_update_fields(session: Session, sanitizer: Sanitizer) -> dict[str, Any]:
    """The fields of the `client.events.update` that closes or enriches `session`."""
    outputs = session.outputs
    return {
        "outputs": UNSET if outputs is None else sanitizer.field("outputs", wrap_output(outputs)),
        "metadata": _raw(sanitizer, "metadata", session.metadata, UNSET),
        "metrics": _raw(sanitizer, "metrics", session.metrics, UNSET),
        "feedback": _raw(sanitizer, "feedback", session.feedback, UNSET),
        "config": _raw(sanitizer, "config", session.config, UNSET),
        "user_properties": _raw(sanitizer, "user_properties", session.user_properties, UNSET),
        "children_ids": session.children_ids or UNSET,
        "end_time": UNSET if session.end_time is None else int(session.end_time),
        "duration": UNSET if session.duration is None else session.duration,
    }


def _raw(sanitizer: Sanitizer, name: str, value: Any, absent: Any = None) -> Any:
    # Raw JSON stands in for a dict field when the request is encoded.
    return absent if value is None else sanitizer.field(name, value)


def check_encodable(request: CreateEventRequest) -> None:
    """Repair the text of `request` in place; raise if it still cannot be encoded."""
    for name in request.__struct_fields__:
        value = getattr(request, name)
        if type(value) is list:
            setattr(request, name, [repair_value(v) for v in value])
        else:
            setattr(request, name, repair_value(value))
    _encoder.encode(request)


def repair_value(value: Any) -> Any:
    """A name as the server can take it: text repaired, anything else left to the encoder."""
    return repair_text(value) if type(value) is str else value
