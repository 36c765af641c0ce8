"""Per-session order between the chunks in flight (`Sender` sends several at once).

Chunks go out concurrently, each retried on its own, so that one backing off never holds up
the others. What must still keep the queue's order is per session: a span goes after the
request that made its session (its start, or the batch that carried it as an event), and a
session update after every earlier request for that session (an enrich after the close wins).
A flush mark waits for every chunk taken before it. Everything else may overtake.

A chunk whose batch failed an attempt (it backs off, for seconds) marks itself `stalled`: a
later chunk waiting on its turns then sends the events that do not need them at once, and
only the rest after the turn (`ChunkTurns.events_ready`, `split`). Without this one failed
batch held up every later one (a chunk boundary nearly always cuts a session in two), and
at 20 % faults the queue filled behind the chain (issue 14).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from ..models import CreateEventRequest

__all__ = ["ChunkTurns", "SessionOrder", "end_turns", "wait_quietly"]


class ChunkTurns:
    """What one chunk waits for, and the turns it holds for later chunks (see `SessionOrder`)."""

    __slots__ = ("_held", "_order", "after", "done", "earlier", "events_after", "stalled", "stalls")

    def __init__(self, order: SessionOrder) -> None:
        self._order = order
        self._held: list[tuple[str, asyncio.Future[None]]] = []
        loop = asyncio.get_running_loop()
        self.done: asyncio.Future[None] = loop.create_future()
        """Resolved when the chunk's send has ended, however it ended."""
        self.stalled: asyncio.Future[None] = loop.create_future()
        """Resolved when the chunk's batch failed an attempt (see `stall`)."""
        self.earlier: list[asyncio.Future[None]] = []
        """The chunks taken before this one and still on their way (filled for flush marks)."""
        self.events_after: set[asyncio.Future[None]] = set()
        """Earlier requests that made the sessions of this chunk's events."""
        self.after: dict[str, asyncio.Future[None]] = {}
        """Session id -> the earlier request this chunk's events of that session follow."""
        self.stalls: set[asyncio.Future[None]] = set()
        """The `stalled` futures of the chunks holding those requests."""

    def stall(self) -> None:
        """Say this chunk's batch failed an attempt: chunks waiting on it send what they can."""
        if not self.stalled.done():
            self.stalled.set_result(None)

    async def events_ready(self) -> bool:
        """Wait for the requests this chunk's events follow: True once all have ended.

        False as soon as a chunk holding one of them has stalled: `split` then tells the
        events that may go now from those that wait.
        """
        pending = {turn for turn in self.events_after if not turn.done()}
        while pending:
            if any(stall.done() for stall in self.stalls):
                return False
            await asyncio.wait(pending | self.stalls, return_when=asyncio.FIRST_COMPLETED)
            pending = {turn for turn in pending if not turn.done()}
        return True

    def split(
        self, events: list[CreateEventRequest]
    ) -> tuple[list[CreateEventRequest], list[CreateEventRequest]]:
        """(the events whose session needs no turn still pending, the others)."""
        ready: list[CreateEventRequest] = []
        waiting: list[CreateEventRequest] = []
        for event in events:
            turn = self.after.get(event.session_id) if event.session_id is not None else None
            (ready if turn is None or turn.done() else waiting).append(event)
        return ready, waiting

    def hold(self, session_id: str) -> tuple[asyncio.Future[None] | None, asyncio.Future[None]]:
        """Take the session's next turn: (the turn before it, or None; this one, to resolve)."""
        mine: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        before = self._order.turns.get(session_id)
        self._order.turns[session_id] = mine
        self._order.holders[session_id] = self
        self._held.append((session_id, mine))
        return before, mine

    def release(self) -> None:
        """End every turn this chunk holds (waiters go on), and the chunk itself."""
        turns, holders = self._order.turns, self._order.holders
        for session_id, turn in self._held:
            if not turn.done():
                turn.set_result(None)
            if turns.get(session_id) is turn:
                del turns[session_id]
                del holders[session_id]
        self._held.clear()
        if not self.done.done():
            self.done.set_result(None)
        chunks = self._order.chunks
        if self.done in chunks:
            chunks.remove(self.done)


class SessionOrder:
    """The turns of the sessions the chunks in flight touch; lives on the exporter's loop.

    Its size is bounded by the chunks in flight: a turn leaves once its request has ended.
    """

    def __init__(self) -> None:
        self.turns: dict[str, asyncio.Future[None]] = {}
        """Session id -> the last request for it that later ones must follow."""
        self.holders: dict[str, ChunkTurns] = {}
        """Session id -> the chunk whose request `turns` holds."""
        self.chunks: list[asyncio.Future[None]] = []
        """The chunks on their way, in the order they were taken."""

    def begin(self, event_sessions: Iterable[str], marks: bool) -> ChunkTurns:
        """Start a chunk's turns; call in the step that took it (before any other chunk's).

        Args:
            event_sessions: The session ids of the chunk's events (spans).
            marks: Whether the chunk ends at a flush mark (it then waits for the earlier chunks).
        """
        chunk = ChunkTurns(self)
        turns = self.turns
        chunk.after = {sid: turns[sid] for sid in set(event_sessions) if sid in turns}
        chunk.events_after = set(chunk.after.values())
        chunk.stalls = {self.holders[sid].stalled for sid in chunk.after}
        if marks:
            chunk.earlier = list(self.chunks)
        self.chunks.append(chunk.done)
        return chunk


async def wait_quietly(futures: Iterable[asyncio.Future[None]]) -> None:
    """Wait for `futures` to end; a cancel of the waiter never reaches them."""
    pending = {future for future in futures if not future.done()}
    if pending:
        await asyncio.wait(pending)


def end_turns(turns: Iterable[asyncio.Future[None]]) -> None:
    """Let the requests waiting on these turns go on."""
    for turn in turns:
        if not turn.done():
            turn.set_result(None)
