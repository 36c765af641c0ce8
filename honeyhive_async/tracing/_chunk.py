"""A chunk of the exporter's buffer (`take_chunk`), and what sending one needs to name its events."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections import deque
from collections.abc import Callable, Coroutine, Iterable
from typing import Any, Protocol

from ..models import CreateEventRequest
from ._encode import EVENT_OVERHEAD
from ._ledger import MARK, START, UPDATE, Buffered, Ledger
from ._record import SpanRecord
from ._span import Session

__all__ = [
    "ACTIVE_CHUNKS",
    "CHUNKS_IN_FLIGHT",
    "BackingOff",
    "Chunk",
    "chunk_ids",
    "drain",
    "event_ids",
    "forget_traceback",
    "log_failure",
    "take_chunk",
]

log = logging.getLogger("honeyhive_async.tracing")

CHUNKS_IN_FLIGHT = 8
"""Chunks on their way at once: one backing off (for up to a minute) holds up no other."""
ACTIVE_CHUNKS = 2
"""Chunks on their way at once not counting those backing off: the next chunk's session starts
go out while a batch is sent; more would take sessions before they end (a start and an update
each, where an ended one rides in the batch)."""


class BackingOff(Protocol):
    """What tells `drain` how many requests wait out a backoff (`Sender`)."""

    backing_off: int


class Holding(Protocol):
    """What tells `drain` the last chunk ended at a held session start (`Ledger`)."""

    held: bool


class Chunk:
    """One round of sends: session starts, then one batch of events and session updates.

    The records of its events (its ended sessions too) wait in the ledger
    (`Ledger.in_flight`) until acknowledged.
    """

    __slots__ = ("ended", "events", "folded", "marks", "starts", "updates")

    def __init__(self) -> None:
        self.starts: list[Session] = []
        self.folded: set[int] = set()
        """The starts (by `id`) that took in an update queued after them (`Ledger.fold`)."""
        self.ended: list[Session] = []
        """Sessions ended before their start was sent: they go first in the batch."""
        self.events: list[CreateEventRequest] = []
        self.updates: list[Session] = []
        self.marks: list[concurrent.futures.Future[None]] = []


def take_chunk(buffer: deque[Buffered], ledger: Ledger, max_events: int, max_bytes: int) -> Chunk:
    """Take the next chunk from the front of `buffer`; call under `ledger.lock`.

    A chunk ends at `max_events` events, at `max_bytes` encoded bytes, at a flush mark
    (resolved once what came before it was sent or dropped), or at the start of a session
    opened a moment ago and still open, while no flush waits (`Ledger.holds`). Its events
    are in flight from here: the ledger holds their records until acknowledged or given up on.
    """
    chunk = Chunk()
    in_flight: dict[str, SpanRecord | Session] = {}
    events, ended = chunk.events, chunk.ended
    size = freed = 0
    ledger.busy += 1  # a flush waits for the chunk even when it holds no event
    young = ledger.hold_from()
    if buffer and max_events > 0 and max_bytes > 0:
        ledger.held = False  # a span ends no chunk: only a held start sets it (`holds`)
    while buffer and len(events) + len(ended) < max_events and size < max_bytes:
        entry = buffer[0]
        kind, item, request, item_size = entry
        if request is not None:  # a span: the common entry, nothing to hold or unfold
            buffer.popleft()
            events.append(request)
            if request.event_id is not None:
                in_flight[request.event_id] = item
            size += item_size
            freed += item_size
            continue
        if ledger.holds(entry, young):
            break
        buffer.popleft()
        if kind == START:
            folded = ledger.unfold(item)
            if item.ended:  # its close (folded or still queued) is in what the event carries
                ended.append(item)
                in_flight[item.event_id] = item
                size += EVENT_OVERHEAD
                continue
            chunk.starts.append(item)
            ledger.open_started.add(item.event_id)
            if folded:
                chunk.folded.add(id(item))
        elif kind == UPDATE:
            ledger.unfold(item)
            if item.ended:
                ledger.open_started.discard(item.event_id)
            chunk.updates.append(item)
        else:
            chunk.marks.append(item)
            ledger.marks_waiting -= 1
            break
    ledger.buffered_bytes -= freed
    ledger.starts_left += len(chunk.starts)
    ledger.in_flight.update(in_flight)
    return chunk


def forget_traceback(exc: BaseException) -> None:
    """Cut the frames off a failure given up on (and off its causes).

    Its frames (the client's, the transport's) hold the batch's encoded body and sit in
    reference cycles: without this they stay until the cyclic GC runs, and with few other
    allocations (no session requests) that is late: peak memory climbed while the server was
    down (tests/reliability/test_overflow.py).
    """
    seen: set[int] = set()
    pending: BaseException | None = exc
    while pending is not None and id(pending) not in seen:
        seen.add(id(pending))
        pending.__traceback__ = None
        pending = pending.__cause__ or pending.__context__


def chunk_ids(chunk: Chunk) -> list[str]:
    """The event ids of everything `chunk` sends in its batch, its ended sessions included."""
    return [*(session.event_id for session in chunk.ended), *event_ids(chunk.events)]


def event_ids(
    requests: list[CreateEventRequest], *, but: Iterable[CreateEventRequest] = ()
) -> list[str]:
    """The event ids of `requests`, leaving out those of `but`."""
    left = {request.event_id for request in but}
    return [r.event_id for r in requests if r.event_id is not None and r.event_id not in left]


def log_failure(task: asyncio.Task[None]) -> None:
    """Log the error a finished send ended on, if any (a bug: `send` catches the rest)."""
    if not task.cancelled() and task.exception() is not None:
        log.error("honeyhive: unexpected error in the exporter", exc_info=task.exception())


async def drain(
    encode: Callable[[], None],
    buffer: deque[Buffered],
    send_next: Callable[[], Coroutine[Any, Any, None]],
    sender: BackingOff,
    ledger: Holding,
    max_batch: int,
    interval: float,
) -> None:
    """Send the buffer in chunks until it is empty and every chunk has ended.

    Up to `CHUNKS_IN_FLIGHT` chunks are on their way, each retried on its own, `ACTIVE_CHUNKS`
    of them not backing off. Another goes once a full batch or a flush waits, or `interval`
    seconds after the last was taken; fewer, fuller batches otherwise. A chunk that ended at a
    held session start (`Ledger.holds`) ends the round: the rest waits for the next one.
    `encode` moves the queue into the buffer, `send_next` takes a chunk in its first step.
    """
    flying = set[asyncio.Task[None]]()
    ledger.held = False
    loop, last_take = asyncio.get_running_loop(), 0.0
    try:
        while True:
            encode()
            for task in [task for task in flying if task.done()]:
                flying.discard(task)
                log_failure(task)
            due = buffer and (
                len(buffer) >= max_batch
                or buffer[-1][0] == MARK  # a flush waits for all of it
                or loop.time() - last_take >= interval
            )
            if due and ledger.held:
                # Held since the last take, but by now a batch (or a flush) waits, or the held
                # start has aged: waiting on for a chunk that backs off (seconds) filled the queue.
                ledger.held = False
            active = len(flying) - sender.backing_off
            room = len(flying) < CHUNKS_IN_FLIGHT and active < ACTIVE_CHUNKS
            if buffer and not ledger.held and (not flying or (due and room)):
                flying.add(asyncio.ensure_future(send_next()))
                last_take = loop.time()
                await asyncio.sleep(0)  # it takes its chunk before this loop looks again
                continue
            if not flying:
                return
            await asyncio.wait(flying, timeout=0.05, return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError:
        for task in flying:
            task.cancel()
        await asyncio.gather(*flying, return_exceptions=True)
        raise
