"""One connection pool per client, shared by its `with_options` views, bounded, and closed once."""

from __future__ import annotations

import asyncio

import pytest

from honeyhive_async import (
    APIConnectionError,
    AsyncHoneyHive,
    ClientClosedError,
    InternalServerError,
)
from honeyhive_async.server import LocalServer
from tests.integration.conftest import FAST_RETRY, ClientFactory, ConnectionProbe, sent


async def test_concurrent_calls_share_one_session_and_respect_the_connection_limit(
    server: LocalServer,
    make_client: ClientFactory,
    session_id: str,
    connection_probe: ConnectionProbe,
) -> None:
    client = make_client(connection_limit=4)
    await client.session.get(session_id)
    session = client._transport._session
    assert session is not None
    # Every answer is held back a little so that the 50 calls really overlap.
    slow = server.faults.delay_next(0.02, n=50)

    events = await asyncio.gather(*(client.session.get(session_id) for _ in range(50)))

    assert {event.event_id for event in events} == {session_id}
    assert slow.hits == 50
    assert client._transport._session is session
    assert session.connector is not None
    assert session.connector.limit == 4
    assert connection_probe.peak_open == 4
    # 51 requests, and the server only ever saw the first call's connection and 3 more.
    assert len(connection_probe.peers) == 4
    assert len(sent(server, "GET", f"/session/{session_id}")) == 51


async def test_with_options_views_share_the_pool_but_not_the_settings(
    server: LocalServer,
    make_client: ClientFactory,
    session_id: str,
    connection_probe: ConnectionProbe,
) -> None:
    client = make_client(timeout=5.0, max_retries=2)
    view = client.with_options(timeout=2.0, max_retries=0)

    await client.session.get(session_id)
    await view.session.get(session_id)
    await view.with_options(timeout=1.0).events.search(limit=1)

    assert view._transport is client._transport
    assert view._transport._session is client._transport._session
    assert view.session is not client.session
    assert (view.timeout.total, view.max_retries) == (2.0, 0)
    assert (client.timeout.total, client.max_retries) == (5.0, 2)
    # Three calls, one after the other, over the same keep-alive connection.
    assert len(connection_probe.peers) == 1
    assert connection_probe.peak_open == 1

    server.faults.fail_next(1, 503, retry_after=FAST_RETRY)
    with pytest.raises(InternalServerError):
        await view.session.get(session_id)
    await client.session.get(session_id)
    assert len(sent(server, "GET", f"/session/{session_id}")) == 4


async def test_a_closed_client_and_its_views_refuse_further_calls(
    server: LocalServer, make_client: ClientFactory, session_id: str
) -> None:
    client = make_client()
    view = client.with_options(timeout=1.0)
    await view.session.get(session_id)
    session = client._transport._session
    assert session is not None

    await view.aclose()

    assert client.is_closed
    assert view.is_closed
    assert session.closed
    before = len(server.requests)
    for target in (client, view, client.with_options(max_retries=0)):
        with pytest.raises(ClientClosedError):
            await target.session.get(session_id)
        with pytest.raises(ClientClosedError):
            await target.events.create_batch([{"event_type": "tool", "inputs": {}}])
    assert len(server.requests) == before
    await client.aclose()  # closing twice is harmless


async def test_async_with_closes_the_pool(server: LocalServer, session_id: str) -> None:
    async with AsyncHoneyHive(server.api_key, base_url=server.url) as client:
        await client.session.get(session_id)
        session = client._transport._session
        assert session is not None
        assert not session.closed
    assert session.closed
    assert client.is_closed


async def test_a_call_unsafe_to_repeat_leaves_once_when_a_kept_alive_connection_drops(
    server: LocalServer, make_client: ClientFactory
) -> None:
    # aiohttp re-sends a PUT by itself when a reused connection drops before the reply. A
    # rename repeated after it succeeded would report "Project old not found".
    client = make_client(max_retries=0)
    await client.projects.create(name="old")  # the pool now holds a kept-alive connection
    server.faults.fail_next(1, lose_reply=True, path="/v1/projects")

    with pytest.raises(APIConnectionError):
        await client.projects.update(name="old", new_name="new")

    assert len(sent(server, "PUT", "/v1/projects")) == 1
    assert [project.name for project in await client.projects.list()] == ["new"]
    transport = client._transport
    assert transport._send_once is not None
    assert transport._session is not None
    assert transport._send_once.connector is transport._session.connector  # one pool


async def test_an_idempotent_put_still_survives_a_dropped_kept_alive_connection(
    server: LocalServer, make_client: ClientFactory
) -> None:
    client = make_client(max_retries=0)
    await client.projects.create(name="p")
    server.faults.fail_next(1, lose_reply=True, path="/v1/projects")

    await client.projects.update(name="p", description="same either way")

    assert len(sent(server, "PUT", "/v1/projects")) == 2  # aiohttp's one re-send, as before
