"""A session opened a moment ago is held back a round, not started on its own (issue 14, target 4).

A web service opens a session per request: when the exporter's round comes, the newest
sessions are still open. Started then, each costs `POST /v1/sessions` and a closing `PUT`;
held in the buffer for a round, most have ended by the next one and go in its batch as one
event. A flush, a close, a full round's worth behind it or `flush_interval` seconds of age
end the hold.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any

from honeyhive_async.server import LocalServer
from honeyhive_async.tracing import trace_span
from honeyhive_async.tracing._chunk import take_chunk
from honeyhive_async.tracing._ledger import MARK, START, Buffered, Ledger
from honeyhive_async.tracing._span import Session

from .test_session_export import BATCH, SESSIONS, _bodies, _sent, _Sink

HOLD = 1.0


def _ledger(buffer: deque[Buffered], *, hold_below: int = 10) -> Ledger:
    ledger = Ledger(deque(), buffer, None)
    ledger.hold, ledger.hold_below = HOLD, hold_below
    return ledger


def _session(*, age: float = 0.0, ended: bool = False) -> Session:
    session = Session.open(_Sink(), "request", source="dev")
    session._t0 -= age
    if ended:
        session.finish()
    return session


def _buffered(*sessions: Session) -> deque[Buffered]:
    return deque((START, s, None, 0) for s in sessions)


def test_a_young_open_sessions_start_ends_the_chunk_and_stays_buffered() -> None:
    ended, young = _session(ended=True), _session()
    buffer = _buffered(ended, young)
    ledger = _ledger(buffer)
    chunk = take_chunk(buffer, ledger, 500, 1 << 20)
    assert chunk.ended == [ended]
    assert chunk.starts == []
    assert ledger.held
    assert list(buffer) == [(START, young, None, 0)]
    assert ledger.report().pending == 2  # the ended one in flight, the held one buffered


def test_an_open_session_older_than_the_hold_is_started() -> None:
    old = _session(age=HOLD + 1)
    buffer = _buffered(old)
    ledger = _ledger(buffer)
    chunk = take_chunk(buffer, ledger, 500, 1 << 20)
    assert (chunk.starts, ledger.held, len(buffer)) == ([old], False, 0)


def test_nothing_is_held_with_a_rounds_worth_behind_it() -> None:
    young = _session()
    buffer = _buffered(young, *(_session(ended=True) for _ in range(3)))
    ledger = _ledger(buffer, hold_below=4)
    chunk = take_chunk(buffer, ledger, 500, 1 << 20)
    assert chunk.starts == [young]
    assert (len(chunk.ended), ledger.held, len(buffer)) == (3, False, 0)


def test_nothing_is_held_while_a_flush_waits_or_without_a_hold() -> None:
    for flush in (True, False):
        young = _session()
        buffer = _buffered(young)
        ledger = _ledger(buffer)
        if flush:
            assert not ledger.fold(MARK, None)  # type: ignore[arg-type]  # a mark is counted
            buffer.append((MARK, None, None, 0))
        else:
            ledger.hold = 0.0  # an exporter that is stopping holds nothing either
        chunk = take_chunk(buffer, ledger, 500, 1 << 20)
        assert (chunk.starts, ledger.held) == ([young], False)
        assert ledger.marks_waiting == 0


async def test_a_session_open_at_a_round_rides_in_the_next_batch(
    tracer_factory: Any, honeyhive_server: LocalServer
) -> None:
    # max_queue_size 10: a round's worth is 5 queued items, and the sixth wakes the exporter.
    tracer = tracer_factory(max_queue_size=10, flush_interval=3600.0)
    first_batch = honeyhive_server.faults.delay_next(0, path=BATCH)
    async with tracer.session("done"):
        for _ in range(3):
            with trace_span("step"):
                pass
    async with tracer.session("open") as open_session:
        await first_batch.wait_hit()  # the round came while this session was open
        assert _sent(honeyhive_server) == [("POST", BATCH)]
    report = await tracer.flush(5)
    assert (report.sent, report.dropped, report.pending) == (5, {}, 0)
    assert _sent(honeyhive_server) == [("POST", BATCH), ("POST", BATCH)]
    first, second = _bodies(honeyhive_server, "POST", BATCH)
    assert [e["event_type"] for e in first["events"]] == ["session", "chain", "chain", "chain"]
    (event,) = second["events"]
    assert (event["event_type"], event["event_id"]) == ("session", open_session.event_id)
    assert event["end_time"] >= event["start_time"]


async def test_a_held_start_goes_out_once_the_session_is_older_than_the_hold(
    tracer_factory: Any, honeyhive_server: LocalServer
) -> None:
    tracer = tracer_factory(max_queue_size=10, flush_interval=0.05)
    started = honeyhive_server.faults.delay_next(0, path=SESSIONS)
    opened = time.perf_counter()
    async with tracer.session("long") as session:
        with trace_span("step"):
            pass
        await started.wait_hit()  # a round sends it while the session still runs
        assert time.perf_counter() - opened >= 0.05
        assert ("POST", SESSIONS) in _sent(honeyhive_server)
    report = await tracer.flush(5)
    assert (report.sent, report.dropped, report.failed_updates) == (2, {}, 0)
    assert any(
        r.method == "PUT" and r.path == f"/v1/events/{session.event_id}"
        for r in honeyhive_server.requests
    )
