"""Closing a tracer: bounded by its timeout, every event accounted for, nothing held after."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from typing import Any

import pytest

from honeyhive_async.server import LocalServer
from honeyhive_async.tracing import ExportReport, Tracer, _encode, _ledger, trace
from honeyhive_async.tracing import _settle as settle_module
from honeyhive_async.tracing._exporter import on_exporter_thread

from .conftest import make_tracer

BATCH = "/v1/events/batch"
SESSIONS = "/v1/sessions"


def _run(n: int, tracer: Tracer | None = None) -> None:
    @trace(event_name="unit", tracer=tracer)
    def unit(i: int) -> int:
        return i

    for i in range(n):
        unit(i)


async def _stopped(tracer: Tracer) -> None:
    """Wait until the exporter has given up on, or sent, everything (the thread is done)."""
    await asyncio.wrap_future(tracer._exporter._stopped)


def _accounted(tracer: Tracer) -> int:
    report = tracer.stats()
    return report.sent + report.dropped_total + report.pending


@pytest.fixture
def sync_waits(monkeypatch: pytest.MonkeyPatch) -> list[float | None]:
    """The timeouts this thread's code asks `concurrent.futures.wait` for, in order."""
    asked: list[float | None] = []
    real = concurrent.futures.wait
    here = threading.get_ident()

    def wait(fs: Any, timeout: float | None = None, **kwargs: Any) -> Any:
        if threading.get_ident() == here:
            asked.append(timeout)
        return real(fs, timeout=timeout, **kwargs)

    monkeypatch.setattr(concurrent.futures, "wait", wait)
    return asked


@pytest.fixture
def async_waits(monkeypatch: pytest.MonkeyPatch) -> list[float | None]:
    """The timeouts this thread's code asks `asyncio.wait` for (not the exporter thread's)."""
    asked: list[float | None] = []
    real = asyncio.wait
    here = threading.get_ident()

    async def wait(fs: Any, timeout: float | None = None, **kwargs: Any) -> Any:
        if threading.get_ident() == here:
            asked.append(timeout)
        return await real(fs, timeout=timeout, **kwargs)

    monkeypatch.setattr(asyncio, "wait", wait)
    return asked


async def test_a_session_start_in_flight_at_close_is_counted_as_shutdown(
    tracer_factory: Any, honeyhive_server: LocalServer
) -> None:
    tracer = tracer_factory()
    hang = honeyhive_server.faults.hang_next(path=SESSIONS)
    _run(3)  # the default session's start, then three spans
    await hang.wait_hit()
    report = await tracer.aclose(timeout=0.2)
    assert report.timed_out
    await _stopped(tracer)
    final = tracer.stats()
    assert (final.sent, final.pending) == (0, 0)
    assert final.dropped == {"shutdown": 4}


async def test_aclose_asks_for_no_more_than_its_timeout_and_a_tenth(
    tracer_factory: Any, honeyhive_server: LocalServer, async_waits: list[float | None]
) -> None:
    tracer = tracer_factory()
    hang = honeyhive_server.faults.hang_next(path=BATCH)
    _run(3)
    await tracer.flush(0)  # start the send, then close while it hangs
    await hang.wait_hit()
    async_waits.clear()
    report = await tracer.aclose(timeout=0.3)
    assert report.timed_out
    assert len(async_waits) == 2
    assert all(t is not None for t in async_waits)
    assert sum(t or 0 for t in async_waits) <= 0.3 + settle_module.STOP_GRACE
    await _stopped(tracer)
    assert tracer.stats().dropped == {"shutdown": 3}
    assert tracer.stats().sent == 1  # the default session


def test_close_sync_asks_for_no_more_than_its_timeout_and_a_tenth(
    threaded_server: LocalServer, sync_waits: list[float | None]
) -> None:
    tracer = make_tracer(threaded_server, set_default=False)
    threaded_server.faults.hang_next(path=BATCH)
    _run(3, tracer)
    report = tracer.close_sync(timeout=0.3)
    assert report.timed_out
    assert len(sync_waits) == 2
    assert sum(t or 0 for t in sync_waits) <= 0.3 + settle_module.STOP_GRACE
    tracer._exporter._stopped.result()  # the thread winds up after the close returned
    assert tracer.stats().sent + tracer.stats().dropped_total == 4


def test_the_exit_flushes_of_several_tracers_share_one_deadline(
    threaded_server: LocalServer, sync_waits: list[float | None], caplog: pytest.LogCaptureFixture
) -> None:
    tracers = [
        make_tracer(threaded_server, set_default=False, flush_at_exit=True, exit_timeout=0.3)
        for _ in range(3)
    ]
    threaded_server.faults.hang_next(3, path=BATCH)
    for tracer in tracers:
        _run(2, tracer)
    with caplog.at_level(logging.WARNING, logger="honeyhive_async.tracing"):
        settle_module._flush_at_exit()
    # Waited on all together: the timeouts add up to one exit_timeout (and the grace), not three.
    assert len(sync_waits) == 2
    assert sum(t or 0 for t in sync_waits) <= 0.3 + settle_module.STOP_GRACE
    for tracer in tracers:
        assert tracer._closed
        assert tracer not in settle_module.exit_flush
        tracer._exporter._stopped.result()
        assert tracer.stats().sent + tracer.stats().dropped_total == 3
    assert any("at exit" in r.getMessage() for r in caplog.records)


async def test_a_close_that_finishes_in_time_waits_once(
    tracer_factory: Any, async_waits: list[float | None]
) -> None:
    tracer = tracer_factory()
    _run(2)
    report = await tracer.aclose(timeout=5)
    assert not report.timed_out
    assert len(async_waits) == 1
    assert (report.sent, report.pending, report.dropped) == (3, 0, {})


async def test_retried_session_starts_are_counted(
    tracer_factory: Any, honeyhive_server: LocalServer
) -> None:
    tracer = tracer_factory()
    honeyhive_server.faults.fail_next(1, 503, retry_after="0", path=SESSIONS)
    _run(1)
    report = await tracer.flush(5)
    assert (report.sent, report.retried, report.dropped) == (2, 1, {})


async def test_a_session_start_whose_answer_was_lost_is_sent_when_the_server_has_it(
    tracer_factory: Any, honeyhive_server: LocalServer
) -> None:
    dropped: list[str] = []
    tracer = tracer_factory(
        max_export_attempts=1, on_drop=lambda reason, span: dropped.append(reason)
    )
    lost = honeyhive_server.faults.fail_next(1, lose_reply=True, path=SESSIONS)
    _run(1)
    report = await tracer.flush(5)
    assert lost.hits == 1
    assert (report.sent, report.dropped, dropped) == (2, {}, [])


async def test_a_session_start_that_failed_is_dropped_once(
    tracer_factory: Any, honeyhive_server: LocalServer
) -> None:
    dropped: list[str] = []
    tracer = tracer_factory(
        max_export_attempts=1, on_drop=lambda reason, span: dropped.append(reason)
    )
    honeyhive_server.faults.fail_next(1, drop=True, path=SESSIONS)
    _run(1)
    report = await tracer.flush(5)
    assert report.dropped == {"session_start_failed": 1}
    assert dropped == ["session_start_failed"]
    assert report.sent == 1


@pytest.mark.parametrize(
    ("exc", "text"),
    [
        (asyncio.CancelledError(), "CancelledError"),
        (TimeoutError(), "TimeoutError"),
        (ValueError("bad input"), "bad input"),
    ],
)
def test_a_warning_names_an_error_that_has_no_message(exc: BaseException, text: str) -> None:
    # "giving up on 500 events (shutdown): " used to end there for a cancelled send.
    assert _ledger.describe(exc) == text


async def test_a_close_from_inside_on_drop_does_not_wait_on_its_own_thread(
    tracer_factory: Any, honeyhive_server: LocalServer
) -> None:
    closed: list[ExportReport] = []

    def on_drop(reason: str, span: Any) -> None:
        if not closed:
            closed.append(tracer.close_sync(timeout=None))  # would wait on this very thread

    tracer = tracer_factory(on_drop=on_drop)
    honeyhive_server.faults.fail_next(1, 400, path=BATCH)
    _run(2)
    await tracer.flush(5)
    await _stopped(tracer)
    (report,) = closed
    assert not report.timed_out
    assert tracer._closed
    final = tracer.stats()
    assert (final.sent, final.dropped, final.pending) == (1, {"rejected_400": 2}, 0)


async def test_a_flush_from_inside_on_drop_does_not_wait_on_its_own_thread(
    tracer_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The flush's work is the exporter thread's, and on_drop runs on it: waiting there would
    # only stall the thread for the flush's whole timeout. It returns at once instead, saying
    # that work is left (timed_out), and the work goes on once on_drop returns.
    waits_on_exporter: list[float | None] = []
    real = concurrent.futures.wait

    def wait(fs: Any, timeout: float | None = None, **kwargs: Any) -> Any:
        if on_exporter_thread():
            waits_on_exporter.append(timeout)
        return real(fs, timeout=timeout, **kwargs)

    monkeypatch.setattr(concurrent.futures, "wait", wait)
    flushed: list[ExportReport] = []

    def on_drop(reason: str, record: Any) -> None:
        if not flushed:
            flushed.append(tracer.flush_sync(timeout=30))

    tracer = tracer_factory(on_drop=on_drop, max_buffer_bytes=1)  # every span: buffer_full
    _run(2)
    report = await tracer.flush(5)
    assert waits_on_exporter == []
    (inside,) = flushed
    assert inside.timed_out
    assert (report.sent, report.dropped, report.pending) == (1, {"buffer_full": 2}, 0)
    assert not report.timed_out


async def test_a_start_stored_by_an_earlier_attempt_is_sent_whatever_the_last_one_said(
    tracer_factory: Any, honeyhive_server: LocalServer
) -> None:
    # Attempt 1 is stored but its answer is lost; attempt 2 is refused (as a server that will
    # not take a session id twice would): the server has the session all the same.
    tracer = tracer_factory(max_export_attempts=2)
    honeyhive_server.faults.fail_next(1, lose_reply=True, path=SESSIONS)
    honeyhive_server.faults.fail_next(1, 409, path=SESSIONS)
    _run(1)
    report = await tracer.flush(5)
    assert (report.sent, report.dropped, report.retried) == (2, {}, 1)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("plain", "plain"), ("caf\udce9", "caf\ufffd"), ("naïve", "naïve"), (None, None), (3, 3)],
)
def test_names_are_repaired_and_other_values_left_alone(value: Any, expected: Any) -> None:
    assert _encode.repair_value(value) == expected


def test_every_report_counts_each_event_exactly_once(threaded_server: LocalServer) -> None:
    # Reports read from another thread while batches are sent, partly created, rejected and
    # re-sent: at every moment each event is in exactly one of sent, dropped or pending.
    tracer = make_tracer(threaded_server, set_default=False, max_batch_size=7)
    faults = threaded_server.faults
    faults.partial_batch(3)
    faults.fail_next(1, 400, path=BATCH)
    faults.fail_next(1, 503, retry_after="0", path=BATCH)
    produced = 1 + 150  # the default session and the spans
    _run(150, tracer)
    sums: list[int] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            report = tracer.stats()
            sums.append(report.sent + report.dropped_total + report.pending)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        report = tracer.close_sync(timeout=10)
    finally:
        done.set()
        reader.join()
    assert (report.pending, report.timed_out) == (0, False)
    assert report.dropped == {"rejected_400": 7}
    assert report.sent == produced - 7
    assert sums
    assert set(sums) == {produced}
