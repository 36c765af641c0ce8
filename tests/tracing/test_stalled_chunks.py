"""A chunk that backs off holds up only what must follow it (issue 14, capacity under faults).

A chunk boundary nearly always cuts a session in two: the next chunk's spans of that session
must wait for the batch that makes it. They alone wait: the rest of the next chunk goes at
once, and so do the chunks after it. And a round held at a young session's start does not
stay held while a chunk backs off for seconds and the buffer fills behind it.

Waits between attempts go through an injected sleep that returns only once a test opens it.
"""

from __future__ import annotations

import asyncio
from collections import deque
from types import SimpleNamespace
from typing import Any

from honeyhive_async.server import LocalServer
from honeyhive_async.tracing import Tracer, trace_span
from honeyhive_async.tracing._chunk import drain
from honeyhive_async.tracing._ledger import SPAN, Buffered

from .test_chunks_in_flight import BATCH, HELD, Clock, Gate, _stored, _until, _with_sleep


async def _session_ids(tracer: Tracer, name: str, spans: int) -> tuple[str, list[str]]:
    """A closed session with `spans` spans: (its id, its spans' ids in the order they ended)."""
    async with tracer.session(name) as session:
        ids = []
        for _ in range(spans):
            with trace_span("step") as span:
                ids.append(span.event_id)
    return session.event_id, ids


def _batches(server: LocalServer) -> list[list[str]]:
    """The event ids of every batch request the server saw, in order."""
    return [
        [event["event_id"] for event in request.json()["events"]]
        for request in server.requests
        if request.path == BATCH
    ]


async def test_a_chunk_backing_off_holds_up_only_the_spans_of_its_sessions(
    tracer_factory: Any, honeyhive_server: LocalServer
) -> None:
    gate = Gate()
    tracer = _with_sleep(tracer_factory(max_batch_size=5, **HELD), gate.sleep)
    fault = honeyhive_server.faults.fail_next(1, 503, retry_after="30", path=BATCH)
    # Sessions of 7 and 4 events in chunks of 5: most chunks cut a session in two.
    session_of: dict[str, str] = {}
    for name, spans in (("a", 6), ("b", 3), ("c", 3), ("d", 3), ("e", 3)):
        session_id, span_ids = await _session_ids(tracer, name, spans)
        session_of.update({session_id: session_id, **dict.fromkeys(span_ids, session_id)})
    flushing = asyncio.ensure_future(tracer.flush(60))
    await _until(lambda: fault.hits == 1 and bool(gate.asked), "the first batch backs off")
    first = set(_batches(honeyhive_server)[0])
    made_by_first = {event_id for event_id in first if session_of[event_id] == event_id}
    blocked = {e for e, s in session_of.items() if s in made_by_first and e not in first}
    others = set(session_of) - first - blocked
    assert others
    # Everything else is stored while the batch that makes those sessions waits out its
    # Retry-After; their spans in later chunks are not even sent.
    await _until(lambda: others <= _stored(honeyhive_server), "the other events are stored")
    assert gate.asked == [30.0]
    sent = {event_id for batch in _batches(honeyhive_server) for event_id in batch}
    assert sent.isdisjoint(blocked)
    assert first.isdisjoint(_stored(honeyhive_server))
    assert not flushing.done()
    gate.open()
    report = await flushing
    assert (report.sent, report.pending, report.dropped) == (len(session_of), 0, {})
    assert _stored(honeyhive_server) == set(session_of)
    batches = _batches(honeyhive_server)
    for event_id in blocked:  # each after the batch that stored its session
        made = max(n for n, batch in enumerate(batches) if session_of[event_id] in batch)
        assert min(n for n, batch in enumerate(batches) if event_id in batch) > made


async def test_a_round_held_at_a_young_start_takes_again_once_a_batch_waits() -> None:
    buffer: deque[Buffered] = deque((SPAN, None, None, 0) for _ in range(3))
    ledger = SimpleNamespace(held=False)
    sent: list[asyncio.Future[None]] = []
    looked = asyncio.Event()

    def encode() -> None:
        looked.set()

    async def send_next() -> None:
        # Takes what is buffered up to a young session's start (the round is held), then its
        # batch backs off: it stays on its way.
        for _ in range(min(10, len(buffer))):
            buffer.popleft()
        ledger.held = True
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        sent.append(done)
        await done

    async def rounds_pass(n: int) -> None:
        for _ in range(n):
            looked.clear()
            await looked.wait()

    sender = SimpleNamespace(backing_off=0)
    draining = asyncio.ensure_future(drain(encode, buffer, send_next, sender, ledger, 10, 3600.0))
    await rounds_pass(3)
    assert len(sent) == 1
    buffer.extend((SPAN, None, None, 0) for _ in range(5))
    await rounds_pass(3)
    assert len(sent) == 1  # less than a batch: the round stays held
    buffer.extend((SPAN, None, None, 0) for _ in range(5))
    await rounds_pass(3)
    assert len(sent) == 2  # a full batch waits: it goes, though the first chunk is not done
    assert not buffer
    for done in sent:
        done.set_result(None)
    await draining


async def test_a_batch_answered_500_with_retry_after_0_is_sent_again_at_once(
    tracer_factory: Any, honeyhive_server: LocalServer
) -> None:
    clock = Clock()
    tracer = _with_sleep(tracer_factory(**HELD), clock.sleep, clock.time)
    fault = honeyhive_server.faults.fail_next(2, 500, retry_after="0", path=BATCH)
    session_id, spans = await _session_ids(tracer, "s", 3)
    report = await tracer.flush(30)
    assert fault.hits == 2
    assert clock.asked == [0.0, 0.0]  # not the client's own backoff (0.5 s, then 1 s)
    assert (report.sent, report.dropped) == (4, {})
    assert _stored(honeyhive_server) == {session_id, *spans}
