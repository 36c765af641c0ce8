"""The exporter's ledger: where each event is, what became of it, and `on_drop`.

Every event handed to an exporter is, at any moment, in exactly one place: queued, in hand
(taken from the queue, not yet buffered), buffered (encoded, waiting for a send), in flight
(a session start being sent, an event not yet acknowledged), sent or dropped. It moves from
one place to the next under `Ledger.lock`, and `report` reads under it, so that a report
never counts an event twice or never.

The ledger also owns the end of every record (see `SpanRecord`): an event leaves the
exporter only through `acknowledge` (sent), `drop`/`give_up` (after `on_drop`),
`end_chunk` (one a bug skipped) or `forget_at_fork`, and each releases the record there.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import logging
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from typing import Any

import msgspec

from ..models import CreateEventRequest
from ._record import SpanRecord
from ._span import Session

__all__ = [
    "IN_HAND",
    "MARK",
    "NOWHERE",
    "SPAN",
    "START",
    "STARTING",
    "UPDATE",
    "Buffered",
    "DropHook",
    "ExportReport",
    "Ledger",
    "describe",
    "resolve",
    "unpack",
]

log = logging.getLogger("honeyhive_async.tracing")

# What waits in the exporter's queue, and in its buffer. The queue holds spans bare (a
# `SpanRecord`) and everything else as a (kind, item) pair: the caller's path makes no tuple
# per span (see `Exporter.enqueue_span`).
SPAN, START, UPDATE, MARK = 0, 1, 2, 3

# Where a dropped event was counted as pending until then (see `Ledger.drop`).
NOWHERE, IN_HAND, STARTING = 0, 1, 2

# What of a session waits in the buffer (see `Ledger.fold`): its update, its start, or its
# start that took in an update queued after it.
_UPDATE_WAITS, _START_WAITS, _START_FOLDED = 0, 1, 2

Buffered = tuple[int, Any, CreateEventRequest | None, int]
"""An entry of the exporter's buffer: (kind, item, the span's encoded request, its size)."""

DropHook = Callable[[str, SpanRecord | Session], None]
"""`on_drop(reason, record)`: called once for each event the exporter gives up on: the
`SpanRecord` of a span, or the `Session` whose start (or session event) failed."""

_WARN_EVERY = 10.0
"""Seconds between two warnings about dropped events."""


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


class Ledger:
    """The counts of one exporter, and the end of every event it was handed.

    Args:
        queue: The exporter's queue (read by `report` only).
        buffer: The exporter's buffer of encoded events (read by `report` only).
        on_drop: Called with each event given up on, outside the lock.
    """

    def __init__(
        self, queue: deque[Any], buffer: deque[Buffered], on_drop: DropHook | None
    ) -> None:
        self.lock = threading.Lock()
        """Held while an event moves from one place to another; `report` reads under it."""
        self._queue = queue
        self._buffer = buffer
        self._on_drop = on_drop
        # Pending events outside the queue and the buffer; changed under `lock` only.
        self.in_hand = 0
        self.starts_left = 0
        """Session starts of the chunks in flight, neither stored nor dropped yet."""
        self.in_flight: dict[str, SpanRecord | Session] = {}
        """Events of the chunks in flight not yet acknowledged, by event id (an ended
        session sent in the batch is one)."""
        self.busy: int = 0
        """Chunks on their way (a flush waits for them even when they hold no event)."""
        self.buffered_bytes = 0
        """Encoded size of what waits in the buffer (bounded by `max_buffer_bytes`)."""
        self.hold = 0.0
        """Seconds a young open session's start may wait in the buffer (see `holds`)."""
        self.hold_below = 0
        """Buffer length from which nothing is held (a round's worth, or the queue fills)."""
        self.marks_waiting = 0
        """Flush marks (and a stop) not yet taken: while one waits, no start is held back."""
        self.held = False
        """Whether the last chunk taken ended at a held start (the exporter's round ends)."""
        self._waiting: dict[int, int] = {}
        self.on_free: Callable[[], None] | None = None
        """Called under `lock` as a chunk ends: the exporter's bound counts what flies."""
        self.open_started: set[str] = set()
        """Sessions started while running whose close has not left the buffer: their update
        passes a full queue (dropping it would lose their end; at most one per running session)."""
        """Sessions (by `id`) whose start or update waits in the buffer: see `fold`."""
        self._sent = 0
        self._retried = 0
        self._failed_updates = 0
        self._dropped: Counter[str] = Counter()
        self._last_warning = 0.0
        self._suppressed = 0

    def report(self, *, timed_out: bool = False) -> ExportReport:
        """Return the counters as they stand: each event in exactly one of them."""
        with self.lock:
            queued = sum(1 for item in list(self._queue) if _is_event(item))
            buffered = sum(1 for entry in list(self._buffer) if entry[0] in (SPAN, START))
            pending = queued + buffered + self.in_hand + len(self.in_flight) + self.starts_left
            return ExportReport(
                sent=self._sent,
                dropped=dict(self._dropped),
                pending=pending,
                retried=self._retried,
                failed_updates=self._failed_updates,
                timed_out=timed_out,
            )

    # -- what became of an event ---------------------------------------------------------------

    def retried(self, events: int) -> None:
        """Count `events` sent again (called by the one thread that sends)."""
        self._retried += events

    def start_stored(self) -> None:
        """Count a session start of the chunk in flight as sent."""
        with self.lock:
            self._sent += 1
            self.starts_left -= 1

    def acknowledge(self, event_ids: Iterable[str]) -> None:
        """Count the events in flight with these ids as sent, and release their records."""
        with self.lock:
            pop = self.in_flight.pop
            done = [record for event_id in event_ids if (record := pop(event_id, None)) is not None]
            self._sent += len(done)
        _release(done)

    def give_up(self, reason: str, event_ids: Iterable[str], exc: BaseException) -> None:
        """Drop the events in flight with these ids (one warning for all of them)."""
        with self.lock:
            records = [self.in_flight.pop(event_id, None) for event_id in event_ids]
            lost = [record for record in records if record is not None]
            self._dropped[reason] += len(lost)
        if lost:
            self.warn(f"giving up on {len(lost)} events ({reason}): {describe(exc)}")
        for record in lost:
            self.warn(f"dropped an event ({reason})")
            self._settle_dropped(reason, record)

    def end_chunk(self, event_ids: Iterable[str] | None = None, starts: int | None = None) -> None:
        """Mark a chunk done: every event of it was acknowledged or given up on.

        Args:
            event_ids: The chunk's events; None for every event in flight.
            starts: The chunk's session starts neither stored nor dropped (none, unless a
                bug skipped one); None for every start in flight.
        """
        with self.lock:
            self.busy = max(0, self.busy - 1)
            if event_ids is None:
                left, self.in_flight = list(self.in_flight.values()), {}
            else:
                pop = self.in_flight.pop
                left = [r for event_id in event_ids if (r := pop(event_id, None)) is not None]
            self.starts_left = 0 if starts is None else self.starts_left - starts
            if self.on_free is not None:
                self.on_free()  # before the flush waiting on this chunk returns
        _release(left)  # none, unless a bug skipped one: still let it go

    def drop(self, reason: str, item: SpanRecord | Session, held: int = NOWHERE) -> None:
        """Count `item` as dropped, no longer pending where it was `held`; call `on_drop`."""
        with self.lock:
            self._dropped[reason] += 1
            if held == IN_HAND:
                self.in_hand -= 1
            elif held == STARTING:
                self.starts_left -= 1
        self.warn(f"dropped an event ({reason})")
        self._settle_dropped(reason, item)

    def failed_update(
        self, reason: str, session: Session, exc: BaseException | None = None
    ) -> None:
        """Count a session update that could not be delivered, and say why."""
        with self.lock:
            self._failed_updates += 1
        detail = reason if exc is None else describe(exc)
        self.warn(f"could not update session {session.event_id} ({reason}): {detail}")

    def give_up_item(self, reason: str, kind: int, item: Any, held: int = NOWHERE) -> None:
        """Give up on a queue item: drop an event, fail an update, or complete a flush mark."""
        if kind == MARK:
            resolve(item)
        elif kind == UPDATE:
            self.failed_update(reason, item)
        else:
            self.drop(reason, item, held)

    # -- session work waiting in the buffer (the exporter thread, under `lock`) -----------------

    def fold(self, kind: int, session: Session) -> bool:
        """Whether a session's `kind` item leaving the queue is covered by one in the buffer.

        A start or update reads the session when it is sent, so one still waiting in the
        buffer will carry every change made before this item was queued: an update then
        needs no request of its own (an enrich after the close still wins, since it was
        made before that read). Call under `lock` as the item leaves the queue; False means
        buffer it.
        """
        if kind == MARK:
            self.marks_waiting += 1
            return False
        key = id(session)
        waiting = self._waiting.get(key)
        if kind == START:
            self._waiting[key] = _START_WAITS
            return False
        if waiting is None:
            self._waiting[key] = _UPDATE_WAITS
            return False
        if waiting == _START_WAITS:
            self._waiting[key] = _START_FOLDED
        return True

    def hold_from(self) -> float:
        """The `perf_counter` time after which a session opened and still open is held."""
        if self.hold and not self.marks_waiting:
            return time.perf_counter() - self.hold
        return float("inf")

    def holds(self, entry: Buffered, young: float) -> bool:
        """Whether a chunk ends before `entry`: the start of a session opened after `young`.

        Only a session still open is held: left in the buffer, it most likely ends before a
        later round, and its start then goes in that round's batch as one ended-session
        event, where sent now it costs a start and a closing update: two requests of their
        own (issue 14). Sent all the same once `hold` seconds old (a round later, or two), or
        when `hold_below` entries from it to the buffer's end would make a batch or fill the
        queue's bound (that session alone then costs the two requests).
        """
        kind, item = entry[0], entry[1]
        self.held = (
            kind == START
            and item._t0 > young
            and not item.ended
            and len(self._buffer) < self.hold_below
        )
        return self.held

    def unfold(self, session: Session) -> bool:
        """The session's item leaves the buffer; return whether an update was folded into it."""
        return self._waiting.pop(id(session), None) == _START_FOLDED

    def sweep(self, reason: str) -> None:
        """Give up on what is queued, one item at a time (late appends may race with it)."""
        while True:
            with self.lock:
                try:
                    kind, item = unpack(self._queue.popleft())
                except IndexError:
                    return
                if kind in (SPAN, START):
                    self.in_hand += 1
            self.give_up_item(reason, kind, item, IN_HAND)

    def give_up_buffered(self, reason: str) -> None:
        """Give up on everything in the buffer (the exporter stops)."""
        with self.lock:
            left = [(kind, item) for kind, item, _, _ in self._buffer]
            self._buffer.clear()
            self._waiting.clear()  # a start given up on takes what was folded into it along
            self.buffered_bytes = 0
            self.in_hand += sum(1 for kind, _ in left if kind in (SPAN, START))
        for kind, item in left:
            self.give_up_item(reason, kind, item, IN_HAND)

    def forget_at_fork(self) -> None:
        """In a forked child: let go of the parent's records, uncounted (the child starts anew).

        Not under `lock`: a thread of the parent may have held it at the fork.
        """
        for item in self._queue:
            kind, record = unpack(item)
            if kind == SPAN:
                record.release()
        for kind, item, _, _ in self._buffer:
            if kind == SPAN:
                item.release()

    def session_dropped(self, session: Session) -> bool:
        """Whether `session` was given up on (marked on the session: no memory kept here)."""
        return session._dropped

    def _settle_dropped(self, reason: str, item: SpanRecord | Session) -> None:
        if type(item) is Session:
            item._dropped = True
        if self._on_drop is not None:
            try:
                self._on_drop(reason, item)
            except Exception:
                log.exception("honeyhive: the on_drop callback raised")
        if type(item) is SpanRecord:
            # Untracked, it must not keep a cycle through the caller's values alive in a
            # handler's list (a session stays whole: its running spans still point at it).
            item.release()

    def warn(self, message: str) -> None:
        """Log a warning, at most one per `_WARN_EVERY` seconds (a dead API must not flood logs)."""
        now = time.monotonic()
        if now - self._last_warning >= _WARN_EVERY:
            extra = f" ({self._suppressed} similar since the last one)" if self._suppressed else ""
            log.warning("honeyhive: %s%s", message, extra)
            self._last_warning = now
            self._suppressed = 0
        else:
            self._suppressed += 1


def _release(items: list[SpanRecord | Session]) -> None:
    """Let go of what settled events hold (a session stays whole: its spans point at it)."""
    for item in items:
        if type(item) is SpanRecord:
            item.release()


def describe(exc: BaseException) -> str:
    """An exception as a log line reads it: a cancellation has no message of its own."""
    return str(exc) or type(exc).__name__


def resolve(mark: concurrent.futures.Future[None]) -> None:
    """Complete a flush mark unless it is done already (or cancelled by a waiter that gave up)."""
    # A flush that timed out cancels its future; resolving it then must not raise.
    with contextlib.suppress(concurrent.futures.InvalidStateError):
        if not mark.done():
            mark.set_result(None)


def unpack(item: Any) -> tuple[int, Any]:
    """A queue item as (kind, item): spans go in bare (see `Exporter.enqueue_span`)."""
    return item if type(item) is tuple else (SPAN, item)


def _is_event(item: Any) -> bool:
    """Spans and session starts are events; session updates and flush marks are not."""
    return type(item) is not tuple or item[0] == START
