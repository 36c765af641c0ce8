"""Sending one chunk of the exporter's buffer: session starts, a batch of events, updates.

A session that has ended by the time its chunk is taken needs no start: it goes in the batch
as one event of type ``session``, before its children (one request for the session and its
events, where a start would cost one of its own).

A batch is retried while its failure is transient, re-sent in part when the server created
only some of its events, halved when it is too large (413), and repaired when its text cannot
be encoded. Every outcome is written to the ledger.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable, Coroutine, Iterable
from functools import partial
from typing import TYPE_CHECKING, Any

import msgspec

from .._retry import batch_should_retry, build_batch_retrying
from ..errors import APIStatusError, HoneyHiveError, MissingAPIKeyError, PartialBatchError
from ..models import CreateEventRequest
from ._ambiguous import batch_may_be_stored, may_have_acted
from ._capture import Sanitizer
from ._encode import (
    EVENT_OVERHEAD,
    check_encodable,
    session_event,
    session_score_fields,
    session_start_fields,
    session_update_fields,
)
from ._ledger import MARK, START, STARTING, UPDATE, Buffered, Ledger, describe, resolve
from ._record import SpanRecord
from ._span import Session
from ._turns import gather_limited

if TYPE_CHECKING:
    from .._client import AsyncHoneyHive

__all__ = ["Chunk", "Sender", "log_failure", "take_chunk"]

log = logging.getLogger("honeyhive_async.tracing")


class Chunk:
    """One round of sends: session starts, then one batch of events and session updates.

    Its events' records (its ended sessions' too) wait in `Ledger.in_flight` until acknowledged.
    """

    __slots__ = ("ended", "events", "folded", "held", "marks", "starts", "updates")

    def __init__(self) -> None:
        self.starts: list[Session] = []
        self.folded: set[int] = set()
        """The starts (by `id`) that took in an update queued after them (`Ledger.fold`)."""
        self.ended: list[Session] = []
        """Sessions ended before their start was sent: they go first in the batch."""
        self.events: list[CreateEventRequest] = []
        self.updates: list[Session] = []
        self.marks: list[concurrent.futures.Future[None]] = []
        self.held = False  # it ended at a young open session's start, left for a later chunk


def take_chunk(
    buffer: deque[Buffered], ledger: Ledger, max_events: int, max_bytes: int, hold: float = 0.0
) -> Chunk:
    """Take the next chunk from the front of `buffer`; call under `ledger.lock`.

    A chunk ends at `max_events` events, `max_bytes` encoded bytes, a flush mark (resolved once
    what came before it was sent or dropped), or, no flush waiting, a start of a session open
    under `hold` s: it likely ends by a later chunk and goes as an event, not two requests.
    Its events are in flight from here: the ledger holds them until acknowledged.
    """
    chunk = Chunk()
    in_flight: dict[str, SpanRecord | Session] = {}
    size = 0
    ledger.busy += 1  # a flush waits for the chunk even when it holds no event
    while buffer and len(chunk.events) + len(chunk.ended) < max_events and size < max_bytes:
        kind, item, request, item_size = buffer.popleft()
        if request is not None:  # a span
            chunk.events.append(request)
            if request.event_id is not None:
                in_flight[request.event_id] = item
            size += item_size
            ledger.buffered_bytes -= item_size
        elif kind == START:
            young = hold and not item.ended and time.perf_counter() - item._t0 < hold
            if young and not any(entry[0] == MARK for entry in buffer):
                buffer.appendleft((kind, item, request, item_size))
                chunk.held = True
                break
            folded = ledger.unfold(item)
            if item.ended:  # its close (folded or still queued) is in what the event carries
                chunk.ended.append(item)
                in_flight[item.event_id] = item
                size += EVENT_OVERHEAD
                continue
            chunk.starts.append(item)
            if folded:
                chunk.folded.add(id(item))
        elif kind == UPDATE:
            ledger.unfold(item)
            chunk.updates.append(item)
        else:
            chunk.marks.append(item)
            break
    ledger.starts_left += len(chunk.starts)
    ledger.in_flight.update(in_flight)
    return chunk


class Sender:
    """Sends chunks with the exporter's own client and writes each outcome to the ledger.

    Args:
        client: The exporter's client (its own pool, no retries of its own).
        sanitizer: Makes the session fields JSON-safe, bounded and redacted.
        ledger: Where the outcome of each event goes.
        max_attempts: Attempts per request for transient failures.
    """

    def __init__(
        self, client: AsyncHoneyHive, sanitizer: Sanitizer, ledger: Ledger, max_attempts: int
    ) -> None:
        self._client = client
        self._sanitizer = sanitizer
        self._ledger = ledger
        self._max_attempts = max_attempts

    async def send_next(
        self, take: Callable[[], Chunk], after: asyncio.Future[None] | None
    ) -> None:
        """Take the next chunk with `take` and send it (`send`).

        Taken in the task's first step: a task cancelled before it ran took nothing (the
        stop gives up on what is still buffered).
        """
        await self.send(take(), after)

    async def send(self, chunk: Chunk, after: asyncio.Future[None] | None = None) -> None:
        """Send `chunk`; what is not sent when this returns (or is cancelled) is dropped.

        Its session starts go out at once; its batch and updates once `after` (the chunk
        before it, if still on its way) is done, so that they keep the order of the queue
        (an enrich after the close wins), and its flush marks resolve when all is done.
        """
        ledger = self._ledger
        starts, events, updates, folded = chunk.starts, chunk.events, chunk.updates, chunk.folded
        started: set[int] = set()
        updated: set[int] = set()
        try:
            # Sessions are independent of each other: send them concurrently, a few at a time.
            # Starts go first (whether HoneyHive takes an event before its session is not
            # known); an update only touches a session started in this chunk or before, so
            # updates go alongside the batch.
            await gather_limited(
                [partial(self._send_start, s, id(s) in folded, started) for s in starts]
            )
            if after is not None:
                await asyncio.wait({after})  # not `await after`: a cancel must not reach it
            jobs: list[Callable[[], Coroutine[Any, Any, None]]] = [
                partial(self._send_update, s, updated) for s in updates
            ]
            batch = [*self._session_events(chunk.ended), *events]
            if batch:
                jobs.insert(0, partial(self._send_events, batch))
            await gather_limited(jobs)
        except BaseException as exc:
            reason = "shutdown" if isinstance(exc, asyncio.CancelledError) else "internal_error"
            if reason == "internal_error":
                log.exception("honeyhive: unexpected error while exporting")
            for session in starts:
                if id(session) not in started:
                    ledger.drop(reason, session, STARTING)
                    started.add(id(session))
            for session in updates:
                if id(session) not in updated:
                    ledger.failed_update(reason, session)
            ledger.give_up(reason, _chunk_ids(chunk), exc)
            if reason == "shutdown":
                raise
        finally:
            # Every event of the chunk is sent or dropped (on_drop has seen it) by now: the
            # ledger lets go of what is left before a flush that waits on this chunk returns.
            ledger.end_chunk(_chunk_ids(chunk), len(starts) - len(started))
            for mark in chunk.marks:
                resolve(mark)

    async def _send_events(self, events: list[CreateEventRequest]) -> None:
        ledger = self._ledger
        pending = events
        try:
            async for attempt in build_batch_retrying(max_attempts=self._max_attempts):
                with attempt:
                    if attempt.retry_state.attempt_number > 1:
                        ledger.retried(len(pending))
                    try:
                        await self._client.events.create_batch(pending)
                    except PartialBatchError as exc:
                        ledger.acknowledge(_ids(pending, but=exc.uncreated))
                        pending = exc.uncreated
                        if pending:
                            raise
            ledger.acknowledge(_ids(pending))
        except APIStatusError as exc:
            if exc.status == 413 and len(pending) > 1:
                # Too large for the server: halve until it fits.
                half = len(pending) // 2
                await self._send_events(pending[:half])
                await self._send_events(pending[half:])
                return
            if not batch_should_retry(exc):
                ledger.give_up(f"rejected_{exc.status}", _ids(pending), exc)
            else:
                await self._give_up_on_batch(pending, exc)
            _forget_traceback(exc)
        except (UnicodeEncodeError, msgspec.EncodeError):
            # Text that is not UTF-8 (a lone surrogate from `os.fsdecode`) in a name or an
            # error: repair it, so that one bad string never costs the batch.
            pending = self._encodable(pending)
            if pending:
                await self._send_events(pending)
        except MissingAPIKeyError as exc:
            ledger.give_up("missing_api_key", _ids(pending), exc)
        except HoneyHiveError as exc:  # connection failures, a decode error
            await self._give_up_on_batch(pending, exc)
            _forget_traceback(exc)

    async def _give_up_on_batch(self, pending: list[CreateEventRequest], exc: Exception) -> None:
        """Drop what the last attempt left, but what the server says it holds (issue 14).

        An answer lost after the server stored the batch must not count its events dropped:
        each is looked up (`GET /v1/events/{id}`, a few at a time) and counted sent if found.
        """
        ids = _ids(pending)
        held: set[str] = set()
        if batch_may_be_stored(exc):

            async def look_up(event_id: str) -> None:
                with contextlib.suppress(HoneyHiveError):
                    await self._client.events.get(event_id)
                    held.add(event_id)

            await gather_limited([partial(look_up, event_id) for event_id in ids])
        self._ledger.acknowledge(held)
        lost = [event_id for event_id in ids if event_id not in held]
        if lost:
            self._ledger.give_up("export_failed", lost, exc)

    def _session_events(self, ended: list[Session]) -> list[CreateEventRequest]:
        """The ended sessions as events, read now (after the chunk before was sent)."""
        requests: list[CreateEventRequest] = []
        for session in ended:
            try:
                requests.append(session_event(session, self._sanitizer))
            except Exception as exc:  # a redaction hook's bug costs its session alone
                log.exception("honeyhive: could not encode session %s", session.event_id)
                self._ledger.give_up("encode_failed", [session.event_id], exc)
        return requests

    def _encodable(self, pending: list[CreateEventRequest]) -> list[CreateEventRequest]:
        """Return the events that encode once their text is repaired; drop the others alone."""
        kept: list[CreateEventRequest] = []
        for request in pending:
            try:
                check_encodable(request)
            except Exception as exc:
                self._ledger.give_up("encode_failed", _ids([request]), exc)
                continue
            kept.append(request)
        return kept

    async def _send_start(self, session: Session, folded: bool, done: set[int]) -> None:
        ledger = self._ledger
        # The start is idempotent (the tracer made the session id), so a retry after a lost
        # answer makes no second session. It carries what the session holds now (its end too,
        # once closed): an update folded into it (`folded`) needs a request of its own only
        # for the fields a start cannot carry.
        fields = session_start_fields(session, self._sanitizer)
        late = session_score_fields(session, self._sanitizer) if folded else None
        reached = False  # whether an attempt may have reached the server before it failed

        async def start() -> None:
            nonlocal reached
            try:
                await self._client.session.start(**fields)
            except HoneyHiveError as exc:
                reached = reached or may_have_acted(exc)
                raise

        try:
            await self._retrying(start, count_retries=True)
            stored = True
        except Exception as exc:  # anything else is a bug here: it must not cost the chunk
            stored = reached and await self._has_session(session)
            if not stored:
                ledger.warn(f"could not start session {session.event_id}: {describe(exc)}")
                ledger.drop("session_start_failed", session, STARTING)
        if stored:
            ledger.start_stored()
        # Not in a `finally`: a start cancelled in flight is neither sent nor dropped here,
        # `send` counts it as shutdown.
        done.add(id(session))
        if stored and late is not None:
            try:
                await self._send_update(session, set(), late)
            except asyncio.CancelledError:
                ledger.failed_update("shutdown", session)
                raise

    async def _retrying(
        self, call: Callable[[], Coroutine[Any, Any, Any]], *, count_retries: bool = False
    ) -> None:
        """Run `call` under the exporter's retry policy, its first attempt outside it.

        Nearly every session request succeeds at once, and making the policy (tenacity)
        costs about a quarter of a loopback request's own Python work, once per session.
        """
        try:
            await call()
            return
        except Exception as exc:
            if self._max_attempts < 2 or not batch_should_retry(exc):
                raise
            failed: Exception | None = exc
        async for attempt in build_batch_retrying(max_attempts=self._max_attempts):
            with attempt:
                if failed is not None:  # attempt 1, already made: the policy waits as after it
                    first, failed = failed, None
                    raise first
                if count_retries:
                    self._ledger.retried(1)
                await call()

    async def _has_session(self, session: Session) -> bool:
        """After a start whose answer was lost, ask the server whether it has the session."""
        try:
            await self._client.session.get(session.event_id)
        except HoneyHiveError:
            return False
        return True

    async def _send_update(
        self, session: Session, done: set[int], fields: dict[str, Any] | None = None
    ) -> None:
        if fields is None:
            fields = session_update_fields(session, self._sanitizer)
        try:
            await self._retrying(partial(self._client.events.update, session.event_id, **fields))
        except Exception as exc:  # a bug here must not cost the chunk either
            self._ledger.failed_update("rejected", session, exc)
        finally:
            done.add(id(session))


def _forget_traceback(exc: BaseException) -> None:
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


def _chunk_ids(chunk: Chunk) -> list[str]:
    """The event ids of everything `chunk` sends in its batch, its ended sessions included."""
    return [*(session.event_id for session in chunk.ended), *_ids(chunk.events)]


def _ids(
    requests: list[CreateEventRequest], *, but: Iterable[CreateEventRequest] = ()
) -> list[str]:
    """The event ids of `requests`, leaving out those of `but`."""
    left = {request.event_id for request in but}
    return [r.event_id for r in requests if r.event_id is not None and r.event_id not in left]


def log_failure(task: asyncio.Task[None]) -> None:
    """Log the error a finished send ended on, if any (a bug: `send` catches the rest)."""
    if not task.cancelled() and task.exception() is not None:
        log.error("honeyhive: unexpected error in the exporter", exc_info=task.exception())
