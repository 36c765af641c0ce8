"""Sending one chunk of the exporter's buffer: session starts, a batch of events, updates.

A session that has ended by the time its chunk is taken needs no start: it goes in the batch
as one event of type ``session``, before its children (one request for the session and its
events, where a start would cost one of its own).

Chunks go out several at a time, each retried on its own (`_order` keeps each session's
requests in order). A request is retried while its failure is transient, for `RETRY_WINDOW`
seconds unless attempts are capped; a batch is re-sent in part when the server created
only some of its events, halved when it is too large (413), and repaired when its text cannot
be encoded. Every outcome is written to the ledger.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from functools import partial
from typing import TYPE_CHECKING, Any

import msgspec

from .._retry import Sleep, batch_should_retry, build_batch_retrying
from ..errors import APIStatusError, HoneyHiveError, MissingAPIKeyError, PartialBatchError
from ..models import CreateEventRequest
from ._ambiguous import batch_may_be_stored, held_by_server, may_have_acted
from ._capture import Sanitizer
from ._chunk import Chunk, chunk_ids, event_ids, forget_traceback
from ._encode import (
    check_encodable,
    session_event,
    session_score_fields,
    session_start_fields,
    session_update_fields,
)
from ._handoff import checkpoint
from ._ledger import STARTING, Ledger, describe, resolve
from ._order import ChunkTurns, SessionOrder, end_turns, wait_quietly
from ._span import Session
from ._turns import gather_limited

if TYPE_CHECKING:
    from .._client import AsyncHoneyHive

__all__ = ["RETRY_WINDOW", "Sender"]

log = logging.getLogger("honeyhive_async.tracing")

RETRY_WINDOW = 60.0
"""Seconds a request is retried for transient failures (unless attempts are capped): at 20 %
independent faults, 60 s of backoff is 11 or more attempts, one loss in 10**7 requests."""


class Sender:
    """Sends chunks with the exporter's own client and writes each outcome to the ledger.

    Args:
        client: The exporter's client (its own pool, no retries of its own).
        sanitizer: Makes the session fields JSON-safe, bounded and redacted.
        ledger: Where the outcome of each event goes.
        max_attempts: Attempts per request for transient failures; None: retry for
            `retry_window` seconds instead.
        retry_window: Seconds from a request's first attempt after which no retry starts.
        clock: The clock `retry_window` is read on.
        sleep: How the waits between attempts are spent (a test's recorder).
    """

    def __init__(
        self,
        client: AsyncHoneyHive,
        sanitizer: Sanitizer,
        ledger: Ledger,
        max_attempts: int | None,
        *,
        retry_window: float = RETRY_WINDOW,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._client = client
        self._sanitizer = sanitizer
        self._ledger = ledger
        self._max_attempts = max_attempts
        self._retry_window = retry_window
        self._clock = clock
        self._sleep = sleep
        self.backing_off = 0
        """Requests waiting out a backoff now (`drain` sends more chunks while some do)."""
        self._order = SessionOrder()

    def _policy(self, started: float) -> Any:
        """The retry policy of a request whose first attempt began at `started` (`clock`)."""
        deadline = None if self._max_attempts is not None else started + self._retry_window
        return build_batch_retrying(
            max_attempts=self._max_attempts, deadline=deadline, clock=self._clock, sleep=self._wait
        )

    async def _wait(self, seconds: float) -> None:
        self.backing_off += 1
        try:
            await self._sleep(seconds)
        finally:
            self.backing_off -= 1

    async def send_next(self, take: Callable[[], Chunk]) -> None:
        """Take the next chunk with `take` and send it (`send`).

        Taken in the task's first step: a task cancelled before it ran took nothing (the
        stop gives up on what is still buffered).
        """
        await self.send(take())

    async def send(self, chunk: Chunk) -> None:
        """Send `chunk`; what is not sent when this returns (or is cancelled) is dropped.

        Call it in the step that took the chunk: it takes its sessions' turns
        (`SessionOrder`) before its first wait. Its session starts go out at once; its batch
        once the earlier requests that made its events' sessions ended, each update after
        the earlier requests for its session (an enrich after the close wins). Other chunks
        in flight neither wait for it nor hold it up. Its flush marks resolve once it and
        every chunk taken before it are done.
        """
        ledger = self._ledger
        starts, events, updates, folded = chunk.starts, chunk.events, chunk.updates, chunk.folded
        turns = self._order.begin(
            [e.session_id for e in events if e.session_id is not None], bool(chunk.marks)
        )
        # A start is its session's first request; the ended sessions are made by the batch.
        start_turns = {id(s): turns.hold(s.event_id)[1] for s in starts}
        batch_turns = [turns.hold(s.event_id)[1] for s in chunk.ended]
        update_turns = [turns.hold(s.event_id) for s in updates]
        started: set[int] = set()
        updated: set[int] = set()
        try:
            # Sessions are independent of each other: send them concurrently, a few at a time.
            # Starts go first (whether HoneyHive takes an event before its session is not
            # known); an update only touches a session started in this chunk or before, so
            # updates go alongside the batch.
            await gather_limited(
                [
                    partial(self._send_start, s, id(s) in folded, started, start_turns[id(s)])
                    for s in starts
                ]
            )
            jobs: list[Callable[[], Coroutine[Any, Any, None]]] = [
                partial(self._update_in_turn, s, updated, before, mine)
                for s, (before, mine) in zip(updates, update_turns, strict=True)
            ]
            if chunk.ended or events:
                jobs.insert(0, partial(self._batch_in_turn, chunk, turns, batch_turns))
            await gather_limited(jobs)
            await wait_quietly(turns.earlier)  # a flush mark: everything before it is done
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
            ledger.give_up(reason, chunk_ids(chunk), exc)
            if reason == "shutdown":
                raise
        finally:
            turns.release()
            # Every event of the chunk is sent or dropped (on_drop has seen it) by now: the
            # ledger lets go of what is left before a flush that waits on this chunk returns.
            ledger.end_chunk(chunk_ids(chunk), len(starts) - len(started))
            for mark in chunk.marks:
                resolve(mark)

    async def _batch_in_turn(
        self, chunk: Chunk, turns: ChunkTurns, made: list[asyncio.Future[None]]
    ) -> None:
        """Send the chunk's batch once the requests that made its sessions ended.

        When one of those backs off instead (`ChunkTurns.events_ready`), the events that do not
        need it go at once (its own sessions too), the others alone once their sessions are made.
        """
        later: list[CreateEventRequest] = []
        try:
            events = chunk.events
            if not await turns.events_ready():
                events, later = turns.split(events)
            batch = [*self._session_events(chunk.ended), *events]
            checkpoint()  # reading the ended sessions is work of its own before the encode
            if batch:
                await self._send_events(batch, turns.stall)
        finally:
            end_turns(made)
        if later:
            self.backing_off += 1  # waiting out another chunk's backoff: not an active send
            try:
                await wait_quietly(turns.events_after)
            finally:
                self.backing_off -= 1
            await self._send_events(later)

    async def _update_in_turn(
        self,
        session: Session,
        done: set[int],
        before: asyncio.Future[None] | None,
        mine: asyncio.Future[None],
    ) -> None:
        try:
            if before is not None:
                await wait_quietly([before])
            if self._ledger.session_dropped(session):  # never stored: the update would 404
                self._ledger.failed_update("session_dropped", session)
                done.add(id(session))
                return
            await self._send_update(session, done)
        finally:
            end_turns([mine])

    async def _send_events(
        self, events: list[CreateEventRequest], stall: Callable[[], None] = lambda: None
    ) -> None:
        """Send `events` (retried, halved, repaired as needed); `stall` is told of a failure."""
        ledger = self._ledger
        pending = events
        try:
            async for attempt in self._policy(self._clock()):
                with attempt:
                    if attempt.retry_state.attempt_number > 1:
                        ledger.retried(len(pending))
                    try:
                        await self._client.events.create_batch(pending)
                    except PartialBatchError as exc:
                        ledger.acknowledge(event_ids(pending, but=exc.uncreated))
                        pending = exc.uncreated
                        if pending:
                            stall()
                            raise
                    except Exception:
                        stall()
                        raise
            ledger.acknowledge(event_ids(pending))
        except APIStatusError as exc:
            if exc.status == 413 and len(pending) > 1:
                # Too large for the server: halve until it fits.
                half = len(pending) // 2
                await self._send_events(pending[:half], stall)
                await self._send_events(pending[half:], stall)
                return
            if not batch_should_retry(exc):
                ledger.give_up(f"rejected_{exc.status}", event_ids(pending), exc)
            else:
                await self._give_up_on_batch(pending, exc)
            forget_traceback(exc)
        except (UnicodeEncodeError, msgspec.EncodeError):
            # Text that is not UTF-8 (a lone surrogate from `os.fsdecode`) in a name or an
            # error: repair it, so that one bad string never costs the batch.
            pending = self._encodable(pending)
            if pending:
                await self._send_events(pending, stall)
        except MissingAPIKeyError as exc:
            ledger.give_up("missing_api_key", event_ids(pending), exc)
        except HoneyHiveError as exc:  # connection failures, a decode error
            await self._give_up_on_batch(pending, exc)
            forget_traceback(exc)

    async def _give_up_on_batch(self, pending: list[CreateEventRequest], exc: Exception) -> None:
        """Drop what the last attempt left, but what the server says it holds (issue 14).

        An answer lost after the server stored the batch must not count its events dropped:
        each is looked up (`GET /v1/events/{id}`, a few at a time) and counted sent if found.
        """
        ids = event_ids(pending)
        held = await held_by_server(self._client, ids) if batch_may_be_stored(exc) else set()
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
                self._ledger.give_up("encode_failed", event_ids([request]), exc)
                continue
            kept.append(request)
        return kept

    async def _send_start(
        self, session: Session, folded: bool, done: set[int], turn: asyncio.Future[None]
    ) -> None:
        try:
            await self._start_session(session, folded, done)
        finally:
            end_turns([turn])

    async def _start_session(self, session: Session, folded: bool, done: set[int]) -> None:
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
            forget_traceback(exc)
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
        started = self._clock()
        try:
            await call()
            return
        except Exception as exc:
            capped = self._max_attempts is not None and self._max_attempts < 2
            if capped or not batch_should_retry(exc):
                raise
            failed: Exception | None = exc
        async for attempt in self._policy(started):
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
            forget_traceback(exc)
        finally:
            done.add(id(session))
