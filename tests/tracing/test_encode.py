"""Finished spans and sessions as the requests the exporter sends (`_encode`, no I/O)."""

from __future__ import annotations

import linecache
from typing import Any

import msgspec
import pytest
from msgspec import UNSET

from honeyhive_async.models import CreateEventRequest
from honeyhive_async.tracing import Session
from honeyhive_async.tracing._capture import Binder, Sanitizer
from honeyhive_async.tracing._encode import (
    EVENT_OVERHEAD,
    check_encodable,
    event_request,
    session_start_fields,
    session_update_fields,
)
from honeyhive_async.tracing._ids import format_id, next_id
from honeyhive_async.tracing._record import SessionRef, SpanRecord
from honeyhive_async.tracing._span import SpanSink

SESSION = SessionRef(event_id="session-1", session_name="checkout", source="prod")


def ask(question: str, temperature: float = 0.5) -> str:
    return question


def _record(**fields: Any) -> SpanRecord:
    base: dict[str, Any] = {
        "session": SESSION,
        "event_type": "model",
        "event_name": "ask",
        "id": next_id(),
        "parent": None,
        "perf_start": 100.0,
        "perf_end": 100.25,
    }
    return SpanRecord(**{**base, **fields})


def _json(raw: Any) -> Any:
    return None if raw is None else msgspec.json.decode(raw)


def _bytes(*raws: Any) -> int:
    """Encoded bytes of the given fields (Raw JSON, typed as dicts on the request)."""
    return sum(len(raw) for raw in raws)


def test_a_plain_span_becomes_an_event_of_its_session() -> None:
    record = _record(binder=Binder(ask), args=("why?",), outputs="because")
    request, size = event_request(record, Sanitizer(), wall_offset=1_000.0)
    assert request.event_id == format_id(record.id)
    assert (request.session_id, request.parent_id, request.source) == (
        "session-1",
        "session-1",  # a span started right in its session is the session's child
        "prod",
    )
    assert (request.event_type, request.event_name) == ("model", "ask")
    assert _json(request.inputs) == {"question": "why?", "temperature": 0.5}
    assert _json(request.outputs) == {"result": "because"}
    assert (request.start_time, request.end_time) == (1_100_000, 1_100_250)
    assert (type(request.start_time), type(request.end_time)) == (int, int)
    assert request.duration == pytest.approx(250.0)
    assert request.children_ids is None
    assert request.error is UNSET
    assert size == EVENT_OVERHEAD + _bytes(request.inputs, request.outputs)


@pytest.mark.parametrize(
    ("perf_start", "perf_end", "start_time", "end_time", "duration"),
    [
        (100.0, 100.25, 1_100_000, 1_100_250, 250.0),
        (100.0004, 100.0011, 1_100_000, 1_100_001, 0.7),  # both inside one ms: a fraction
        (100.0009, 100.0021, 1_100_000, 1_100_002, 1.2),  # truncated, never rounded up
        (100.5, 100.5, 1_100_500, 1_100_500, 0.0),
    ],
)
def test_times_go_out_as_whole_ms_and_duration_keeps_its_fraction(
    perf_start: float, perf_end: float, start_time: int, end_time: int, duration: float
) -> None:
    record = _record(perf_start=perf_start, perf_end=perf_end)
    request, _ = event_request(record, Sanitizer(), wall_offset=1_000.0)
    assert (request.start_time, request.end_time) == (start_time, end_time)
    assert (type(request.start_time), type(request.end_time)) == (int, int)
    assert request.duration == pytest.approx(duration, abs=1e-6)
    body = msgspec.json.decode(msgspec.json.encode(request))
    assert (body["start_time"], body["end_time"]) == (start_time, end_time)


def test_encoding_reads_the_record_and_changes_nothing() -> None:
    args = ({"q": 1},)
    record = _record(binder=Binder(ask), args=args, outputs={"a": 2}, extra={"config": {"m": 1}})
    event_request(record, Sanitizer(), wall_offset=0.0)
    assert (record.args, record.outputs, record.extra) == (args, {"a": 2}, {"config": {"m": 1}})


def test_ids_of_parent_and_children_are_formatted() -> None:
    parent, child = next_id(), next_id()
    record = _record(parent=parent, children=[child, "given-id"])
    request, _ = event_request(record, Sanitizer(), wall_offset=0.0)
    assert request.parent_id == format_id(parent)
    assert request.children_ids == [format_id(child), "given-id"]


def test_no_arguments_send_an_empty_object_unless_a_hook_wants_to_see_it() -> None:
    request, _ = event_request(_record(), Sanitizer(), wall_offset=0.0)
    assert _json(request.inputs) == {}
    assert request.outputs is None
    seen: list[str] = []

    def hook(field: str, value: Any) -> Any:
        seen.append(field)
        return {**value, "env": "prod"}

    request, _ = event_request(_record(), Sanitizer(redact=hook), wall_offset=0.0)
    assert seen == ["inputs"]
    assert _json(request.inputs) == {"env": "prod"}


def test_enriched_inputs_are_merged_over_the_bound_arguments() -> None:
    record = _record(
        binder=Binder(ask), args=("q",), kwargs={"temperature": 1.0}, extra={"inputs": {"k": 3}}
    )
    request, _ = event_request(record, Sanitizer(), wall_offset=0.0)
    assert _json(request.inputs) == {"question": "q", "temperature": 1.0, "k": 3}


def test_enriched_fields_an_error_and_its_traceback_are_sent(tmp_path: Any) -> None:
    source = tmp_path / "app.py"
    source.write_text("x = 1\nraise ValueError('boom')\n")
    linecache.checkcache(str(source))
    extra = {
        "config": {"model": "m"},
        "metadata": {"route": "/chat"},
        "metrics": {"tokens": 3},
        "feedback": {"ok": True},
        "user_properties": {"plan": "pro"},
        "error": "ValueError: boom",
        "_traceback": [(str(source), 2, "<module>")],
    }
    request, size = event_request(_record(extra=extra), Sanitizer(), wall_offset=0.0)
    assert _json(request.config) == {"model": "m"}
    assert _json(request.metadata) == {
        "route": "/chat",
        "error_traceback": [
            {
                "filename": str(source),
                "lineno": 2,
                "name": "<module>",
                "line": "raise ValueError('boom')",
            }
        ],
    }
    assert (_json(request.metrics), _json(request.feedback)) == ({"tokens": 3}, {"ok": True})
    assert _json(request.user_properties) == {"plan": "pro"}
    assert request.error == "ValueError: boom"
    enriched = _bytes(
        request.config,
        request.metadata,
        request.metrics,
        request.feedback,
        request.user_properties,
    )
    assert size == EVENT_OVERHEAD + _bytes(request.inputs) + enriched


def test_secrets_are_redacted_in_every_field() -> None:
    sanitizer = Sanitizer(secrets=["sk-live-123456789"])
    record = _record(
        binder=Binder(ask),
        args=("key sk-live-123456789",),
        extra={"error": "bad key sk-live-123456789", "metadata": {"api_key": "x"}},
    )
    request, _ = event_request(record, sanitizer, wall_offset=0.0)
    encoded = msgspec.json.encode(request)
    assert b"sk-live-123456789" not in encoded
    assert _json(request.metadata) == {"api_key": "[REDACTED]"}


class _Sink:
    def enqueue_span(self, record: SpanRecord) -> None: ...
    def enqueue_session_start(self, session: Session) -> None: ...
    def enqueue_session_update(self, session: Session) -> None: ...


def _session(name: str = "checkout") -> Session:
    sink: SpanSink = _Sink()
    return Session.open(sink, name, source="prod")


def test_a_session_start_carries_its_fields_once_sanitized() -> None:
    session = _session("caf\udce9")
    session.inputs = {"cart": [1, 2]}
    session.metadata = {"password": "hunter2"}
    fields = session_start_fields(session, Sanitizer())
    assert fields["session_id"] == session.event_id
    assert (fields["session_name"], fields["source"]) == ("caf\ufffd", "prod")
    # Read at each call (`wall_offset` reads two clocks): a preemption can shift it a little.
    assert fields["start_time"] == pytest.approx(session.start_time, abs=100.0)
    assert type(fields["start_time"]) is int  # whole ms, as spans send theirs
    assert _json(fields["inputs"]) == {"cart": [1, 2]}
    assert _json(fields["metadata"]) == {"password": "[REDACTED]"}
    assert (fields["config"], fields["user_properties"]) == (None, None)


def test_a_session_update_sends_only_what_the_session_has() -> None:
    session = _session()
    fields = session_update_fields(session, Sanitizer())
    assert all(value is UNSET for value in fields.values())
    session.update(outputs={"status": "ok"}, metrics={"n": 1})
    session.finish()
    fields = session_update_fields(session, Sanitizer())
    assert _json(fields["outputs"]) == {"status": "ok"}
    assert _json(fields["metrics"]) == {"n": 1}
    assert fields["metadata"] is UNSET
    assert fields["duration"] == session.duration
    assert fields["end_time"] == pytest.approx(session.end_time, abs=100.0)  # as start_time
    assert type(fields["end_time"]) is int


def test_a_request_with_a_lone_surrogate_is_repaired_in_place() -> None:
    request = CreateEventRequest(
        event_type="tool", inputs={}, event_name="caf\udce9", children_ids=["a\udce9"]
    )
    with pytest.raises(UnicodeEncodeError):
        msgspec.json.encode(request)
    check_encodable(request)
    assert (request.event_name, request.children_ids) == ("caf\ufffd", ["a\ufffd"])
