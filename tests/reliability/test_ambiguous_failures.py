"""A reply lost after the server stored the events: none counted dropped, none stored twice.

Issue 14, "In the test suite", last bullet. The fault switch's `lose_reply` lets the server
handle a request, then drops the connection without answering: the exporter cannot tell
whether the events were stored. Its re-send carries the same client-made `event_id`s, which
the server upserts: the request log shows the same ids sent again, the store holds each once,
and the report counts each event sent, once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from honeyhive_async import AsyncHoneyHive
from honeyhive_async.server import LocalServer
from honeyhive_async.tracing import Tracer, trace
from tests.integration.conftest import Scripted, ScriptedServer
from tests.tracing.conftest import make_tracer

BATCH = "/v1/events/batch"
SESSIONS = "/v1/sessions"


@pytest.fixture
async def tracers(honeyhive_server: LocalServer) -> AsyncIterator[Callable[..., Tracer]]:
    made: list[Tracer] = []

    def factory(**options: Any) -> Tracer:
        made.append(make_tracer(honeyhive_server, set_default=False, **options))
        return made[-1]

    yield factory
    for tracer in made:
        await tracer.aclose(5)


def _run(tracer: Tracer, n: int) -> None:
    @trace(tracer=tracer, event_name="unit")
    def unit(i: int) -> int:
        return i

    for i in range(n):
        unit(i)


def _sent_ids(server: LocalServer) -> Counter[str]:
    """How often each event id was sent in a batch (the request log)."""
    return Counter(
        e["event_id"] for r in server.requests if r.path == BATCH for e in r.json()["events"]
    )


def _stored(server: LocalServer) -> Counter[str]:
    """How often each event id is stored (non-session events)."""
    rows = server.store.db.read("SELECT event_id FROM events WHERE event_type != 'session'")
    return Counter(event_id for (event_id,) in rows)


async def test_a_batch_whose_reply_was_lost_is_re_sent_and_stored_once(
    tracers: Callable[..., Tracer], honeyhive_server: LocalServer
) -> None:
    dropped: list[str] = []
    tracer = tracers(max_batch_size=100, on_drop=lambda reason, record: dropped.append(reason))
    lost = honeyhive_server.faults.fail_next(1, lose_reply=True, path=BATCH)
    _run(tracer, 40)
    report = await tracer.flush(10)
    assert lost.hits == 1
    sent = _sent_ids(honeyhive_server)
    assert len(sent) == 40
    assert set(sent.values()) == {2}  # stored by the first send, then sent again
    stored = _stored(honeyhive_server)
    assert stored == Counter(dict.fromkeys(sent, 1))
    assert (report.sent, report.dropped, report.pending, dropped) == (41, {}, 0, [])
    assert report.retried == 40


async def test_replies_lost_on_every_attempt_but_the_last_cost_nothing(
    tracers: Callable[..., Tracer], honeyhive_server: LocalServer
) -> None:
    tracer = tracers(max_export_attempts=4, max_batch_size=100)
    honeyhive_server.faults.fail_next(3, lose_reply=True, path=BATCH)
    _run(tracer, 25)
    report = await tracer.flush(20)
    assert set(_sent_ids(honeyhive_server).values()) == {4}
    assert set(_stored(honeyhive_server).values()) == {1}
    assert len(_stored(honeyhive_server)) == 25
    assert (report.sent, report.dropped, report.pending) == (26, {}, 0)


async def test_a_batch_stored_in_part_whose_reply_was_lost_stores_each_event_once(
    tracers: Callable[..., Tracer], honeyhive_server: LocalServer
) -> None:
    # The server stored 10 of 30, then the connection dropped: the client knows nothing and
    # sends all 30 again; 10 are stored a second time over themselves, 20 for the first time.
    tracer = tracers(max_export_attempts=4, max_batch_size=100)
    honeyhive_server.faults.partial_batch(10)
    honeyhive_server.faults.fail_next(1, lose_reply=True, path=BATCH)
    _run(tracer, 30)
    report = await tracer.flush(20)
    sent = _sent_ids(honeyhive_server)
    assert set(sent.values()) == {2}
    assert len(_stored(honeyhive_server)) == 30
    assert set(_stored(honeyhive_server).values()) == {1}
    assert (report.sent, report.dropped, report.pending) == (31, {}, 0)


async def test_a_session_close_whose_reply_was_lost_is_applied_once(
    tracers: Callable[..., Tracer], honeyhive_server: LocalServer
) -> None:
    tracer = tracers()
    lost = honeyhive_server.faults.fail_next(1, lose_reply=True, method="PUT", path="/v1/events/*")
    async with tracer.session("ambiguous") as session:
        _run(tracer, 3)
        await tracer.flush(10)  # started while open: its close goes out as an update
    report = await tracer.flush(10)
    assert lost.hits == 1
    assert (report.sent, report.dropped, report.failed_updates) == (4, {}, 0)
    stored = honeyhive_server.store.get_session(session.event_id)
    assert stored is not None
    assert sorted(stored["children_ids"]) == sorted(_stored(honeyhive_server))
    assert honeyhive_server.store.count(session.event_id) == 4


async def test_the_last_attempt_lost_its_reply_and_the_server_holds_the_events(
    tracers: Callable[..., Tracer], honeyhive_server: LocalServer
) -> None:
    dropped: list[str] = []
    tracer = tracers(max_export_attempts=2, on_drop=lambda reason, record: dropped.append(reason))
    honeyhive_server.faults.fail_next(2, lose_reply=True, path=BATCH)
    _run(tracer, 5)
    report = await tracer.flush(20)
    assert len(_stored(honeyhive_server)) == 5
    assert (report.dropped, dropped) == ({}, [])
    assert report.sent == 6


async def test_the_session_start_lost_on_the_last_attempt_is_not_dropped(
    tracers: Callable[..., Tracer], honeyhive_server: LocalServer
) -> None:
    tracer = tracers(max_export_attempts=2)
    honeyhive_server.faults.fail_next(2, lose_reply=True, path=SESSIONS)
    async with tracer.session("lost-start") as session:
        _run(tracer, 2)
        await tracer.flush(20)  # started while open (an ended one rides in the batch)
    report = await tracer.flush(20)
    assert honeyhive_server.store.get_session(session.event_id) is not None
    assert (report.sent, report.dropped) == (3, {})


async def test_an_ended_session_whose_last_batch_lost_its_reply_is_not_dropped(
    tracers: Callable[..., Tracer], honeyhive_server: LocalServer
) -> None:
    dropped: list[str] = []
    tracer = tracers(max_export_attempts=2, on_drop=lambda reason, record: dropped.append(reason))
    honeyhive_server.faults.fail_next(2, lose_reply=True, path=BATCH)
    async with tracer.session("lost-batch") as session:
        _run(tracer, 2)
    report = await tracer.flush(20)
    assert SESSIONS not in [r.path for r in honeyhive_server.requests]
    assert honeyhive_server.store.get_session(session.event_id) is not None
    assert (report.sent, report.dropped, dropped) == (3, {}, [])


async def test_a_last_attempt_stored_in_part_counts_only_the_rest_dropped(
    tracers: Callable[..., Tracer], honeyhive_server: LocalServer
) -> None:
    # One attempt: the server stores 2 of 5 and the connection drops. The 2 it holds are
    # sent; the 3 it does not are dropped, each handed to on_drop once.
    dropped: list[str] = []
    tracer = tracers(max_export_attempts=1, on_drop=lambda reason, record: dropped.append(reason))
    honeyhive_server.faults.partial_batch(2)
    honeyhive_server.faults.fail_next(1, lose_reply=True, path=BATCH)
    _run(tracer, 5)
    report = await tracer.flush(20)
    assert len(_stored(honeyhive_server)) == 2
    assert report.dropped == {"export_failed": 3}
    assert dropped == ["export_failed"] * 3
    assert (report.sent, report.pending) == (1 + 2, 0)


@pytest.mark.parametrize(("status", "looked_up"), [(503, 0), (429, 0), (502, 3), (504, 3)])
async def test_only_an_answer_that_may_hide_a_store_is_followed_by_look_ups(
    tracers: Callable[..., Tracer], honeyhive_server: LocalServer, status: int, looked_up: int
) -> None:
    # 503 and 429 say nothing was done: an overloaded server is not asked about each event.
    # A gateway's 502 or 504 may hide a store behind it: each event is looked up (here the
    # fault answered before the handler, so none is found and all are dropped).
    tracer = tracers(max_export_attempts=1)
    honeyhive_server.faults.fail_next(1, status, retry_after="0", path=BATCH)
    _run(tracer, 3)
    report = await tracer.flush(20)
    assert report.dropped == {"export_failed": 3}
    gets = [r for r in honeyhive_server.requests if r.method == "GET"]
    assert len(gets) == looked_up
    assert all(r.path.startswith("/v1/events/") for r in gets)


async def test_a_stored_batch_answered_with_an_undecodable_body_is_sent(
    scripted: ScriptedServer,
) -> None:
    # A 2xx came back, so the server acted; its body did not decode. The events it holds
    # (every look-up finds one here) count sent, not dropped.
    scripted.then(
        Scripted(200, body=b'{"event_id": "s"}'),  # the session start
        Scripted(200, body=b"<html>stored, then a proxy mangled the reply</html>"),
    )
    scripted.default = Scripted(200, body=b'{"event": {"event_id": "found"}}')
    client = AsyncHoneyHive("scripted-key", base_url=scripted.url, max_retries=0)
    tracer = Tracer(client, max_export_attempts=1, flush_at_exit=False, set_default=False)
    try:
        _run(tracer, 3)
        report = await tracer.flush(20)
    finally:
        await tracer.aclose(5)
    assert (report.sent, report.dropped) == (4, {})
    looked_up = [path for method, path in scripted.seen if method == "GET"]
    assert len(looked_up) == 3
    assert all(path.startswith("/v1/events/") for path in looked_up)


async def test_a_timed_out_batch_is_not_followed_by_look_ups(
    tracers: Callable[..., Tracer], honeyhive_server: LocalServer
) -> None:
    # A server too slow to answer would stall the exporter on each look-up as well.
    tracer = tracers(max_export_attempts=1, export_timeout=0.2)
    slow = honeyhive_server.faults.delay_next(30, path=BATCH)
    _run(tracer, 3)
    report = await tracer.flush(20)
    assert slow.hits == 1
    assert report.dropped == {"export_failed": 3}
    assert not [r for r in honeyhive_server.requests if r.method == "GET"]
