"""Moving the exporter's queue into its buffer: spans encoded, session work and flush marks as they are.

Items leave the queue a slice at a time under one lock (into hand), are encoded without it,
and go to the buffer in queue order under one lock again: two lock rounds a slice rather
than one a span, and the queue's bound (`on_held`) set twice a slice.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from typing import Any

from ._capture import Sanitizer
from ._encode import event_request
from ._handoff import checker
from ._ledger import IN_HAND, SPAN, START, Buffered, Ledger
from ._record import wall_offset

__all__ = ["SLICE", "encode_backlog"]

log = logging.getLogger("honeyhive_async.tracing")

SLICE = 64
"""Most queue items taken into hand at once: few enough that the buffer's byte bound
(checked per span against what the slice already added) and `report` stay close to now."""


def encode_backlog(
    queue: deque[Any],
    buffer: deque[Buffered],
    ledger: Ledger,
    sanitizer: Sanitizer,
    max_buffer_bytes: int,
    on_held: Callable[[], None],
    pause: Callable[[], None] | None = None,
) -> None:
    """Move everything queued to `buffer`, encoding spans (their payloads let go of).

    Args:
        queue: The exporter's queue: spans bare, other work as (kind, item) pairs.
        buffer: Where encoded spans, session work and flush marks wait for a send.
        ledger: Counts each item in hand while it is neither queued nor buffered.
        sanitizer: Makes the captured fields JSON-safe, bounded and redacted.
        max_buffer_bytes: Encoded bytes the buffer may hold; a span past it is dropped.
        on_held: Called under `ledger.lock` once a slice is in hand and once it is buffered
            (the queue's bound counts both).
        pause: Called after each span: lets go of the GIL when the thread has held it long
            (`_handoff.checker` when None).
    """
    lock, popleft = ledger.lock, queue.popleft
    pause = pause or checker()
    offset = wall_offset()
    while True:
        with lock:
            taken = [popleft() for _ in range(min(len(queue), SLICE))]
            if not taken:
                return
            # Spans and session starts are events: pending in hand until buffered or dropped.
            events = sum(1 for item in taken if type(item) is not tuple or item[0] == START)
            ledger.in_hand += events
            on_held()
        ready: list[Any] = []  # encoded spans as buffer entries, other items as queued
        added, work = 0, False
        for item in taken:
            if type(item) is tuple:  # session work or a flush mark (see `enqueue_span`)
                ready.append(item)
                work = True
                continue
            try:
                request, size = event_request(item, sanitizer, offset)
            except Exception:
                log.exception("honeyhive: could not encode event %s", item.event_id)
                ledger.drop("encode_failed", item, IN_HAND)
                events -= 1
                continue
            if ledger.buffered_bytes + added + size > max_buffer_bytes:
                ledger.drop("buffer_full", item, IN_HAND)
                events -= 1
                continue
            item.drop_payload()  # the request carries it now
            ready.append((SPAN, item, request, size))
            added += size
            # Per span, not per slice: a slice of large spans alone can take milliseconds.
            pause()  # nothing held here: the slice is in hand, not under the lock
        with lock:  # the slice goes to the buffer in one step as `report` sees it, in order
            if work:
                _buffer_in_order(ready, buffer, ledger)
            else:  # spans only, the common slice
                buffer.extend(ready)
            ledger.buffered_bytes += added
            ledger.in_hand -= events
            on_held()


def _buffer_in_order(ready: list[Any], buffer: deque[Buffered], ledger: Ledger) -> None:
    """Buffer a slice with session work in it; call under `ledger.lock`."""
    for entry in ready:
        if len(entry) == 2:
            kind, item = entry  # an update may join its session's start or update
            if not ledger.fold(kind, item):  # a flush mark is counted there
                buffer.append((kind, item, None, 0))
        else:
            buffer.append(entry)
