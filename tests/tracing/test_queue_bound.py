"""The queue's bound as a caller sees it while the exporter thread works.

A traced call checks the queue's length against a bound the exporter thread keeps up to date
(`max_queue_size` less what waits encoded in its buffer; nothing once the tracer closes). The
thread is held at a known point by a redaction hook, which runs on it while it encodes a span:
what came before that span is buffered, what comes after still queued.
"""

from __future__ import annotations

import gc
import sys
import threading
from typing import Any

import pytest

from honeyhive_async.server import LocalServer
from honeyhive_async.tracing import Tracer, trace

from .conftest import make_tracer


class _Gates:
    """A redaction hook that holds the exporter thread while it encodes chosen spans."""

    def __init__(self, *held: int) -> None:
        self._entered = {i: threading.Event() for i in held}
        self._opened = {i: threading.Event() for i in held}

    def redact(self, field: str, value: Any) -> Any:
        i = value.get("i") if field == "inputs" else None
        if i in self._entered:
            self._entered[i].set()
            self._opened[i].wait(30)
        return value

    def reached(self, i: int) -> None:
        """Wait until the exporter thread is held at span `i`."""
        assert self._entered[i].wait(30), f"the exporter never reached span {i}"

    def open(self, i: int) -> None:
        self._opened[i].set()

    def open_all(self) -> None:
        for opened in self._opened.values():
            opened.set()


def _traced(tracer: Tracer) -> Any:
    @trace(event_name="unit", tracer=tracer)
    def unit(i: int) -> int:
        return i

    return unit


def test_the_bound_counts_what_waits_encoded_and_a_send_frees_it(
    threaded_server: LocalServer,
) -> None:
    gates = _Gates(0, 3, 20)
    tracer = make_tracer(
        threaded_server,
        max_queue_size=5,
        max_batch_size=1000,
        flush_interval=3600,  # only the queue's length wakes the thread
        redact=gates.redact,
        set_default=False,
    )
    unit = _traced(tracer)
    try:
        with tracer.session("bound"):
            unit(0)
            unit(1)  # the queue's length wakes the thread: held encoding span 0
            gates.reached(0)
            unit(2)
            unit(3)
            gates.open(0)
            gates.reached(3)
            # Buffered: the session start and spans 0-2; span 3 in hand; the queue empty.
            # The bound has room for one more event, not for the three that come.
            for i in range(10, 13):
                unit(i)
            assert tracer.stats().dropped == {"queue_full": 2}
            gates.open(3)
            report = tracer.flush_sync(10)
            assert (report.sent, report.dropped, report.pending) == (6, {"queue_full": 2}, 0)
            # All was sent: the whole bound is free again, though the thread is held encoding
            # span 20 and has buffered nothing since it sent.
            unit(20)
            unit(21)
            unit(22)
            gates.reached(20)
            unit(23)
            unit(24)
            unit(25)
            assert tracer.stats().dropped == {"queue_full": 2}
            gates.open(20)
            report = tracer.flush_sync(10)  # so that the session's closing update has room
            assert (report.sent, report.dropped, report.pending) == (12, {"queue_full": 2}, 0)
    finally:
        gates.open_all()
    report = tracer.close_sync(10)
    assert (report.sent, report.dropped, report.pending) == (12, {"queue_full": 2}, 0)
    assert report.failed_updates == 0


def test_a_span_that_ends_while_the_exporter_stops_is_dropped_as_tracer_closed(
    threaded_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What the close cuts short leaves nothing behind either: a session start whose send was
    # cancelled before its turn came was once a coroutine never awaited (a RuntimeWarning).
    unraisable: list[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    gates = _Gates(0)
    tracer = make_tracer(
        threaded_server,
        max_queue_size=4,
        flush_interval=3600,
        redact=gates.redact,
        set_default=False,
    )
    unit = _traced(tracer)
    try:
        with tracer.session("closing"):
            unit(0)
            unit(1)
            gates.reached(0)
            # The close gives up waiting at once; the thread, held, has not stopped yet.
            assert tracer.close_sync(timeout=0).timed_out
            unit(2)  # a span of a block that outlived the close: there is room in the queue
            assert tracer.stats().dropped == {"tracer_closed": 1}
    finally:
        gates.open_all()
    tracer._exporter._stopped.result(30)
    report = tracer.stats()
    assert report.dropped["tracer_closed"] == 1
    assert report.pending == 0
    assert report.sent + report.dropped_total == 4  # the session start and three spans
    gc.collect()
    assert unraisable == []
