"""The background exporter: a daemon thread with its own event loop and its own client.

The traced call only appends to a deque (no I/O, no lock, no wait). The thread drains it in
batches to `POST /v1/events/batch`, makes every field JSON-safe there, and accounts for every
event: sent, dropped (by reason), or still pending.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import linecache
import logging
import os
import threading
import time
import weakref
from collections import Counter, deque
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

import msgspec
from msgspec import UNSET
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from .._retry import backoff_delay
from ..errors import (
    APIConnectionError,
    APIStatusError,
    HoneyHiveError,
    MissingAPIKeyError,
    PartialBatchError,
)
from ..models import CreateEventRequest
from ._capture import Sanitizer, repair_text, wrap_output
from ._ids import format_id
from ._span import Session, Span, wall_offset

if TYPE_CHECKING:
    from .._client import AsyncHoneyHive

__all__ = ["ExportReport", "Exporter"]

log = logging.getLogger("honeyhive_async.tracing")

_SPAN, _START, _UPDATE, _MARK = 0, 1, 2, 3
# Where a dropped event was counted as pending until then (see `_drop`).
_NOWHERE, _IN_HAND, _STARTING, _UNACKED = 0, 1, 2, 3
_NEVER = 1 << 62
_EVENT_OVERHEAD = 400
"""Approximate encoded bytes of an event beyond its captured fields."""
_EMPTY_OBJECT: Any = msgspec.Raw(b"{}")  # stands in for an empty inputs dict
_encoder = msgspec.json.Encoder()
_WARN_EVERY = 10.0
"""Seconds between two warnings about dropped events."""

DropHook = Callable[[str, Span], None]
"""`on_drop(reason, span)`: called once for each event the exporter gives up on."""


class ExportReport(msgspec.Struct, kw_only=True):
    """What became of the events handed to a tracer (totals since it started)."""

    sent: int
    """Events the server acknowledged (sessions included)."""
    dropped: dict[str, int]
    """Events given up on, by reason: queue_full, rejected_<status>, export_failed, ..."""
    pending: int
    """Events queued or in flight when the report was made."""
    retried: int
    """Events sent again after a failed or partial attempt."""
    failed_updates: int = 0
    """Session updates (closing outputs, enrichments) that could not be delivered."""
    timed_out: bool = False
    """True when a flush returned at its timeout with events still pending."""

    @property
    def dropped_total(self) -> int:
        """All dropped events, whatever the reason."""
        return sum(self.dropped.values())


def _transient(exc: BaseException) -> bool:
    if isinstance(exc, (APIConnectionError, PartialBatchError)):
        return True
    if isinstance(exc, APIStatusError):
        return exc.status in (408, 429) or exc.status >= 500
    return False


def _wait(state: RetryCallState) -> float:
    exc = state.outcome.exception() if state.outcome is not None else None
    if isinstance(exc, APIStatusError) and exc.retry_after is not None:
        return min(exc.retry_after, 60.0)
    return backoff_delay(state.attempt_number)


class Exporter:
    """Ships finished spans and session starts/updates in background batches."""

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
        max_attempts: int = 4,
        on_drop: DropHook | None = None,
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
        self._on_drop = on_drop
        self._start_lock = threading.Lock()
        # Guards the counters: an event moves from one pending place to sent or dropped under
        # it, and `report` reads under it, so a report never counts an event twice or never.
        self._count_lock = threading.Lock()
        self._reset()
        _live_exporters.add(self)

    def _reset(self) -> None:
        # Spans go in as they are; sessions and flush marks as (kind, item) tuples.
        self._queue: deque[Any] = deque()
        self._capacity = self.max_queue_size
        # The queue length at which the caller's side acts: 0 while no thread runs (the next
        # span starts one), then a batch's worth (wake the thread), then never until it drained.
        self._wake_at = 0
        self._wake_threshold = max(1, min(self._max_batch, self.max_queue_size // 2))
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._stopping = False
        # Set once the exporter has given up on what was left at its stop: from then on a
        # late append is swept by its own caller (see `_backlog`).
        self._final = False
        self._stopped: concurrent.futures.Future[None] = concurrent.futures.Future()
        # Encoded spans (and session work, flush marks) waiting for a send, in queue order.
        self._ready: deque[tuple[int, Any, CreateEventRequest | None, int]] = deque()
        self._ready_bytes = 0
        self._busy = False
        self._in_hand = 0
        self._starts_left = 0
        self._unacked: set[str] = set()
        self._main_task: asyncio.Task[None] | None = None
        self._sent = 0
        self._retried = 0
        self._failed_updates = 0
        self._dropped: Counter[str] = Counter()
        self._last_warning = 0.0
        self._suppressed = 0

    # -- the caller's side: cheap, never blocks, never raises --------------------------------

    def enqueue_span(self, span: Span) -> None:
        """Queue a finished span; drop it (counted) when the queue is full."""
        queue = self._queue
        size = len(queue)
        # The bound covers what waits encoded for a send too: the count holds when it is down.
        if size + len(self._ready) >= self._capacity:
            self._drop("tracer_closed" if self._stopping else "queue_full", span)
            return
        queue.append(span)
        if size >= self._wake_at:
            self._backlog()

    def _backlog(self) -> None:
        thread = self._thread
        if self._stopping:
            if self._final:
                self._sweep("tracer_closed")  # closed: no thread will drain it (see `_finish`)
            return
        if thread is None or not thread.is_alive():
            self._start()
        else:
            self._poke()

    def enqueue_session_start(self, session: Session) -> None:
        """Queue `POST /v1/sessions` for a session; it counts against the queue bound."""
        queue = self._queue
        size = len(queue)
        if size + len(self._ready) >= self._capacity:
            self._drop("tracer_closed" if self._stopping else "queue_full", session)
            return
        queue.append((_START, session))
        if size >= self._wake_at:
            self._backlog()

    def enqueue_session_update(self, session: Session) -> None:
        """Queue the `PUT /v1/events/{session_id}` that closes or enriches a session."""
        queue = self._queue
        size = len(queue)
        if size + len(self._ready) >= self._capacity:
            self._failed_update("tracer_closed" if self._stopping else "queue_full", session)
            return
        queue.append((_UPDATE, session))
        if size >= self._wake_at:
            self._backlog()

    def _failed_update(
        self, reason: str, session: Session, exc: BaseException | None = None
    ) -> None:
        with self._count_lock:
            self._failed_updates += 1
        detail = reason if exc is None else _describe(exc)
        self._warn(f"could not update session {session.event_id} ({reason}): {detail}")

    def _warn(self, message: str) -> None:
        """Log a warning, at most one per `_WARN_EVERY` seconds (a dead API must not flood logs)."""
        now = time.monotonic()
        if now - self._last_warning >= _WARN_EVERY:
            extra = f" ({self._suppressed} similar since the last one)" if self._suppressed else ""
            log.warning("honeyhive: %s%s", message, extra)
            self._last_warning = now
            self._suppressed = 0
        else:
            self._suppressed += 1

    def _drop(self, reason: str, span: Span, held: int = _NOWHERE) -> None:
        """Count `span` as dropped, no longer pending where it was `held`; call `on_drop`."""
        with self._count_lock:
            self._dropped[reason] += 1
            if held == _IN_HAND:
                self._in_hand -= 1
            elif held == _STARTING:
                self._starts_left -= 1
            elif held == _UNACKED:
                self._unacked.discard(span.event_id)
        self._warn(f"dropped an event ({reason})")
        if self._on_drop is not None:
            try:
                self._on_drop(reason, span)
            except Exception:
                log.exception("honeyhive: the on_drop callback raised")
        if not isinstance(span, Session):
            # The queued copy is not GC-tracked: a cycle through the caller's values must not
            # outlive it (a session stays whole: its spans still point at it).
            span._release()

    def _start(self) -> None:
        with self._start_lock:
            current = self._thread
            if current is not None and current.is_alive():
                return
            if self._stopping:
                return
            ready = threading.Event()
            thread = threading.Thread(
                target=_thread_main, args=([self], ready), name="honeyhive-exporter", daemon=True
            )
            try:
                thread.start()
            except RuntimeError as exc:  # thread limit, interpreter shutting down, ...
                # The events stay queued (pending); the next batch's worth tries again.
                self._warn(f"could not start the exporter thread: {exc}")
                return
            self._thread = thread
            ready.wait()
            self._wake_at = self._wake_threshold

    def _poke(self) -> None:
        loop, wake = self._loop, self._wake
        if loop is None or wake is None or self._final:
            return
        self._wake_at = _NEVER
        # A RuntimeError means the loop closed under us: the exporter is stopping anyway.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(wake.set)

    # -- flushing and stopping, from any thread ------------------------------------------------

    def request_flush(self) -> concurrent.futures.Future[None]:
        """Return a future that completes once everything queued before now was handled."""
        done: concurrent.futures.Future[None] = concurrent.futures.Future()
        idle = not (self._queue or self._ready or self._busy or self._in_hand)
        if idle or self._final:
            done.set_result(None)
            return done
        self._queue.append((_MARK, done))
        self._backlog()
        self._poke()  # a thread that `_backlog` just started waits for a poke too
        return done

    def report(self, *, timed_out: bool = False) -> ExportReport:
        """Return the counters as they stand: each event in exactly one of them."""
        with self._count_lock:
            queued = sum(1 for item in list(self._queue) if _is_event(item))
            ready = sum(1 for item in list(self._ready) if item[0] in (_SPAN, _START))
            pending = queued + ready + self._in_hand + len(self._unacked) + self._starts_left
            return ExportReport(
                sent=self._sent,
                dropped=dict(self._dropped),
                pending=pending,
                retried=self._retried,
                failed_updates=self._failed_updates,
                timed_out=timed_out,
            )

    def begin_stop(self) -> concurrent.futures.Future[None]:
        """Take no more events and return a future resolved once nothing is left in hand.

        The thread sends what is queued, then gives up on the rest (`shutdown`) and resolves
        the future; `abandon` cuts its in-flight sends short. Without a running thread the
        rest is given up on here and the future is already resolved.
        """
        with self._start_lock:
            self._stopping = True
            self._capacity = 0
            running = self._thread is not None
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
        with self._count_lock:
            if self._final:
                return False
            # From here on a late append (a caller that passed the capacity check just before
            # the stop) sweeps the queue itself (see `_backlog`): nothing stays pending in a
            # queue no one drains.
            self._final = True
            self._wake_at = 0
            left = [(item[0], item[1]) for item in self._ready]
            self._ready.clear()
            self._ready_bytes = 0
            self._in_hand += sum(1 for kind, _ in left if kind in (_SPAN, _START))
        for kind, item in left:
            self._give_up_item("shutdown", kind, item)
        self._sweep("shutdown")
        return True

    def _sweep(self, reason: str) -> None:
        """Give up on what is queued, one item at a time (late appends may race with it)."""
        while True:
            with self._count_lock:
                try:
                    item = self._queue.popleft()
                except IndexError:
                    return
                kind, obj = item if type(item) is tuple else (_SPAN, item)
                if kind in (_SPAN, _START):
                    self._in_hand += 1
            self._give_up_item(reason, kind, obj)

    def _give_up_item(self, reason: str, kind: int, item: Any) -> None:
        """Give up on an item taken in hand (`_in_hand` counts it if it is an event)."""
        if kind == _MARK:
            resolve(item)
        elif kind == _UPDATE:
            self._failed_update(reason, item)
        else:
            self._drop(reason, item, _IN_HAND)

    # -- the exporter thread -------------------------------------------------------------------

    def _run(self, ready: threading.Event) -> bool:
        """The thread's work; True when it ended the exporter (then `_stopped` is resolved)."""
        loop: asyncio.AbstractEventLoop | None = None
        try:
            # Inside the `try`: a loop that cannot be made (no file descriptors left) must
            # still set `ready`, or the caller in `_start` would wait for ever.
            self._loop = loop = asyncio.new_event_loop()
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
            self._loop = None
            self._main_task = None
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
        try:
            while True:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(wake.wait(), self._interval)
                wake.clear()
                try:
                    await self._drain(client)
                except Exception:
                    # Never let a bug here kill the thread: the next round goes on.
                    log.exception("honeyhive: unexpected error in the exporter")
                    self._busy = False
                self._wake_at = self._wake_threshold
                if self._stopping and not self._queue and not self._ready:
                    return
        finally:
            await client.aclose()

    def _encode_backlog(self) -> None:
        """Move everything queued to the ready buffer, encoding spans and freeing their payloads.

        This runs while sends are slow or failing too, so the references a span holds on the
        caller's values are let go early and the ready buffer's byte bound holds.
        """
        queue, ready, lock = self._queue, self._ready, self._count_lock
        encoded = 0
        offset = wall_offset()
        done: tuple[int, Any, CreateEventRequest, int] | None = None  # encoded, still in hand
        while True:
            # One lock a span: the one encoded goes to `_ready` and the next leaves the queue
            # into hand, each in one step as `report` sees it (and in queue order).
            with lock:
                if done is not None:
                    ready.append(done)
                    self._ready_bytes += done[3]
                    self._in_hand -= 1
                    done = None
                try:
                    item = queue.popleft()
                except IndexError:
                    return
                if type(item) is tuple:
                    kind, obj = item
                    ready.append((kind, obj, None, 0))
                    continue
                self._in_hand += 1
            try:
                request, size = self._event_request(item, offset)
            except Exception:
                log.exception("honeyhive: could not encode event %s", item.event_id)
                self._drop("encode_failed", item, _IN_HAND)
                continue
            if self._ready_bytes + size > self._max_buffer_bytes:
                self._drop("buffer_full", item, _IN_HAND)
                continue
            item._release(everything=False)  # enriched fields stay for on_drop
            done = (_SPAN, item, request, size)
            encoded += 1
            if encoded % 64 == 0:
                # Let the application's threads have the GIL between slices of work.
                time.sleep(0)

    def _next_chunk(self) -> _Chunk:
        chunk = _Chunk()
        ready = self._ready
        size = 0
        # Under the lock: a report sees the chunk's events in `_ready` or in flight, never in
        # neither place; `_busy` tells a flush that a chunk is on its way.
        with self._count_lock:
            self._busy = True
            while ready and len(chunk.events) < self._max_batch and size < self._max_batch_bytes:
                kind, obj, request, item_size = ready.popleft()
                if request is not None:  # a span
                    chunk.events.append(request)
                    chunk.spans.append(obj)
                    size += item_size
                    self._ready_bytes -= item_size
                elif kind == _START:
                    chunk.starts.append(obj)
                elif kind == _UPDATE:
                    chunk.updates.append(obj)
                else:
                    chunk.marks.append(obj)
                    break
            self._starts_left = len(chunk.starts)
            self._unacked = {request.event_id for request in chunk.events if request.event_id}
        return chunk

    async def _drain(self, client: AsyncHoneyHive) -> None:
        while True:
            self._encode_backlog()
            if not self._ready:
                return
            chunk = self._next_chunk()
            marks = chunk.marks
            sending = asyncio.ensure_future(self._send_chunk(client, chunk))
            del chunk  # `_send_chunk` lets go of it: a flush must find nothing held here
            try:
                while not sending.done():
                    await asyncio.wait({sending}, timeout=0.05)
                    self._encode_backlog()
            except asyncio.CancelledError:
                sending.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sending
                raise
            finally:
                for mark in marks:
                    resolve(mark)

    async def _send_chunk(self, client: AsyncHoneyHive, chunk: _Chunk) -> None:
        starts, events, spans, updates = chunk.starts, chunk.events, chunk.spans, chunk.updates
        started: set[int] = set()
        updated: set[int] = set()
        try:
            # Sessions are independent of each other: send them concurrently, a few at a time.
            await _gather_limited(
                [self._send_start(client, session, started) for session in starts]
            )
            if events:
                await self._send_events(client, events, spans)
            await _gather_limited(
                [self._send_update(client, session, updated) for session in updates]
            )
        except BaseException as exc:
            reason = "shutdown" if isinstance(exc, asyncio.CancelledError) else "internal_error"
            if reason == "internal_error":
                log.exception("honeyhive: unexpected error while exporting")
            for session in starts:
                if id(session) not in started:
                    self._drop(reason, session, _STARTING)
            for session in updates:
                if id(session) not in updated:
                    self._failed_update(reason, session)
            self._give_up(reason, [e for e in events if e.event_id in self._unacked], spans, exc)
            if reason == "shutdown":
                raise
        finally:
            # Every span of the chunk is sent or dropped (on_drop has seen it) by now: let go
            # of what they hold before a flush that waits on this chunk returns.
            for span in spans:
                span._release()
            with self._count_lock:
                self._busy = False
                self._starts_left = 0
                self._unacked = set()

    def _raw(self, name: str, value: Any, absent: Any = None) -> Any:
        # Raw JSON stands in for a dict field when the request is encoded.
        return absent if value is None else self._sanitizer.field(name, value)

    def _event_request(self, span: Span, wall_offset: float) -> tuple[CreateEventRequest, int]:
        """The span as a request, and its approximate encoded size for the buffer's bound."""
        # The hottest code of the exporter thread: it competes with the application for the
        # GIL, so the common span (arguments bound by @trace, nothing enriched) takes the
        # shortest way. Raw JSON stands in for the dict fields (typed Any for that reason).
        field: Callable[[str, Any], Any] = self._sanitizer.field
        inputs = span.bound_inputs()
        if inputs is None and self._sanitizer.redact is None:
            raw_inputs = _EMPTY_OBJECT
        else:  # a redaction hook sees every field, an empty one too
            raw_inputs = field("inputs", {} if inputs is None else inputs)
        size = _EVENT_OVERHEAD + len(raw_inputs)
        outputs = span.outputs
        raw_outputs: Any = None
        if outputs is not None:
            raw_outputs = field("outputs", wrap_output(outputs))
            size += len(raw_outputs)
        t0 = span._t0
        start = (t0 + wall_offset) * 1e3
        duration = (span._t1 - t0) * 1e3
        session = span.session
        session_id = session.event_id
        parent = span._parent
        children = span._children
        request = CreateEventRequest(
            event_type=span.event_type,
            inputs=raw_inputs,
            event_id=format_id(span._id),
            session_id=session_id,
            parent_id=session_id if parent is None else format_id(parent),
            children_ids=None if children is None else [format_id(child) for child in children],
            event_name=span.event_name,
            source=session.source,
            outputs=raw_outputs,
            start_time=start,
            end_time=start + duration,
            duration=duration,
        )
        extra = span._extra
        if extra is not None:
            size += self._add_extra(request, extra)
        return request, size

    def _add_extra(self, request: CreateEventRequest, extra: dict[str, Any]) -> int:
        """Set the rarely used fields a span was enriched with; return their encoded size."""
        field: Callable[[str, Any], Any] = self._sanitizer.field
        size = 0
        metadata = extra.get("metadata")
        frames = extra.get("_traceback")
        if frames is not None:
            metadata = {**(metadata or {}), "error_traceback": _frames(frames)}
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
            request.error = self._sanitizer.text("error", error)
        return size

    def _retrying(self) -> AsyncRetrying:
        return AsyncRetrying(
            stop=stop_after_attempt(self._max_attempts),
            wait=_wait,
            retry=retry_if_exception(_transient),
            reraise=True,
        )

    async def _send_events(
        self, client: AsyncHoneyHive, events: list[CreateEventRequest], spans: list[Span]
    ) -> None:
        pending = events
        try:
            async for attempt in self._retrying():
                with attempt:
                    if attempt.retry_state.attempt_number > 1:
                        self._retried += len(pending)
                    try:
                        await client.events.create_batch(pending)
                    except PartialBatchError as exc:
                        self._acknowledge(pending, exc.uncreated)
                        pending = exc.uncreated
                        if pending:
                            raise
            self._acknowledge(pending, [])
        except APIStatusError as exc:
            if exc.status == 413 and len(pending) > 1:
                # Too large for the server: halve until it fits.
                half = len(pending) // 2
                await self._send_events(client, pending[:half], spans)
                await self._send_events(client, pending[half:], spans)
                return
            reason = "export_failed" if _transient(exc) else f"rejected_{exc.status}"
            self._give_up(reason, pending, spans, exc)
        except (UnicodeEncodeError, msgspec.EncodeError):
            # Text that is not UTF-8 (a lone surrogate from `os.fsdecode`) in a name or an
            # error: repair it, so that one bad string never costs the batch.
            pending = self._encodable(pending, spans)
            if pending:
                await self._send_events(client, pending, spans)
        except MissingAPIKeyError as exc:
            self._give_up("missing_api_key", pending, spans, exc)
        except HoneyHiveError as exc:  # connection failures, a decode error
            self._give_up("export_failed", pending, spans, exc)

    def _encodable(
        self, pending: list[CreateEventRequest], spans: list[Span]
    ) -> list[CreateEventRequest]:
        """Return the events that encode once their text is repaired; drop the others alone."""
        kept: list[CreateEventRequest] = []
        for request in pending:
            try:
                _repair_request(request)
                _encoder.encode(request)
            except Exception as exc:
                self._give_up("encode_failed", [request], spans, exc)
                continue
            kept.append(request)
        return kept

    def _acknowledge(
        self, pending: list[CreateEventRequest], uncreated: list[CreateEventRequest]
    ) -> None:
        left = {request.event_id for request in uncreated}
        done = {request.event_id for request in pending} - left
        with self._count_lock:
            self._sent += len(done)
            self._unacked -= done

    def _give_up(
        self,
        reason: str,
        pending: list[CreateEventRequest],
        spans: list[Span],
        exc: BaseException,
    ) -> None:
        if not pending:
            return
        self._warn(f"giving up on {len(pending)} events ({reason}): {_describe(exc)}")
        lost = {request.event_id for request in pending}
        for span in spans:
            if span.event_id in lost:
                self._drop(reason, span, _UNACKED)

    async def _send_start(self, client: AsyncHoneyHive, session: Session, done: set[int]) -> None:
        raw = self._raw
        # Sanitized once: a retried start sends the same bytes. The start is idempotent (the
        # tracer made the session id), so a retry after a lost answer makes no second session.
        fields = {
            "inputs": raw("inputs", session.inputs),
            "config": raw("config", session.config),
            "metadata": raw("metadata", session.metadata),
            "user_properties": raw("user_properties", session.user_properties),
        }
        reached = False  # whether an attempt may have reached the server before it failed
        try:
            async for attempt in self._retrying():
                with attempt:
                    if attempt.retry_state.attempt_number > 1:
                        self._retried += 1
                    try:
                        await client.session.start(
                            session_id=session.event_id,
                            session_name=_text(session.session_name),
                            source=_text(session.source),
                            start_time=session.start_time,
                            **fields,
                        )
                    except HoneyHiveError as exc:
                        reached = reached or _may_have_acted(exc)
                        raise
            stored = True
        except Exception as exc:  # anything else is a bug here: it must not cost the chunk
            stored = reached and await self._has_session(client, session)
            if not stored:
                self._warn(f"could not start session {session.event_id}: {_describe(exc)}")
                self._drop("session_start_failed", session, _STARTING)
        if stored:
            with self._count_lock:
                self._sent += 1
                self._starts_left -= 1
        # Not in a `finally`: a start cancelled in flight is neither sent nor dropped here,
        # `_send_chunk` counts it as shutdown.
        done.add(id(session))

    async def _has_session(self, client: AsyncHoneyHive, session: Session) -> bool:
        """After a start whose answer was lost, ask the server whether it has the session."""
        try:
            await client.session.get(session.event_id)
        except HoneyHiveError:
            return False
        return True

    async def _send_update(self, client: AsyncHoneyHive, session: Session, done: set[int]) -> None:
        raw = self._raw
        outputs = session.outputs
        fields = {
            "outputs": UNSET if outputs is None else raw("outputs", wrap_output(outputs)),
            "metadata": raw("metadata", session.metadata, UNSET),
            "metrics": raw("metrics", session.metrics, UNSET),
            "feedback": raw("feedback", session.feedback, UNSET),
            "config": raw("config", session.config, UNSET),
            "user_properties": raw("user_properties", session.user_properties, UNSET),
            "children_ids": session.children_ids or UNSET,
            "end_time": UNSET if session.end_time is None else session.end_time,
            "duration": UNSET if session.duration is None else session.duration,
        }
        try:
            async for attempt in self._retrying():
                with attempt:
                    await client.events.update(session.event_id, **fields)
        except Exception as exc:  # a bug here must not cost the chunk either
            self._failed_update("rejected", session, exc)
        finally:
            done.add(id(session))


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


class _Chunk:
    """One round of sends: session starts, then one batch of events, then session updates."""

    __slots__ = ("events", "marks", "spans", "starts", "updates")

    def __init__(self) -> None:
        self.starts: list[Session] = []
        self.events: list[CreateEventRequest] = []
        self.spans: list[Span] = []
        self.updates: list[Session] = []
        self.marks: list[concurrent.futures.Future[None]] = []


_SESSION_CONCURRENCY = 8


async def _gather_limited(jobs: list[Coroutine[Any, Any, None]]) -> None:
    if not jobs:
        return
    gate = asyncio.Semaphore(_SESSION_CONCURRENCY)

    async def run(job: Coroutine[Any, Any, None]) -> None:
        async with gate:
            await job

    await asyncio.gather(*(run(job) for job in jobs))


def resolve(mark: concurrent.futures.Future[None]) -> None:
    """Complete `mark` unless it is done already (or was cancelled by a waiter that gave up)."""
    # A flush that timed out cancels its future; resolving it then must not raise.
    with contextlib.suppress(concurrent.futures.InvalidStateError):
        if not mark.done():
            mark.set_result(None)


def _frames(frames: list[tuple[str, int, str]]) -> list[dict[str, Any]]:
    return [
        {"filename": f, "lineno": n, "name": name, "line": linecache.getline(f, n).strip()}
        for f, n, name in frames
    ]


def _repair_request(request: CreateEventRequest) -> None:
    for name in request.__struct_fields__:
        value = getattr(request, name)
        if type(value) is list:
            setattr(request, name, [_text(v) for v in value])
        else:
            setattr(request, name, _text(value))


def _text(value: Any) -> Any:
    """A name as the server can take it: text repaired, anything else left to the encoder."""
    return repair_text(value) if type(value) is str else value


def _may_have_acted(exc: HoneyHiveError) -> bool:
    """Whether the server may have done what a failed request asked (its answer was lost)."""
    if isinstance(exc, APIConnectionError):
        return exc.request_sent
    return isinstance(exc, APIStatusError) and exc.status >= 500


def _describe(exc: BaseException) -> str:
    """An exception as a log line reads it: a cancellation has no message of its own."""
    return str(exc) or type(exc).__name__


def _is_event(item: Any) -> bool:
    """Spans and session starts are events; session updates and flush marks are not."""
    return type(item) is not tuple or item[0] == _START


_live_exporters: weakref.WeakSet[Exporter] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    # The parent's thread did not survive the fork and its queue belongs to the parent.
    for exporter in list(_live_exporters):
        for item in exporter._queue:
            if type(item) is not tuple:
                item._release()  # not GC-tracked: let go of the caller's values before we forget it
        exporter._start_lock = threading.Lock()
        exporter._count_lock = threading.Lock()
        exporter._reset()


os.register_at_fork(after_in_child=_after_fork_in_child)
