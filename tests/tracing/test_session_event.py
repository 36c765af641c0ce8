"""An ended session sent as an event of the batch: its accounting is an event's, and the
server holds it as it holds a session started with `POST /v1/sessions` (issue 14, target 1)."""

from __future__ import annotations

from typing import Any

from honeyhive_async import AsyncHoneyHive
from honeyhive_async.models import CreateEventRequest, EventFilter
from honeyhive_async.server import LocalServer
from honeyhive_async.tracing import Tracer, enrich_session, trace_span
from honeyhive_async.tracing._span import Session

SESSIONS = "/v1/sessions"
BATCH = "/v1/events/batch"
HELD = {"flush_interval": 3600.0}
FIELDS: dict[str, Any] = {
    "inputs": {"cart": 3},
    "metadata": {"env": "test"},
    "user_properties": {"user": "ada"},
    "config": {"model": "m1"},
}
SCORES: dict[str, Any] = {"metrics": {"score": 0.5}, "feedback": {"ok": True}}


async def _closed(tracer: Tracer, name: str = "checkout") -> Session:
    async with tracer.session(name, **FIELDS) as session:
        with trace_span("pay"):
            pass
        session.update(outputs={"paid": True})
        assert enrich_session(**SCORES)
    return session


def _batches(server: LocalServer) -> list[list[dict[str, Any]]]:
    return [r.json()["events"] for r in server.requests if r.path == BATCH]


def _paths(server: LocalServer) -> list[str]:
    return [r.path for r in server.requests]


async def test_a_batch_missing_the_session_event_re_sends_it(
    tracer_factory: Any, honeyhive_server: LocalServer, client: AsyncHoneyHive
) -> None:
    tracer = tracer_factory(**HELD)
    first, second = await _closed(tracer, "a"), await _closed(tracer, "b")
    # The batch is [a, b, a's span, b's span]: the server stores `a` only.
    honeyhive_server.faults.partial_batch(1)
    report = await tracer.flush(5)
    assert (report.sent, report.dropped, report.pending, report.retried) == (4, {}, 0, 3)
    assert _paths(honeyhive_server) == [BATCH, BATCH]
    resent = _batches(honeyhive_server)[1]
    resent_ids = [e["event_id"] for e in resent]
    assert resent_ids[0] == second.event_id
    assert first.event_id not in resent_ids
    for session in (first, second):
        stored = await client.session.get(session.event_id)
        assert (stored.outputs, stored.metrics, stored.feedback) == (
            {"paid": True},
            SCORES["metrics"],
            SCORES["feedback"],
        )


async def test_a_413_split_keeps_the_session_event(
    tracer_factory: Any, honeyhive_server: LocalServer, client: AsyncHoneyHive
) -> None:
    tracer = tracer_factory(**HELD)
    session = await _closed(tracer)
    honeyhive_server.faults.fail_next(1, 413, path=BATCH)
    report = await tracer.flush(5)
    assert (report.sent, report.dropped, report.pending) == (2, {}, 0)
    halves = _batches(honeyhive_server)[1:]
    assert [[e["event_type"] for e in half] for half in halves] == [["session"], ["chain"]]
    stored = await client.session.get(session.event_id)
    assert stored.metrics == SCORES["metrics"]
    assert len(stored.children_ids) == 1


async def test_a_rejected_batch_drops_the_session_once(
    tracer_factory: Any, honeyhive_server: LocalServer
) -> None:
    dropped: list[tuple[str, Any]] = []
    tracer = tracer_factory(
        max_export_attempts=1, on_drop=lambda reason, item: dropped.append((reason, item)), **HELD
    )
    honeyhive_server.faults.fail_next(1, 400, path=BATCH)
    session = await _closed(tracer)
    report = await tracer.flush(5)
    assert report.dropped == {"rejected_400": 2}
    assert (report.sent, report.pending, report.failed_updates) == (0, 0, 0)
    sessions = [(reason, item) for reason, item in dropped if isinstance(item, Session)]
    assert sessions == [("rejected_400", session)]
    assert len(dropped) == 2
    assert _paths(honeyhive_server) == [BATCH]  # no update for a session never stored


async def test_a_session_event_reads_as_a_started_session(
    tracer_factory: Any, honeyhive_server: LocalServer, client: AsyncHoneyHive
) -> None:
    tracer = tracer_factory(**HELD)
    # The same session twice: once started while open (POST /v1/sessions, then an update),
    # once ended before its start was sent (an event of the batch).
    async with tracer.session("checkout", **FIELDS) as opened:
        await tracer.flush(5)
        with trace_span("pay"):
            pass
        opened.update(outputs={"paid": True})
        assert enrich_session(**SCORES)
    await tracer.flush(5)
    assert _paths(honeyhive_server).count(SESSIONS) == 1
    batched = await _closed(tracer)
    report = await tracer.flush(5)
    assert (report.sent, report.dropped, report.failed_updates) == (4, {}, 0)
    assert _paths(honeyhive_server).count(SESSIONS) == 1

    compared = [
        "event_type",
        "event_name",
        "source",
        "parent_id",
        "inputs",
        "outputs",
        "config",
        "metadata",
        "metrics",
        "feedback",
        "user_properties",
    ]
    views = []
    for session in (opened, batched):
        event = (await client.session.get(session.event_id)).to_dict()
        assert event["session_id"] == event["event_id"] == session.event_id
        assert event["end_time"] >= event["start_time"]
        assert event["duration"] is not None
        assert len(event["children_ids"]) == 1
        tree = (await client.session.get_tree(session.event_id)).to_dict()
        assert [child["event_name"] for child in tree["children"]] == ["pay"]
        found = await client.events.search(
            filters=[EventFilter(field="event_type", operator="is", value="session")]
        )
        assert session.event_id in [e.event_id for e in found.events]
        views.append({name: event.get(name) for name in compared})
    assert views[0] == views[1]
    assert views[1]["metrics"] == SCORES["metrics"]


async def test_a_session_event_for_a_stored_session_merges_into_it(
    client: AsyncHoneyHive,
) -> None:
    started = await client.session.start(
        session_name="s", source="dev", inputs={"q": 1}, metadata={"a": 1}, start_time=1000
    )
    sid = started.event_id
    event = CreateEventRequest(
        event_type="session",
        inputs={"q": 2},
        event_id=sid,
        session_id=sid,
        event_name="s",
        outputs={"r": 1},
        metadata={"b": 2},
        metrics={"m": 1},
        end_time=1005,
    )
    await client.events.create_batch([event])
    stored = (await client.session.get(sid)).to_dict()
    # As a repeated start and an update would: merged objects, the end and outputs taken,
    # the start's inputs and start time kept.
    assert stored["metadata"] == {"a": 1, "b": 2}
    assert (stored["outputs"], stored["metrics"]) == ({"r": 1}, {"m": 1})
    assert (stored["inputs"], stored["start_time"]) == ({"q": 1}, 1000)
    assert stored["end_time"] == 1005
    # A new session in a batch is stored as it comes.
    fresh = CreateEventRequest(
        event_type="session", inputs={"q": 3}, event_id="s-2", session_id="s-2"
    )
    await client.events.create_batch([fresh])
    assert (await client.session.get("s-2")).to_dict()["inputs"] == {"q": 3}


async def test_ended_sessions_split_across_chunks_each_come_before_their_children(
    tracer_factory: Any, honeyhive_server: LocalServer, client: AsyncHoneyHive
) -> None:
    tracer = tracer_factory(max_batch_size=5, **HELD)
    sessions = [await _closed(tracer, f"s{i}") for i in range(12)]
    report = await tracer.flush(10)
    assert (report.sent, report.pending, report.dropped) == (24, 0, {})
    assert SESSIONS not in _paths(honeyhive_server)
    batches = _batches(honeyhive_server)
    # Chunks go out concurrently: their batches may arrive in any order, but never a
    # child before the batch that made its session.
    assert sorted(len(batch) for batch in batches) == [4, 5, 5, 5, 5]
    seen: set[str] = set()
    for batch in batches:
        for event in batch:
            if event["event_type"] != "session":
                assert event["session_id"] in seen  # its session went out before it
            seen.add(event["event_id"])
    for session in sessions:
        stored = await client.session.get(session.event_id)
        assert len(stored.children_ids) == 1
        assert stored.metrics == SCORES["metrics"]
