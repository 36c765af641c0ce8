"""Random faults (seeded) and the accept log, in process and through the admin routes."""

from __future__ import annotations

import uuid
from typing import Any

import aiohttp
import pytest

from honeyhive_async.server import LocalServer
from honeyhive_async.server.fault_log import AcceptLog
from honeyhive_async.server.fault_random import FAULT_KINDS, RandomFaults, batch_size

from .helpers import call, start_session


def _picks(plan: RandomFaults, n: int, *, batch: bool = True) -> list[str | None]:
    return [plan.pick("POST", "/v1/events/batch", batch=batch) for _ in range(n)]


def _events(n: int) -> list[dict[str, Any]]:
    return [{"event_id": str(uuid.uuid4()), "event_type": "tool", "inputs": {}} for _ in range(n)]


def test_one_seed_gives_one_sequence_and_another_seed_another() -> None:
    first = _picks(RandomFaults(0.2, seed=7), 2_000)
    assert first == _picks(RandomFaults(0.2, seed=7), 2_000)
    assert first != _picks(RandomFaults(0.2, seed=8), 2_000)


def test_the_rate_and_every_kind_show_in_a_seeded_run() -> None:
    plan = RandomFaults(0.2, seed=1)
    picks = _picks(plan, 10_000)
    failed = [kind for kind in picks if kind is not None]
    # Seeded, so the same counts every run; the bounds say the rate is the one asked for.
    assert 1_900 <= len(failed) <= 2_100
    assert set(failed) == set(FAULT_KINDS)
    assert plan.seen == 10_000
    assert sum(plan.applied.values()) == len(failed)
    assert all(1_900 // 5 - 100 <= plan.applied[kind] <= 2_100 // 5 + 100 for kind in FAULT_KINDS)


def test_rate_zero_never_fails_and_rate_one_always_does() -> None:
    assert _picks(RandomFaults(0.0, seed=3), 500) == [None] * 500
    assert None not in _picks(RandomFaults(1.0, seed=3), 500)


def test_kinds_limit_the_choice_and_partial_becomes_500_off_a_batch() -> None:
    assert set(_picks(RandomFaults(1.0, kinds=("429", "drop")), 200)) == {"429", "drop"}
    assert set(_picks(RandomFaults(1.0, kinds=("partial",)), 50, batch=False)) == {"500"}


def test_requests_the_plan_does_not_match_are_not_counted() -> None:
    plan = RandomFaults(1.0, method="POST", path="/v1/events/*")
    assert plan.pick("GET", "/v1/events/x", batch=False) is None
    assert plan.pick("POST", "/v1/sessions", batch=False) is None
    assert plan.pick("POST", "/v1/events/batch", batch=True) is not None
    assert plan.seen == 1


@pytest.mark.parametrize(
    ("rate", "kinds", "message"),
    [
        (1.5, FAULT_KINDS, "rate"),
        (-0.1, FAULT_KINDS, "rate"),
        (0.1, (), "kinds"),
        (0.1, ("x",), "x"),
    ],
)
def test_bad_plans_are_refused(rate: float, kinds: tuple[str, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RandomFaults(rate, kinds=kinds)


def test_head_of_a_partial_batch_leaves_at_least_one_event_out() -> None:
    plan = RandomFaults(1.0, seed=5)
    heads = [plan.head(3) for _ in range(200)]
    assert set(heads) == {0, 1, 2}
    assert plan.head(0) == 0


def test_batch_size_counts_events_and_is_zero_for_anything_else() -> None:
    assert batch_size(b'{"events": [{}, {"a": [1, 2]}, 3]}') == 3
    assert batch_size(b'{"other": 1}') == 0
    assert batch_size(b"not json") == 0


def test_accept_log_counts_ids_stored_more_than_once() -> None:
    log = AcceptLog()
    log.record(["a", "b"])
    log.record(["c"])
    assert (log.requests, log.stored, log.distinct, log.stored_twice) == (2, 3, 3, {})
    log.record(["a"])
    log.record(["a", "c"])
    assert log.stored_twice == {"a": 3, "c": 2}
    assert log.state() == {
        "requests": 4,
        "stored": 6,
        "distinct": 3,
        "stored_twice": 2,
        "examples": {"a": 3, "c": 2},
    }


def test_accept_log_reads_replies_it_understands_only() -> None:
    log = AcceptLog()
    log.record_reply(200, b'{"event_ids": ["a", "b"], "success": true}')
    log.record_reply(500, b'{"event_ids": ["c"], "success": false, "errorCode": "PARTIAL"}')
    log.record_reply(200, b'{"event_id": "s", "session_id": "s"}')
    log.record_reply(500, b'{"message": "Injected fault: HTTP 500"}')
    log.record_reply(400, b'{"event_ids": ["x"]}')
    log.record_reply(200, b"<html>")
    assert (log.requests, log.distinct) == (3, 4)
    assert [
        AcceptLog.logs(method, path)
        for method, path in [
            ("POST", "/v1/events/batch"),
            ("post", "/v1/sessions"),
            ("PUT", "/v1/events/a"),
            ("GET", "/v1/events"),
        ]
    ] == [True, True, False, False]


# -- through the server ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "status", "retry_after"),
    [("500", 500, "0"), ("503", 503, "0"), ("429", 429, None)],
)
async def test_status_kinds(
    server: LocalServer,
    client: aiohttp.ClientSession,
    kind: str,
    status: int,
    retry_after: str | None,
) -> None:
    server.faults.randomize(1.0, kinds=[kind])
    async with client.post("/v1/events/batch", json={"events": _events(2)}) as resp:
        assert resp.status == status
        assert resp.headers.get("Retry-After") == retry_after
        assert (await resp.json())["message"] == f"Injected fault: HTTP {status}"
    assert (server.store.count(), server.faults.hits) == (0, 1)


async def test_drop_kind_closes_the_connection_unhandled(
    server: LocalServer, client: aiohttp.ClientSession
) -> None:
    server.faults.randomize(1.0, kinds=["drop"])
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await client.post("/v1/events/batch", json={"events": _events(2)})
    assert server.store.count() == 0


async def test_partial_kind_stores_a_head_and_names_the_rest(
    server: LocalServer, client: aiohttp.ClientSession
) -> None:
    plan = server.faults.randomize(1.0, seed=11, kinds=["partial"])
    log = server.faults.log_accepted()
    events = _events(6)
    body = await call(client, "POST", "/v1/events/batch", {"events": events}, status=500)
    ids = [event["event_id"] for event in events]
    created = len(body["event_ids"])
    assert created < 6
    assert body["event_ids"] == ids[:created]
    assert [error["event_id"] for error in body["errors"]] == ids[created:]
    assert body["errorCode"] == "PARTIAL"
    assert server.store.count() == created
    assert (plan.applied["partial"], server.faults.hits, server.faults.pending) == (1, 1, ())
    assert (log.requests, log.distinct) == ((1, created) if created else (0, 0))


async def test_partial_kind_off_a_batch_is_a_500(
    server: LocalServer, client: aiohttp.ClientSession
) -> None:
    server.faults.randomize(1.0, kinds=["partial"])
    body = await call(client, "POST", "/v1/sessions", {"session_name": "s"}, status=500)
    assert body["errorCode"] == "INTERNAL_SERVER_ERROR"
    assert server.store.count() == 0


async def test_armed_faults_come_before_random_ones(
    server: LocalServer, client: aiohttp.ClientSession
) -> None:
    server.faults.randomize(1.0, kinds=["500"])
    server.faults.fail_next(1, 418)
    async with client.get("/v1/events/x") as resp:
        assert resp.status == 418
    async with client.get("/v1/events/x") as resp:
        assert resp.status == 500


async def test_same_seed_same_requests_same_answers() -> None:
    async def statuses(seed: int) -> list[int]:
        async with LocalServer() as server:
            server.faults.randomize(0.5, seed=seed, kinds=["500", "503", "429"])
            headers = {"Authorization": f"Bearer {server.api_key}"}
            async with aiohttp.ClientSession(base_url=server.url, headers=headers) as session:
                answers = []
                for _ in range(40):
                    async with session.get("/v1/events/x") as resp:
                        answers.append(resp.status)
                return answers

    first = await statuses(21)
    assert first == await statuses(21)
    assert {404, 500, 503, 429} <= set(first)
    assert first != await statuses(22)


async def test_accept_log_sees_each_stored_event_and_each_repeat(
    server: LocalServer, client: aiohttp.ClientSession
) -> None:
    log = server.faults.log_accepted()
    events = _events(3)
    await call(client, "POST", "/v1/events/batch", {"events": events})
    session = await start_session(client, session_name="s")
    await call(client, "POST", "/v1/events/batch", {"events": events[:1]})  # a re-send
    await call(client, "PUT", f"/v1/events/{session['session_id']}", {"metadata": {"a": 1}})
    await call(client, "POST", "/v1/events/batch", {"events": [{"bad": 1}]}, status=400)
    assert (log.requests, log.stored, log.distinct) == (3, 5, 4)
    assert log.stored_twice == {events[0]["event_id"]: 2}


async def test_admin_routes_turn_random_faults_and_the_log_on_and_off(
    server: LocalServer, client: aiohttp.ClientSession
) -> None:
    await call(client, "GET", "/_faults/random", status=404)
    await call(client, "GET", "/_faults/accepted", status=404)
    plan = {"rate": 1.0, "seed": 4, "kinds": ["503"], "method": "POST", "path": "/v1/events*"}
    state = await call(client, "POST", "/_faults/random", plan)
    assert state == {"success": True, **plan, "seen": 0, "applied": {}}
    assert await call(client, "POST", "/_faults/accepted") == {"success": True}
    await call(client, "POST", "/v1/events/batch", {"events": _events(1)}, status=503)
    await start_session(client)  # not matched by the plan: served, and logged
    # The admin routes themselves are never faulted, whatever the plan matches.
    assert (await call(client, "GET", "/_faults/random"))["applied"] == {"503": 1}
    accepted = await call(client, "GET", "/_faults/accepted")
    assert (accepted["requests"], accepted["distinct"], accepted["stored_twice"]) == (1, 1, 0)
    await call(client, "DELETE", "/_faults")
    await call(client, "GET", "/_faults/random", status=404)
    await call(client, "POST", "/v1/events/batch", {"events": _events(1)})
    # Nor are they kept in the request log.
    paths = [r.path for r in server.requests]
    assert paths == ["/v1/events/batch", "/v1/sessions", "/v1/events/batch"]


@pytest.mark.parametrize(
    "plan",
    [{"rate": 2}, {"rate": 0.1, "kinds": ["teapot"]}, {"rate": 0.1, "extra": 1}, {}],
)
async def test_admin_route_refuses_bad_plans(
    server: LocalServer, client: aiohttp.ClientSession, plan: dict[str, object]
) -> None:
    await call(client, "POST", "/_faults/random", plan, status=400)
    assert server.faults.random is None
