"""`session_hold`: a young open session's start waits in the buffer so that the session usually
ends first and goes as one event of a batch; never while a flush waits or the tracer closes."""

from __future__ import annotations

import concurrent.futures
from collections import deque
from typing import Any

from honeyhive_async.models import CreateEventRequest
from honeyhive_async.server import LocalServer
from honeyhive_async.tracing import Session, trace_span
from honeyhive_async.tracing._chunk import take_chunk
from honeyhive_async.tracing._ids import next_id
from honeyhive_async.tracing._ledger import MARK, SPAN, START, Buffered, Ledger
from honeyhive_async.tracing._record import SessionRef, SpanRecord

SESSIONS = "/v1/sessions"
BATCH = "/v1/events/batch"
HOUR = 3600.0


class _Sink:
    def enqueue_span(self, record: SpanRecord) -> None: ...
    def enqueue_session_start(self, session: Session) -> None: ...
    def enqueue_session_update(self, session: Session) -> None: ...


def _span(name: str) -> Buffered:
    record = SpanRecord(
        session=SessionRef(event_id="s", session_name="n", source="dev"),
        event_type="tool",
        event_name=name,
        id=next_id(),
        parent=None,
        perf_start=1.0,
        perf_end=2.0,
    )
    request = CreateEventRequest(event_type="tool", inputs={}, event_id=record.event_id)
    return (SPAN, record, request, 10)


def _start(session: Session) -> Buffered:
    return (START, session, None, 0)


class _Taken:
    def __init__(self, buffer: deque[Buffered], hold: float, marks_waiting: int) -> None:
        ledger = Ledger(deque(), buffer, None)
        ledger.hold, ledger.hold_below, ledger.marks_waiting = hold, 1 << 30, marks_waiting
        chunk = take_chunk(buffer, ledger, 500, 1 << 20)
        self.held = ledger.held
        self.events, self.starts, self.ended, self.marks = (
            chunk.events,
            chunk.starts,
            chunk.ended,
            chunk.marks,
        )


def _take(buffer: deque[Buffered], hold: float, marks_waiting: int = 0) -> _Taken:
    return _Taken(buffer, hold, marks_waiting)


def _names(chunk: _Taken) -> list[str | None]:
    return [request.event_name for request in chunk.events]


def test_a_young_open_session_start_ends_the_chunk_and_stays_first() -> None:
    session = Session.open(_Sink(), "young", source="dev")
    before, start, after = _span("before"), _start(session), _span("after")
    buffer = deque([before, start, after])
    chunk = _take(buffer, HOUR)
    assert chunk.held
    assert (chunk.events, chunk.starts, chunk.ended) == ([before[2]], [], [])
    assert list(buffer) == [start, after]


def test_without_a_hold_the_open_session_starts_at_once() -> None:
    session = Session.open(_Sink(), "young", source="dev")
    buffer = deque([_start(session), _span("after")])
    chunk = _take(buffer, 0.0)
    assert not chunk.held
    assert (chunk.starts, _names(chunk), list(buffer)) == ([session], [None], [])


def test_an_ended_session_is_not_held_it_goes_as_an_event() -> None:
    session = Session.open(_Sink(), "short", source="dev")
    session.finish()
    buffer = deque([_start(session), _span("after")])
    chunk = _take(buffer, HOUR)
    assert not chunk.held
    assert (chunk.starts, chunk.ended, list(buffer)) == ([], [session], [])


def test_a_session_open_longer_than_the_hold_starts() -> None:
    session = Session.open(_Sink(), "long", source="dev")
    session._t0 -= 2.0  # opened two seconds ago
    buffer = deque([_start(session)])
    chunk = _take(buffer, 1.0)
    assert not chunk.held
    assert chunk.starts == [session]


def test_a_waiting_flush_mark_releases_the_hold() -> None:
    session = Session.open(_Sink(), "young", source="dev")
    mark: concurrent.futures.Future[None] = concurrent.futures.Future()
    buffer = deque([_start(session), _span("after"), (MARK, mark, None, 0)])
    chunk = _take(buffer, HOUR, marks_waiting=1)  # as `Ledger.fold` counts it off the queue
    assert not chunk.held
    assert (chunk.starts, chunk.marks, list(buffer)) == ([session], [mark], [])


async def test_a_flush_sends_the_start_of_a_session_still_open(
    tracer_factory: Any, honeyhive_server: LocalServer
) -> None:
    tracer = tracer_factory(session_hold=HOUR, flush_interval=HOUR)
    async with tracer.session("open") as session:
        with trace_span("step"):
            pass
        report = await tracer.flush(5)
        assert (report.timed_out, report.pending, report.dropped) == (False, 0, {})
        assert [r.path for r in honeyhive_server.requests] == [SESSIONS, BATCH]
    report = await tracer.flush(5)
    assert (report.sent, report.pending) == (2, 0)
    assert session.ended


async def test_closing_sends_the_start_of_a_session_still_open(
    tracer_factory: Any, honeyhive_server: LocalServer
) -> None:
    tracer = tracer_factory(session_hold=HOUR, flush_interval=HOUR)
    scope = tracer.session("open")
    scope.__enter__()
    with trace_span("step"):
        pass
    report = await tracer.aclose(timeout=5)
    assert (report.timed_out, report.pending, report.dropped, report.sent) == (False, 0, {}, 2)
    assert [r.path for r in honeyhive_server.requests] == [SESSIONS, BATCH]


async def test_a_session_ending_within_the_hold_goes_as_one_event(
    tracer_factory: Any, honeyhive_server: LocalServer
) -> None:
    # Rounds every 10 ms may find the session open: held, its start waits until the session
    # has ended, then goes in the batch. (Whether a round ran while it was open depends on
    # scheduling; the outcome must be the same either way. A round's worth queued behind a
    # start is not held: tests/tracing/test_session_hold.py.)
    tracer = tracer_factory(session_hold=HOUR, flush_interval=0.01)
    async with tracer.session("short"):
        for _ in range(3):
            with trace_span("step"):
                pass
    report = await tracer.flush(5)
    assert (report.sent, report.pending, report.dropped) == (4, 0, {})
    paths = [r.path for r in honeyhive_server.requests]
    assert SESSIONS not in paths
    assert set(paths) == {BATCH}
