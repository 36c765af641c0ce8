"""The background exporter: the caller's queue, and a daemon thread with its own loop and client.

The traced call only appends to a deque (no I/O, no lock, no wait). The thread encodes what is
queued into a buffer (`_encode`), sends it in chunks (`_send`), and accounts for every event in
its ledger (`_ledger`): sent, dropped (by reason), or still pending.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import os
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from .._retry import Sleep
from ._backlog import encode_backlog
from ._capture import Sanitizer
from ._chunk import Chunk, drain, take_chunk
from ._handoff import checkpoint, new_loop
from ._ledger import (
    MARK,
    START,
    UPDATE,
    Buffered,
    DropHook,
    ExportReport,
    Ledger,
    resolve,
)
from ._record import SpanRecord
from ._send import RETRY_WINDOW, Sender
from ._span import Session

if TYPE_CHECKING:
    from .._client import AsyncHoneyHive

__all__ = ["Exporter", "on_exporter_thread"]

log = logging.getLogger("honeyhive_async.tracing")

_NEVER = 1 << 62


class Exporter:
    """Ships finished spans and session starts/updates in background batches (a `SpanSink`)."""

    def __init__(
        self,
        client_factory: Callable[[], AsyncHoneyHive],
        sanitizer: Sanitizer,
        *,
        max_queue_size: int = 10_000,
        max_batch_size: int = 500,
        max_batch_bytes: int = 4 * 1024 * 1024,
        max_buffer_bytes: int = 64 * 1024 * 1024,
        flush_interval: float = 1.0,
        max_attempts: int | None = None,
        retry_window: float = RETRY_WINDOW,
        on_drop: DropHook | None = None,
        session_hold: float | None = None,
    ) -> None:
        if max_queue_size < 1 or max_batch_size < 1:
            raise ValueError("max_queue_size and max_batch_size must be >= 1")
        self._client_factory = client_factory
        self._sanitizer = sanitizer
        self.max_queue_size = max_queue_size
        self._max_batch = max_batch_size
        self._max_batch_bytes = max_batch_bytes
        self._max_buffer_bytes = max_buffer_bytes
        self._interval = flush_interval
        self._max_attempts = max_attempts
        self._retry_window = retry_window
        self._retry_clock: Callable[[], float] = time.monotonic
        self._retry_sleep: Sleep = asyncio.sleep  # a test's recorder may replace it
        self._on_drop = on_drop
        self._hold = flush_interval if session_hold is None else session_hold  # `Ledger.holds`
        self._reset()
        _live_exporters.add(self)

    def _reset(self) -> None:
        self._start_lock = threading.Lock()
        # Spans go in bare, session work and flush marks as (kind, item) pairs: `enqueue_span`.
        self._queue: deque[Any] = deque()
        # Encoded spans (and session work, flush marks) waiting for a send, in queue order.
        self._buffer: deque[Buffered] = deque()
        self._ledger = Ledger(self._queue, self._buffer, self._on_drop)
        self._ledger.on_free = self._bound
        # The queue length at which the caller's side drops: max_queue_size less what waits in
        # the buffer or flies (the bound covers all three), 0 once stopping; set by `_bound`.
        self._capacity = self.max_queue_size
        # The queue length at which the caller's side acts: 0 while no thread runs (the next
        # span starts one), then a batch's worth (wake the thread), then never until it drained.
        self._wake_at = 0
        self._wake_threshold = max(1, min(self._max_batch, self.max_queue_size // 2))
        self._ledger.hold, self._ledger.hold_below = self._hold, self._wake_threshold
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._stopping = False
        # Set once what was left at the stop is given up on: a late append then sweeps (`_backlog`).
        self._final = False
        self._stopped: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._main_task: asyncio.Task[None] | None = None

    # -- the caller's side: cheap, never blocks, never raises --------------------------------

    def enqueue_span(self, record: SpanRecord) -> None:
        """Queue a finished span; drop it (counted) when the queue is full."""
        # The traced call's path: a length, a compare and an append. The record goes in bare, not
        # as a (kind, item) pair: a tuple per span would cost every call; readers check the type.
        queue = self._queue
        size = len(queue)
        if size >= self._capacity:
            self._ledger.drop("tracer_closed" if self._stopping else "queue_full", record)
            return
        queue.append(record)
        if size >= self._wake_at:
            self._backlog()

    def enqueue_session_start(self, session: Session) -> None:
        """Queue a session's start (an event of the batch once it has ended); it counts against the queue bound."""
        self._enqueue_session(START, session)

    def enqueue_session_update(self, session: Session) -> None:
        """Queue the `PUT /v1/events/{session_id}` that closes or enriches a session."""
        self._enqueue_session(UPDATE, session)

    def _enqueue_session(self, kind: int, session: Session) -> None:
        queue = self._queue
        size = len(queue)
        # The close of a session started while it ran passes a full queue: see `open_started`.
        if size >= self._capacity and (
            kind != UPDATE or self._stopping or session.event_id not in self._ledger.open_started
        ):
            reason = "tracer_closed" if self._stopping else "queue_full"
            self._ledger.give_up_item(reason, kind, session)
            return
        queue.append((kind, session))
        if size >= self._wake_at:
            self._backlog()

    def _backlog(self) -> None:
        thread = self._thread
        if self._stopping:
            if self._final:
                self._ledger.sweep("tracer_closed")  # closed: no thread drains it (`_finish`)
            return
        if thread is None or not thread.is_alive():
            self._start()
        else:
            self._poke()

    def _start(self) -> None:
        with self._start_lock:
            current = self._thread
            if self._stopping or (current is not None and current.is_alive()):
                return
            ready = threading.Event()
            thread = threading.Thread(
                target=_thread_main, args=([self], ready), name="honeyhive-exporter", daemon=True
            )
            try:
                thread.start()
            except RuntimeError as exc:  # thread limit, interpreter shutting down, ...
                # The events stay queued (pending); the next batch's worth tries again.
                self._ledger.warn(f"could not start the exporter thread: {exc}")
                return
            self._thread = thread
            ready.wait()
            self._wake_at = self._wake_threshold

    def _poke(self) -> None:
        loop, wake = self._loop, self._wake
        if loop is None or wake is None or self._final:
            return
        self._wake_at = _NEVER  # until the thread has drained the queue
        # A RuntimeError means the loop closed under us: the exporter is stopping anyway.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(wake.set)

    def _bound(self) -> None:
        """Set the queue's bound from what waits in hand, in the buffer or flies; call under the lock."""
        ledger = self._ledger
        # All in hand but one: the span being encoded, as when spans left the queue one by one.
        held = len(self._buffer) + len(ledger.in_flight) + max(0, ledger.in_hand - 1)
        self._capacity = 0 if self._stopping else self.max_queue_size - held

    # -- flushing and stopping, from any thread ------------------------------------------------

    def request_flush(self) -> concurrent.futures.Future[None]:
        """Return a future that completes once everything queued before now was handled."""
        done: concurrent.futures.Future[None] = concurrent.futures.Future()
        ledger = self._ledger
        idle = not (self._queue or self._buffer or ledger.busy or ledger.in_hand)
        if idle or self._final:
            done.set_result(None)
            return done
        self._queue.append((MARK, done))
        self._backlog()
        self._poke()  # a thread that `_backlog` just started waits for a poke too
        return done

    def report(self, *, timed_out: bool = False) -> ExportReport:
        """Return the counters as they stand: each event in exactly one of them."""
        return self._ledger.report(timed_out=timed_out)

    def begin_stop(self) -> concurrent.futures.Future[None]:
        """Take no more events and return a future resolved once nothing is left in hand.

        The thread sends what is queued, gives up on the rest (`shutdown`), then resolves the
        future (`abandon` cuts its sends short); with no thread running, this call does it.
        """
        with self._start_lock:
            self._stopping = True
            running = self._thread is not None
        with self._ledger.lock:
            self._bound()
            self._ledger.marks_waiting += 1  # the stop holds no start back either
        if running:
            self._poke()
        elif self._finish():
            resolve(self._stopped)
        return self._stopped

    def abandon(self) -> None:
        """Cancel the sends in flight (the server hangs): their events are dropped as shutdown."""
        loop, task = self._loop, self._main_task
        if loop is not None and task is not None:
            # A RuntimeError means the loop closed under us: the thread is ending anyway.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(task.cancel)

    def _finish(self) -> bool:
        """Give up on everything left once stopping; False when another call already did."""
        ledger = self._ledger
        with ledger.lock:
            if self._final:
                return False
            # From here on a late append (its caller passed the capacity check just before the
            # stop) sweeps the queue itself (`_backlog`): nothing stays in a queue no one drains.
            self._final = True
            self._wake_at = 0
        ledger.give_up_buffered("shutdown")
        ledger.sweep("shutdown")
        return True

    # -- the exporter thread -------------------------------------------------------------------

    def _run(self, ready: threading.Event) -> bool:
        """The thread's work; True when it ended the exporter (then `_stopped` is resolved)."""
        loop: asyncio.AbstractEventLoop | None = None
        try:
            # Inside the `try`: a loop that cannot be made (no file descriptors left) must
            # still set `ready`, or the caller in `_start` would wait for ever.
            self._loop = loop = new_loop()
            self._main_task = loop.create_task(self._main(ready))
            loop.run_until_complete(self._main_task)
        except asyncio.CancelledError:
            pass
        except BaseException:
            log.exception("honeyhive: the exporter stopped on an unexpected error")
        finally:
            ready.set()
            if loop is not None:
                loop.close()
            self._loop = self._main_task = None
            # Under the lock `begin_stop` reads `_thread` with: exactly one of the two finishes.
            with self._start_lock:
                self._thread = None
                stopping = self._stopping
            if stopping:
                self._finish()
            else:
                self._wake_at = 0  # the next event starts a new thread
        return stopping

    async def _main(self, ready: threading.Event) -> None:
        self._wake = wake = asyncio.Event()
        ready.set()
        client = self._client_factory()
        sender = Sender(
            client,
            self._sanitizer,
            self._ledger,
            self._max_attempts,
            retry_window=self._retry_window,
            clock=self._retry_clock,
            sleep=self._retry_sleep,
        )
        try:
            while True:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(wake.wait(), self._interval)
                wake.clear()
                try:
                    await self._drain(sender)
                except Exception:  # a bug here must not kill the thread: the next round goes on
                    log.exception("honeyhive: unexpected error in the exporter")
                    self._ledger.busy = 0
                self._wake_at = self._wake_threshold
                if self._stopping and not self._queue and not self._buffer:
                    return
        finally:
            await client.aclose()

    def _encode_backlog(self) -> None:
        """Move what is queued to the buffer, encoding spans (payloads let go of, even mid-send)."""
        encode_backlog(
            self._queue,
            self._buffer,
            self._ledger,
            self._sanitizer,
            self._max_buffer_bytes,
            self._bound,
        )

    async def _drain(self, sender: Sender) -> None:
        send_next = partial(sender.send_next, self._take)
        args = (sender, self._ledger, self._max_batch, self._interval)
        await drain(self._encode_backlog, self._buffer, send_next, *args)

    def _take(self) -> Chunk:
        with self._ledger.lock:  # a report sees its events buffered or in flight, never neither
            chunk = take_chunk(self._buffer, self._ledger, self._max_batch, self._max_batch_bytes)
            self._bound()
        checkpoint()  # taking 500 events is a millisecond's work: let the app in (not under the lock)
        return chunk


_thread_state = threading.local()


def on_exporter_thread() -> bool:
    """Whether this code runs on an exporter's thread (in `on_drop` or a redaction hook)."""
    return getattr(_thread_state, "exporter", False)


def _thread_main(box: list[Exporter], ready: threading.Event) -> None:
    # The thread holds the exporter (and through it `on_drop` and the app) only while it
    # runs: a close that waits on `_stopped` must find nothing kept alive by this thread.
    _thread_state.exporter = True
    exporter = box.pop()
    stopped = exporter._stopped
    finished = False
    try:
        finished = exporter._run(ready)
    finally:
        del exporter
        if finished:
            resolve(stopped)


_live_exporters: weakref.WeakSet[Exporter] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    # The parent's thread did not survive the fork and its queue belongs to the parent.
    for exporter in list(_live_exporters):
        exporter._ledger.forget_at_fork()
        exporter._reset()


os.register_at_fork(after_in_child=_after_fork_in_child)
