"""Overflow while the server is down: every event accounted for exactly once, memory flat.

Issue 14, "In the test suite", second bullet. "Down" is a port nothing listens on (connection
refused), then, for the accounting test, a server that comes up on that port. Producers in
several threads outrun a small queue. Whatever happens to an event, it ends in exactly one
place: stored by the server (and counted sent), or dropped (counted by reason, handed to
`on_drop` exactly once).
"""

from __future__ import annotations

import gc
import socket
import threading
import tracemalloc
from collections import Counter
from typing import Any

from honeyhive_async import AsyncHoneyHive
from honeyhive_async.server import LocalServer
from honeyhive_async.tracing import Tracer, current_span, trace
from honeyhive_async.tracing._span import MAX_CHILDREN

KEY = "down-key-not-secret"


def _refusing_port() -> int:
    """A loopback port nothing listens on (connections are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _tracer(port: int, **options: Any) -> Tracer:
    client = AsyncHoneyHive(KEY, base_url=f"http://127.0.0.1:{port}", max_retries=0)
    options.setdefault("flush_at_exit", False)
    return Tracer(client, set_default=False, **options)


def _produce(tracer: Tracer, threads: int, per_thread: int, ids: list[str]) -> None:
    """Run `threads * per_thread` traced calls from several threads at once; collect ids."""

    @trace(tracer=tracer, event_name="unit")
    def unit(i: int) -> None:
        span = current_span()
        assert span is not None
        ids.append(span.event_id)  # list.append is atomic under the GIL

    def work() -> None:
        for i in range(per_thread):
            unit(i)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


async def test_with_the_server_down_then_up_each_event_is_dropped_or_stored_exactly_once() -> None:
    port = _refusing_port()
    dropped: list[tuple[str, str]] = []
    tracer = _tracer(
        port,
        max_queue_size=50,
        max_batch_size=20,
        max_export_attempts=1,
        on_drop=lambda reason, record: dropped.append((reason, record.event_id)),
    )
    produced: list[str] = []
    _produce(tracer, threads=4, per_thread=500, ids=produced)
    down = await tracer.flush(30)
    assert down.sent == 0
    assert down.pending == 0
    assert set(down.dropped) <= {"queue_full", "export_failed", "session_start_failed"}
    assert down.dropped["queue_full"] > 0  # the producers did outrun the queue

    async with LocalServer(api_key=KEY, port=port) as server:
        _produce(tracer, threads=2, per_thread=300, ids=produced)
        report = await tracer.aclose(30)
        stored = {event_id for (event_id,) in server.store.db.read("SELECT event_id FROM events")}

    session = {event_id for reason, event_id in dropped if reason == "session_start_failed"}
    assert len(session) == 1  # the default session's start, refused while the server was down
    everything = set(produced) | session
    assert len(everything) == len(produced) + 1 == 2601
    dropped_ids = [event_id for _, event_id in dropped]
    assert len(set(dropped_ids)) == len(dropped_ids)  # on_drop once per dropped event
    assert stored.isdisjoint(dropped_ids)  # nothing counted dropped that the server holds
    assert stored | set(dropped_ids) == everything  # and nothing lost without a count
    assert stored  # the server did receive the later events
    assert report.pending == 0
    assert report.sent == len(stored)
    assert report.dropped_total == len(dropped_ids) == len(everything) - len(stored)
    assert report.dropped == dict(Counter(reason for reason, _ in dropped))


def test_memory_is_flat_while_the_server_is_down() -> None:
    # A service's shape: a session per request, 10 spans each carrying 2 KB of input. The
    # measure is every Python allocation (tracemalloc): the tracer's queue, buffer, ledger,
    # records and on_drop included. After a warm-up (the exporter thread, its loop and client,
    # caches), 5,000 events, then 20,000 more: anything kept per event (even one small object,
    # 28 bytes and up) would add 560 KB or more; the peak would climb with what waits.
    drops = Counter[str]()
    tracer = _tracer(
        _refusing_port(),
        max_queue_size=200,
        max_export_attempts=1,
        on_drop=lambda reason, record: drops.update((reason,)),
    )
    payload = "p" * 2048

    @trace(tracer=tracer, event_name="big")
    def big(data: str) -> None: ...

    def produce(events: int) -> tuple[int, int]:
        tracemalloc.reset_peak()
        for _ in range(events // 10):
            with tracer.session("request"):
                for _ in range(10):
                    big(payload)
        assert tracer.flush_sync(60).pending == 0
        gc.collect()
        return tracemalloc.get_traced_memory()

    tracemalloc.start()
    try:
        produce(2_000)
        after_5k, peak_5k = produce(5_000)
        after_25k, peak_25k = produce(20_000)
    finally:
        tracemalloc.stop()
        report = tracer.close_sync(10)
    assert report.sent == 0
    assert report.dropped_total == sum(drops.values()) == 27_000 + 2_700  # spans, sessions
    assert after_25k - after_5k < 20_000 * 10
    assert peak_25k < 2 * peak_5k


def test_memory_is_flat_in_the_default_session_once_its_children_list_is_full() -> None:
    # The default session keeps its children's ids for its `children_ids`, up to
    # MAX_CHILDREN (about 56 bytes each): past that, nothing more is kept per span.
    tracer = _tracer(_refusing_port(), max_queue_size=200, max_export_attempts=1)

    @trace(tracer=tracer, event_name="unit")
    def unit() -> None: ...

    def produce(events: int) -> int:
        for _ in range(events):
            unit()
        assert tracer.flush_sync(60).pending == 0
        gc.collect()
        return tracemalloc.get_traced_memory()[0]

    tracemalloc.start()
    try:
        produce(MAX_CHILDREN + 1_000)
        after_warm_up = produce(5_000)
        after_20k = produce(20_000)
    finally:
        tracemalloc.stop()
        tracer.close_sync(10)
    assert after_20k - after_warm_up < 20_000 * 10
