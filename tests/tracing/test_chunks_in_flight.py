"""Chunks in flight at once, each retried on its own, for a time rather than a few attempts.

The exporter's waits between attempts go through an injected sleep (and its deadline through an
injected clock), so a test holds a chunk in its backoff for as long as it likes, or runs a
minute of backoff at once, without waiting on wall time.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from honeyhive_async import AsyncHoneyHive
from honeyhive_async.server import LocalServer
from honeyhive_async.tracing import Tracer, trace_span
from honeyhive_async.tracing._chunk import ACTIVE_CHUNKS, drain
from honeyhive_async.tracing._ledger import SPAN, Buffered
from honeyhive_async.tracing._send import RETRY_WINDOW

BATCH = "/v1/events/batch"
SESSIONS = "/v1/sessions"
HELD = {"flush_interval": 3600.0}


class Gate:
    """A sleep that records the waits asked for and returns only once the gate is open."""

    def __init__(self) -> None:
        self.asked: list[float] = []
        self._lock = threading.Lock()
        self._open = False
        self._waiting: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []

    async def sleep(self, seconds: float) -> None:
        self.asked.append(seconds)
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        with self._lock:
            if self._open:
                return
            self._waiting.append((loop, waiter))
        await waiter

    def open(self) -> None:
        with self._lock:
            self._open = True
            waiting, self._waiting = self._waiting, []
        for loop, waiter in waiting:
            loop.call_soon_threadsafe(_resolve, waiter)


def _resolve(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


class Clock:
    """A clock that only a sleep moves: a minute of backoff takes no time."""

    def __init__(self) -> None:
        self.now = 0.0
        self.asked: list[float] = []

    def time(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.asked.append(seconds)
        self.now += seconds


def _log(server: LocalServer) -> list[tuple[str, str, str]]:
    return [(r.method, r.path, r.body.decode()) for r in server.requests]


def _stored(server: LocalServer) -> set[str]:
    return {event_id for (event_id,) in server.store.db.read("SELECT event_id FROM events")}


async def _until(condition: Callable[[], bool], what: str) -> None:
    """Wait for `condition` (checked between the server's own steps on this loop)."""
    for _ in range(2000):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError(f"never happened: {what}")


async def _session(tracer: Tracer, name: str, spans: int) -> list[str]:
    """A closed session with `spans` spans; return its event ids (the session's first)."""
    async with tracer.session(name) as session:
        ids = [session.event_id]
        for _ in range(spans):
            with trace_span("step") as span:
                ids.append(span.event_id)
    return ids


def _with_sleep(tracer: Tracer, sleep: Any, clock: Callable[[], float] | None = None) -> Tracer:
    exporter = tracer._exporter
    exporter._retry_sleep = sleep
    if clock is not None:
        exporter._retry_clock = clock
    return tracer


async def test_a_chunk_backing_off_holds_up_no_other_chunk(
    tracer_factory: Any, honeyhive_server: LocalServer
) -> None:
    gate = Gate()
    tracer = _with_sleep(tracer_factory(max_batch_size=5, **HELD), gate.sleep)
    fault = honeyhive_server.faults.fail_next(1, 503, retry_after="30", path=BATCH)
    made = [event_id for i in range(6) for event_id in await _session(tracer, f"s{i}", 4)]
    flushing = asyncio.ensure_future(tracer.flush(60))
    await _until(lambda: fault.hits == 1 and bool(gate.asked), "the first batch backs off")
    first = next(
        {e["event_id"] for e in r.json()["events"]}
        for r in honeyhive_server.requests
        if r.path == BATCH
    )
    others = set(made) - first
    # Every other chunk is stored while the first waits out its Retry-After.
    await _until(lambda: tracer.stats().pending == len(first), "the other chunks are acknowledged")
    assert others <= _stored(honeyhive_server)
    assert gate.asked == [30.0]
    assert not flushing.done()  # the flush waits for the chunk that backs off
    assert first.isdisjoint(_stored(honeyhive_server))
    gate.open()
    report = await flushing
    assert (report.sent, report.pending, report.dropped) == (len(made), 0, {})
    assert _stored(honeyhive_server) == set(made)


async def test_a_session_waits_for_its_start_while_other_sessions_go_on(
    tracer_factory: Any, honeyhive_server: LocalServer, client: AsyncHoneyHive
) -> None:
    gate = Gate()
    tracer = _with_sleep(tracer_factory(max_batch_size=5, **HELD), gate.sleep)
    fault = honeyhive_server.faults.fail_next(1, 503, retry_after="30", path=SESSIONS)
    async with tracer.session("slow") as slow:
        tracer._exporter.request_flush()  # its start goes out now, and backs off
        await _until(lambda: fault.hits == 1 and bool(gate.asked), "the start backs off")
        spans = []
        for _ in range(5):  # a chunk's worth: the batch that waits holds nothing else
            with trace_span("step") as span:
                spans.append(span.event_id)
        slow.update(outputs={"done": True})
    quick = await _session(tracer, "quick", 4)
    flushing = asyncio.ensure_future(tracer.flush(60))
    await _until(lambda: set(quick) <= _stored(honeyhive_server), "the other session is stored")
    # Nothing of the session whose start backs off went out before the start.
    assert not any(slow.event_id in path for _, path, _ in _log(honeyhive_server))  # no update
    assert not any(s in body for _, _, body in _log(honeyhive_server) for s in spans)  # nor span
    gate.open()
    report = await flushing
    assert (report.sent, report.pending, report.dropped) == (len(quick) + 6, 0, {})
    assert report.failed_updates == 0
    touching = [
        (method, path)
        for method, path, body in _log(honeyhive_server)
        if slow.event_id in path or slow.event_id in body
    ]
    starts = [n for n, request in enumerate(touching) if request == ("POST", SESSIONS)]
    assert len(starts) == 2  # the start that backed off, and its retry
    assert ("PUT", f"/v1/events/{slow.event_id}") in touching[starts[-1] :]
    assert ("POST", BATCH) in touching[starts[-1] :]  # its span, after its start
    assert (await client.session.get(slow.event_id)).outputs == {"done": True}
    assert set(spans) <= _stored(honeyhive_server)


async def test_retries_go_on_for_the_window_not_a_few_attempts(
    tracer_factory: Any, honeyhive_server: LocalServer
) -> None:
    clock = Clock()
    tracer = _with_sleep(tracer_factory(**HELD), clock.sleep, clock.time)
    fault = honeyhive_server.faults.fail_next(9, 429, path=BATCH)
    made = await _session(tracer, "s", 3)
    report = await tracer.flush(30)
    # Nine failures (more than the four attempts of before), then stored.
    assert fault.hits == 9
    assert len(clock.asked) == 9
    assert sum(clock.asked) < RETRY_WINDOW
    assert (report.sent, report.dropped) == (len(made), {})
    assert _stored(honeyhive_server) == set(made)


async def test_a_batch_is_given_up_once_the_next_wait_would_pass_the_window(
    tracer_factory: Any, honeyhive_server: LocalServer
) -> None:
    clock = Clock()
    dropped: list[str] = []
    tracer = _with_sleep(
        tracer_factory(on_drop=lambda reason, _r: dropped.append(reason), **HELD),
        clock.sleep,
        clock.time,
    )
    fault = honeyhive_server.faults.fail_next(1000, 429, path=BATCH)
    made = await _session(tracer, "s", 3)
    report = await tracer.flush(30)
    assert fault.hits == len(clock.asked) + 1  # a wait before each retry
    assert RETRY_WINDOW - 8.0 < sum(clock.asked) <= RETRY_WINDOW  # the next wait is 6 s or more
    assert fault.hits > 4
    assert report.dropped == {"export_failed": len(made)}
    assert dropped == ["export_failed"] * len(made)


async def test_retry_after_is_honoured_within_the_window(
    tracer_factory: Any, honeyhive_server: LocalServer
) -> None:
    clock = Clock()
    tracer = _with_sleep(tracer_factory(**HELD), clock.sleep, clock.time)
    honeyhive_server.faults.fail_next(3, 503, retry_after="5", path=BATCH)
    made = await _session(tracer, "s", 2)
    report = await tracer.flush(30)
    assert clock.asked == [5.0, 5.0, 5.0]
    assert (report.sent, report.dropped) == (len(made), {})


async def test_an_attempt_cap_still_caps(
    tracer_factory: Any, honeyhive_server: LocalServer
) -> None:
    clock = Clock()
    tracer = _with_sleep(tracer_factory(max_export_attempts=3, **HELD), clock.sleep, clock.time)
    fault = honeyhive_server.faults.fail_next(5, 429, path=BATCH)
    made = await _session(tracer, "s", 2)
    report = await tracer.flush(30)
    assert fault.hits == 3
    assert report.dropped == {"export_failed": len(made)}


async def test_every_event_is_accounted_once_with_many_chunks_and_random_faults(
    tracer_factory: Any, honeyhive_server: LocalServer
) -> None:
    clock = Clock()
    dropped: list[str] = []
    tracer = _with_sleep(
        tracer_factory(max_batch_size=7, on_drop=lambda _r, record: dropped.append(record)),
        clock.sleep,
        clock.time,
    )
    honeyhive_server.faults.randomize(0.3, seed=5)
    accepted = honeyhive_server.faults.log_accepted()
    made: list[str] = []
    for i in range(40):
        made += await _session(tracer, f"s{i}", 1 + i % 6)
    report = await tracer.flush(60)
    assert report.pending == 0
    assert report.dropped == {}
    assert not dropped
    assert report.sent == len(made)
    assert _stored(honeyhive_server) == set(made)
    assert accepted.stored_twice == {}


async def test_the_update_of_a_session_whose_start_was_dropped_is_not_sent(
    tracer_factory: Any, honeyhive_server: LocalServer
) -> None:
    tracer = tracer_factory(**HELD)
    fault = honeyhive_server.faults.fail_next(1, 400, path=SESSIONS)
    async with tracer.session("refused") as session:
        tracer._exporter.request_flush()  # its start goes out now, and is refused
        await _until(lambda: tracer.stats().dropped != {}, "the start is dropped")
        session.update(outputs={"done": True})
    report = await tracer.flush(30)
    assert fault.hits == 1
    assert report.dropped == {"session_start_failed": 1}
    assert report.failed_updates == 1  # counted, but no request made only to be told 404
    assert all(method != "PUT" for method, _, _ in _log(honeyhive_server))


async def test_the_close_of_a_started_session_passes_a_full_queue(
    tracer_factory: Any, honeyhive_server: LocalServer, client: AsyncHoneyHive
) -> None:
    gate = Gate()
    tracer = _with_sleep(tracer_factory(max_queue_size=5, max_batch_size=5, **HELD), gate.sleep)
    honeyhive_server.faults.fail_next(1, 503, retry_after="30", path=BATCH)
    async with tracer.session("busy") as session:
        tracer._exporter.request_flush()  # started while it runs
        await _until(lambda: session.event_id in _stored(honeyhive_server), "the start")
        for _ in range(12):  # the first batch backs off holding its events: the queue fills
            with trace_span("step"):
                pass
        await _until(lambda: bool(gate.asked), "the first batch backs off")
        assert "queue_full" in tracer.stats().dropped
        session.update(outputs={"done": True})
    # Its close came with the queue full: it was queued all the same.
    gate.open()
    report = await tracer.flush(30)
    assert report.failed_updates == 0
    assert report.pending == 0
    assert (await client.session.get(session.event_id)).outputs == {"done": True}


async def test_drain_keeps_two_chunks_active_and_adds_more_while_some_back_off() -> None:
    buffer: deque[Buffered] = deque((SPAN, None, None, 0) for _ in range(50))
    sent: list[asyncio.Future[None]] = []
    rounds = 0
    looked = asyncio.Event()

    def encode() -> None:
        nonlocal rounds
        rounds += 1
        looked.set()

    async def send_next() -> None:
        for _ in range(10):  # takes a chunk of 10 in its first step, as `Sender.send_next`
            buffer.popleft()
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        sent.append(done)
        await done

    async def rounds_pass(n: int) -> None:
        target = rounds + n
        while rounds < target:
            looked.clear()
            await looked.wait()

    sender = SimpleNamespace(backing_off=0)
    draining = asyncio.ensure_future(
        drain(encode, buffer, send_next, sender, SimpleNamespace(held=False), 10, 3600.0)
    )
    await rounds_pass(5)
    assert len(sent) == ACTIVE_CHUNKS == 2  # full batches wait, but two are on their way
    sender.backing_off = 1  # one of them waits out a backoff: another goes
    await rounds_pass(5)
    assert len(sent) == 3
    sender.backing_off = 3
    await rounds_pass(5)
    assert len(sent) == 5  # the buffer is empty
    for done in sent:
        done.set_result(None)
    await draining
    assert not buffer
