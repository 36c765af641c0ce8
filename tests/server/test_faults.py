"""The fault switch, in process (`server.faults`) and through the admin route."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from honeyhive_async.server import LocalServer

from .helpers import call, create_event


async def test_status_fault_with_retry_after_headers(
    server: LocalServer, client: aiohttp.ClientSession
) -> None:
    fault = server.faults.fail_next(2, 429, retry_after="3", retry_after_ms=2500)
    for _ in range(2):
        async with client.post("/v1/events", json={"event_type": "tool", "inputs": {}}) as resp:
            assert resp.status == 429
            assert resp.headers["Retry-After"] == "3"
            assert resp.headers["retry-after-ms"] == "2500"
            assert len(resp.headers["x-request-id"]) == 32
            assert await resp.json() == {
                "message": "Injected fault: HTTP 429",
                "errorCode": "TOO_MANY_REQUESTS",
            }
    await create_event(client)  # used up after n requests
    assert (fault.hits, server.faults.hits, server.faults.pending) == (2, 2, ())
    assert server.store.count() == 1


async def test_default_fault_is_a_503_without_retry_headers(
    server: LocalServer, client: aiohttp.ClientSession
) -> None:
    server.faults.fail_next()
    async with client.get("/v1/events/x") as resp:
        assert resp.status == 503
        assert "Retry-After" not in resp.headers
        assert (await resp.json())["errorCode"] == "SERVICE_UNAVAILABLE"


async def test_faults_match_method_and_path(
    server: LocalServer, client: aiohttp.ClientSession
) -> None:
    server.faults.fail_next(1, 500, method="put", path="/v1/events/*")
    event_id = await create_event(client)  # POST /v1/events: no match
    await call(client, "GET", f"/v1/events/{event_id}")  # GET: no match
    body = await call(client, "PUT", f"/v1/events/{event_id}", {"metadata": {}}, status=500)
    assert body["errorCode"] == "INTERNAL_SERVER_ERROR"
    await call(client, "PUT", f"/v1/events/{event_id}", {"metadata": {}})


async def test_faults_apply_in_arming_order(
    server: LocalServer, client: aiohttp.ClientSession
) -> None:
    server.faults.fail_next(1, 502)
    server.faults.fail_next(1, 504)
    statuses = []
    for _ in range(3):
        async with client.get("/_faults") as resp:  # the admin route is never faulted
            assert resp.status == 200
        async with client.get("/v1/events/x") as resp:
            statuses.append(resp.status)
    assert statuses == [502, 504, 404]


async def test_unauthenticated_requests_do_not_use_up_faults(server: LocalServer) -> None:
    server.faults.fail_next()
    async with (
        aiohttp.ClientSession(base_url=server.url) as session,
        session.get("/v1/events/x") as resp,
    ):
        assert resp.status == 401
    assert len(server.faults.pending) == 1


async def test_raw_body_fault(server: LocalServer, client: aiohttp.ClientSession) -> None:
    server.faults.fail_next(body=b'{"success": tr')
    server.faults.fail_next(status=502, body=b"<html>Bad gateway</html>", content_type="text/html")
    async with client.post("/v1/events", json={"event_type": "tool", "inputs": {}}) as resp:
        assert resp.status == 200
        assert resp.content_type == "application/json"
        assert await resp.read() == b'{"success": tr'
    async with client.get("/v1/events/x") as resp:
        assert resp.status == 502
        assert resp.content_type == "text/html"
        assert await resp.text() == "<html>Bad gateway</html>"
    assert server.store.count() == 0


async def test_delay_without_status_is_slow_but_successful(
    server: LocalServer, client: aiohttp.ClientSession
) -> None:
    server.faults.delay_next(0.2, path="/v1/events")
    started = time.monotonic()
    event_id = await create_event(client)
    assert time.monotonic() - started >= 0.19  # timers may fire a hair early
    assert server.store.get_event(event_id) is not None


async def test_delay_with_status(server: LocalServer, client: aiohttp.ClientSession) -> None:
    server.faults.fail_next(1, 503, delay=0.1, retry_after="1")
    started = time.monotonic()
    async with client.get("/v1/events/x") as resp:
        assert resp.status == 503
        assert resp.headers["Retry-After"] == "1"
    assert time.monotonic() - started >= 0.09  # timers may fire a hair early


async def test_drop_closes_the_connection_without_a_response(
    server: LocalServer, client: aiohttp.ClientSession
) -> None:
    server.faults.drop_next()
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await client.post("/v1/events", json={"event_type": "tool", "inputs": {}})
    assert server.store.count() == 0
    await create_event(client)  # the next request works on a new connection


async def test_drop_of_an_idempotent_request_needs_two(
    server: LocalServer, client: aiohttp.ClientSession
) -> None:
    # aiohttp resends GET/PUT/DELETE once after a disconnect.
    server.faults.drop_next(2, method="GET")
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await client.get("/v1/events/x")
    assert server.faults.hits == 2


async def test_hang_until_the_client_times_out(
    server: LocalServer, client: aiohttp.ClientSession
) -> None:
    server.faults.hang_next(path="/v1/events")
    with pytest.raises(asyncio.TimeoutError):
        await client.post(
            "/v1/events",
            json={"event_type": "tool", "inputs": {}},
            timeout=aiohttp.ClientTimeout(total=0.2),
        )
    assert server.store.count() == 0
    await create_event(client)


async def test_close_releases_hanging_requests_promptly() -> None:
    # Waiting out in-flight requests would take an hour: close() returns because the hanging
    # request was released, not because the wait ran out.
    server = await LocalServer(shutdown_timeout=3600).start()
    fault = server.faults.hang_next()
    headers = {"Authorization": f"Bearer {server.api_key}"}
    async with aiohttp.ClientSession(base_url=server.url, headers=headers) as session:
        request = asyncio.ensure_future(session.post("/v1/sessions", json={}))
        await fault.wait_hit()
        await server.close()
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await request


async def test_clear(server: LocalServer, client: aiohttp.ClientSession) -> None:
    server.faults.fail_next(5)
    async with client.get("/v1/events/x") as resp:
        assert resp.status == 503
    server.faults.clear()
    assert (server.faults.pending, server.faults.hits) == ((), 0)
    async with client.get("/v1/events/x") as resp:
        assert resp.status == 404


@pytest.mark.parametrize(
    "kwargs",
    [{"n": 0}, {"status": 99}, {"status": 600}, {"delay": -1}],
)
def test_fail_next_rejects_bad_arguments(server: LocalServer, kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        server.faults.fail_next(**kwargs)  # type: ignore[arg-type]


async def test_admin_route_arms_status_faults(
    server: LocalServer, client: aiohttp.ClientSession
) -> None:
    armed = {"n": 2, "status": 503, "retry_after": 0, "path": "/v1/events/*"}
    assert await call(client, "POST", "/_faults", armed) == {
        "success": True,
        "pending": 1,
        "hits": 0,
    }
    for _ in range(2):
        async with client.get("/v1/events/x") as resp:
            assert (resp.status, resp.headers["Retry-After"]) == (503, "0")
    assert await call(client, "GET", "/_faults") == {"pending": 0, "hits": 2}


async def test_admin_route_arms_body_drop_and_partial_batch(
    server: LocalServer, client: aiohttp.ClientSession
) -> None:
    await call(client, "POST", "/_faults", {"body": "<html>", "content_type": "text/html"})
    async with client.get("/v1/events/x") as resp:
        assert (resp.status, await resp.text()) == (200, "<html>")

    await call(client, "POST", "/_faults", {"drop": True, "method": "POST"})
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await client.post("/v1/sessions", json={})

    await call(client, "POST", "/_faults", {"partial_batch": 1})
    events = [{"event_type": "tool", "inputs": {}}] * 2
    body = await call(client, "POST", "/v1/events/batch", {"events": events}, status=500)
    assert (len(body["event_ids"]), len(body["errors"])) == (1, 1)


async def test_admin_route_validates_and_clears(
    server: LocalServer, client: aiohttp.ClientSession
) -> None:
    body = await call(client, "POST", "/_faults", {"status": 42}, status=400)
    assert "status" in body["message"]
    await call(client, "POST", "/_faults", {"n": 3})
    assert await call(client, "DELETE", "/_faults") == {"success": True}
    assert server.faults.pending == ()


@pytest.mark.parametrize(
    "fault",
    [
        {"status": 429, "retry_after": "1\r\nX-Injected: yes"},
        {"status": 200, "body": "x", "content_type": "text/plain\n"},
        {"status": 429, "retry_after": "1\x00"},
    ],
)
async def test_header_values_with_control_characters_are_refused_when_armed(
    server: LocalServer, client: aiohttp.ClientSession, fault: dict[str, object]
) -> None:
    # Armed, such a header could not be sent: the faulted request would get no clean answer.
    body = await call(client, "POST", "/_faults", fault, status=400)
    field = "retry_after" if "retry_after" in fault else "content_type"
    assert f"{field} must not contain control characters" in body["message"]
    assert server.faults.pending == ()
    await create_event(client)


def test_fail_next_refuses_header_values_with_control_characters(server: LocalServer) -> None:
    with pytest.raises(ValueError, match="retry_after"):
        server.faults.fail_next(1, 429, retry_after="1\n")
    with pytest.raises(ValueError, match="content_type"):
        server.faults.fail_next(1, 200, body=b"x", content_type="text/plain\r")
    server.faults.fail_next(1, 429, retry_after="\t1")  # a tab is allowed in a header
    assert len(server.faults.pending) == 1
