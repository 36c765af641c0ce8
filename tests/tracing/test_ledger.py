"""The exporter's ledger alone: where each event is, drops, `on_drop`, and who lets go."""

from __future__ import annotations

import concurrent.futures
import logging
from collections import deque
from typing import Any

import pytest

from honeyhive_async.models import CreateEventRequest
from honeyhive_async.tracing import ExportReport, Session
from honeyhive_async.tracing._ids import format_id, next_id
from honeyhive_async.tracing._ledger import (
    IN_HAND,
    MARK,
    SPAN,
    START,
    STARTING,
    UPDATE,
    Buffered,
    Ledger,
    resolve,
)
from honeyhive_async.tracing._record import SessionRef, SpanRecord


class _Sink:
    def enqueue_span(self, record: SpanRecord) -> None: ...
    def enqueue_session_start(self, session: Session) -> None: ...
    def enqueue_session_update(self, session: Session) -> None: ...


def _record(name: str = "step") -> SpanRecord:
    return SpanRecord(
        session=SessionRef(event_id="s", session_name="n", source="dev"),
        event_type="tool",
        event_name=name,
        id=next_id(),
        parent=None,
        perf_start=1.0,
        perf_end=2.0,
        outputs={"answer": 42},
        args=("question",),
        kwargs={"k": 1},
        extra={"metadata": {"route": "/chat"}},
    )


def _request(record: SpanRecord) -> CreateEventRequest:
    return CreateEventRequest(event_type="tool", inputs={}, event_id=record.event_id)


def _session() -> Session:
    return Session.open(_Sink(), "checkout", source="dev")


class _Books:
    """A ledger over a queue and a buffer, and what its `on_drop` saw."""

    def __init__(self) -> None:
        self.queue: deque[Any] = deque()
        self.buffer: deque[Buffered] = deque()
        self.seen: list[tuple[str, str, Any, Any]] = []
        self.ledger = Ledger(self.queue, self.buffer, self.on_drop)

    def on_drop(self, reason: str, item: SpanRecord | Session) -> None:
        self.seen.append((reason, item.event_name, item.outputs, item.metadata))

    def fly(self, *records: SpanRecord, starts: int = 0) -> list[str]:
        """Put `records` in flight as a chunk would; return their event ids."""
        with self.ledger.lock:
            self.ledger.busy = True
            self.ledger.starts_left = starts
            self.ledger.in_flight = {record.event_id: record for record in records}
        return [record.event_id for record in records]


def _released(record: SpanRecord) -> bool:
    return (record.outputs, record.args, record.kwargs, record.extra) == (None, (), None, None)


def test_pending_counts_events_wherever_they_wait() -> None:
    books = _Books()
    session = _session()
    books.queue.extend([_record(), (START, session), (UPDATE, session), (MARK, object())])
    books.buffer.extend(
        [
            (SPAN, _record(), None, 10),
            (START, session, None, 0),
            (UPDATE, session, None, 0),
            (MARK, object(), None, 0),
        ]
    )
    books.fly(_record(), _record(), starts=1)
    with books.ledger.lock:
        books.ledger.in_hand = 1
    # queued: a span and a start; buffered: the same; in flight: two spans and a start
    assert books.ledger.report() == ExportReport(sent=0, dropped={}, pending=8, retried=0)


def test_a_dropped_record_is_shown_to_on_drop_whole_then_released(
    caplog: pytest.LogCaptureFixture,
) -> None:
    books = _Books()
    records = [_record(f"step {i}") for i in range(3)]
    with caplog.at_level(logging.WARNING, logger="honeyhive_async.tracing"):
        for record in records:
            books.ledger.drop("queue_full", record)
    assert books.seen == [
        ("queue_full", f"step {i}", {"answer": 42}, {"route": "/chat"}) for i in range(3)
    ]
    assert all(_released(record) for record in records)
    assert records[0].event_name == "step 0"  # ids, names and times stay
    assert books.ledger.report().dropped == {"queue_full": 3}
    warnings = [r for r in caplog.records if "dropped an event" in r.getMessage()]
    assert len(warnings) == 1, "rate-limited"


def test_a_dropped_session_stays_whole() -> None:
    books = _Books()
    session = _session()
    session.metadata = {"keep": True}
    with books.ledger.lock:
        books.ledger.starts_left = 1
    books.ledger.drop("session_start_failed", session, STARTING)
    assert session.metadata == {"keep": True}
    report = books.ledger.report()
    assert (report.pending, report.dropped) == (0, {"session_start_failed": 1})


def test_an_on_drop_that_raises_is_logged_and_the_record_still_released(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(reason: str, item: Any) -> None:
        raise RuntimeError("handler bug")

    ledger = Ledger(deque(), deque(), broken)
    record = _record()
    with caplog.at_level(logging.ERROR, logger="honeyhive_async.tracing"):
        ledger.drop("queue_full", record)
    assert "on_drop callback raised" in caplog.text
    assert _released(record)


def test_events_in_flight_are_acknowledged_or_given_up_each_once() -> None:
    books = _Books()
    sent, lost, late = _record("sent"), _record("lost"), _record("late")
    ids = books.fly(sent, lost, late, starts=1)
    books.ledger.start_stored()
    books.ledger.acknowledge([ids[0], ids[0]])  # a second acknowledgement counts nothing
    books.ledger.give_up("rejected_400", [ids[1]], ValueError("bad"))
    assert books.ledger.report() == ExportReport(
        sent=2, dropped={"rejected_400": 1}, pending=1, retried=0
    )
    assert [(reason, name) for reason, name, _, _ in books.seen] == [("rejected_400", "lost")]
    assert _released(sent)
    assert _released(lost)
    assert not _released(late)
    books.ledger.end_chunk()  # `late` was skipped by a bug: still let go of
    assert _released(late)
    assert not books.ledger.busy
    assert books.ledger.report().pending == 0


def test_sweep_gives_up_on_each_kind_of_queued_item() -> None:
    books = _Books()
    session = _session()
    mark: concurrent.futures.Future[None] = concurrent.futures.Future()
    record = _record()
    books.queue.extend([record, (START, session), (UPDATE, session), (MARK, mark)])
    books.ledger.sweep("tracer_closed")
    report = books.ledger.report()
    assert (report.pending, report.dropped, report.failed_updates) == (
        0,
        {"tracer_closed": 2},
        1,
    )
    assert mark.done()
    assert _released(record)
    assert not books.queue


def test_giving_up_on_the_buffer_at_shutdown() -> None:
    books = _Books()
    record = _record()
    books.buffer.extend([(SPAN, record, _request(record), 100), (START, _session(), None, 0)])
    books.ledger.buffered_bytes = 100
    books.ledger.give_up_buffered("shutdown")
    report = books.ledger.report()
    assert (report.pending, report.dropped) == (0, {"shutdown": 2})
    assert (books.ledger.buffered_bytes, len(books.buffer)) == (0, 0)


def test_drop_from_hand_leaves_nothing_pending() -> None:
    books = _Books()
    with books.ledger.lock:
        books.ledger.in_hand = 1
    books.ledger.drop("encode_failed", _record(), IN_HAND)
    assert books.ledger.report().pending == 0


def test_at_fork_the_parents_records_are_let_go_of_uncounted() -> None:
    books = _Books()
    queued, buffered = _record(), _record()
    books.queue.extend([queued, (START, _session())])
    books.buffer.append((SPAN, buffered, _request(buffered), 10))
    books.ledger.forget_at_fork()
    assert _released(queued)
    assert _released(buffered)
    assert books.seen == []
    assert books.ledger.report().dropped == {}


def test_a_flush_mark_resolves_once_even_if_its_waiter_gave_up() -> None:
    mark: concurrent.futures.Future[None] = concurrent.futures.Future()
    resolve(mark)
    resolve(mark)
    assert mark.result() is None
    cancelled: concurrent.futures.Future[None] = concurrent.futures.Future()
    cancelled.cancel()
    resolve(cancelled)
    assert cancelled.cancelled()


def test_a_record_reads_as_the_span_did() -> None:
    record = _record()
    assert record.event_id == format_id(record.id)
    assert (record.session_id, record.parent_id, record.children_ids) == ("s", None, [])
    assert record.ended  # as on the Span copy on_drop received before SpanRecord
    assert record.duration == pytest.approx(1000.0)
    # Each Unix time reads the clocks anew (`wall_offset`): a preemption between its two reads
    # shifts one of them, by a millisecond now and then on a busy machine.
    assert record.end_time - record.start_time == pytest.approx(1000.0, abs=100.0)
    assert (record.metadata, record.config, record.error, record.inputs) == (
        {"route": "/chat"},
        None,
        None,
        None,
    )
    assert repr(record).startswith("SpanRecord(event_type='tool', event_name='step'")
