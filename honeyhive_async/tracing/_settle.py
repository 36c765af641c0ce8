"""Waiting for tracers to flush or close: within one deadline, from a loop or a thread, at exit.

`Tracer.flush`, `flush_sync`, `aclose`, `close_sync` and the exit flush all wait here.
"""

from __future__ import annotations

import atexit
import concurrent.futures
import logging
import time
import weakref
from typing import Protocol

from ._exporter import on_exporter_thread
from ._ledger import ExportReport

__all__ = ["STOP_GRACE", "Settles", "deadline_after", "exit_flush", "remaining", "settle"]

log = logging.getLogger("honeyhive_async.tracing")


class Settles(Protocol):
    """What a tracer offers to be flushed or closed here (see `Tracer._begin`)."""

    _closed: bool
    _exit_timeout: float

    def _begin(self, *, close: bool) -> concurrent.futures.Future[None]: ...
    def _give_up_waiting(self, done: concurrent.futures.Future[None], *, close: bool) -> None: ...
    def _end(self, *, close: bool, timed_out: bool) -> ExportReport: ...


exit_flush: weakref.WeakSet[Settles] = weakref.WeakSet()
"""Tracers to close when the interpreter exits (`flush_at_exit=True`, not closed yet)."""

STOP_GRACE = 0.1
"""Seconds a close waits past its deadline for the sends it cancelled to wind up."""


def deadline_after(timeout: float | None) -> float | None:
    """The `time.monotonic()` at which `timeout` seconds from now end (None: never)."""
    return None if timeout is None else time.monotonic() + max(timeout, 0.0)


def remaining(deadline: float | None) -> float | None:
    """Seconds left until `deadline`, never negative (None: no deadline)."""
    return None if deadline is None else max(deadline - time.monotonic(), 0.0)


def settle(tracers: list[Settles], *, close: bool, deadline: float | None) -> list[ExportReport]:
    """Flush or close `tracers` together from a thread, all bound by one deadline.

    A close may wait `STOP_GRACE` past the deadline for the sends it cancelled to wind up.
    """
    waits = [tracer._begin(close=close) for tracer in tracers]
    if on_exporter_thread():
        # Called from `on_drop` or a redaction hook: the thread that would do the work is
        # this one, so waiting would only stall it. The work goes on once the callback returns.
        return [
            tracer._end(close=close, timed_out=not close and not done.done())
            for tracer, done in zip(tracers, waits, strict=True)
        ]
    finished = concurrent.futures.wait(waits, timeout=remaining(deadline)).done
    late = [done for done in waits if done not in finished]
    for tracer, done in zip(tracers, waits, strict=True):
        if done in late:
            tracer._give_up_waiting(done, close=close)
    if late and close:
        concurrent.futures.wait(late, timeout=STOP_GRACE)
    return [
        tracer._end(close=close, timed_out=done in late)
        for tracer, done in zip(tracers, waits, strict=True)
    ]


@atexit.register
def _flush_at_exit() -> None:
    tracers = [tracer for tracer in list(exit_flush) if not tracer._closed]
    if not tracers:
        return
    # One deadline for all: N tracers must not make the exit N times slower.
    deadline = deadline_after(max(tracer._exit_timeout for tracer in tracers))
    try:
        reports = settle(tracers, close=True, deadline=deadline)
    except Exception:
        log.exception("honeyhive: the exit flush failed")
        return
    for report in reports:
        if report.pending or report.dropped_total:
            log.warning(
                "honeyhive: at exit %d events were sent, %d dropped %s, %d still pending",
                report.sent,
                report.dropped_total,
                report.dropped,
                report.pending,
            )
