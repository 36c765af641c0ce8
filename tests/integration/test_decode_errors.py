"""A 2xx body that is not the documented JSON raises `APIResponseDecodeError`, never retried."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from honeyhive_async import APIResponseDecodeError, AsyncHoneyHive
from honeyhive_async.server import LocalServer
from tests.integration.conftest import sent

TRUNCATED = b'{"event_id": "x", "start'
HTML = b"<html><body><h1>502 Bad Gateway</h1></body></html>"


async def test_a_truncated_body_names_the_route_and_shows_the_first_bytes(
    server: LocalServer, client: AsyncHoneyHive, session_id: str
) -> None:
    path = f"/session/{session_id}"
    server.faults.fail_next(body=TRUNCATED, status=200, path=path)

    with pytest.raises(APIResponseDecodeError) as caught:
        await client.session.get(session_id)

    exc = caught.value
    assert f"GET {path}" in str(exc)
    assert repr(TRUNCATED) in str(exc)
    assert exc.status == 200
    assert exc.body == TRUNCATED
    assert exc.method == "GET"
    assert exc.path == path
    assert exc.reason
    assert len(sent(server, "GET", path)) == 1


async def test_an_html_page_with_status_200_is_a_decode_error(
    server: LocalServer, client: AsyncHoneyHive, session_id: str
) -> None:
    path = f"/session/{session_id}"
    server.faults.fail_next(body=HTML, status=200, content_type="text/html", path=path)

    with pytest.raises(APIResponseDecodeError) as caught:
        await client.session.get(session_id)

    assert f"GET {path}" in str(caught.value)
    assert "<html><body><h1>502 Bad Gateway" in str(caught.value)
    assert len(sent(server, "GET", path)) == 1


Call = Callable[[AsyncHoneyHive], Awaitable[object]]


async def _get_event(client: AsyncHoneyHive) -> object:
    return await client.events.get("e1")


async def _search(client: AsyncHoneyHive) -> object:
    return await client.events.search(limit=1)


async def _start(client: AsyncHoneyHive) -> object:
    return await client.session.start()


async def _tree(client: AsyncHoneyHive) -> object:
    return await client.session.get_tree("s1")


@pytest.mark.parametrize(
    ("call", "route", "body"),
    [
        pytest.param(_get_event, "GET /v1/events/e1", b'{"event": []}', id="event-not-an-object"),
        pytest.param(_search, "POST /v1/events/search", b'{"count": 1}', id="search-no-events"),
        pytest.param(_start, "POST /v1/sessions", b"[]", id="session-a-list"),
        pytest.param(_tree, "GET /v1/sessions/s1", b"", id="tree-empty-body"),
    ],
)
async def test_wrong_json_shapes_are_decode_errors_on_every_route(
    server: LocalServer, client: AsyncHoneyHive, call: Call, route: str, body: bytes
) -> None:
    method, path = route.split(" ")
    server.faults.fail_next(3, body=body, status=200, path=path)

    with pytest.raises(APIResponseDecodeError) as caught:
        await call(client)

    assert route in str(caught.value)
    assert caught.value.body == body
    assert len(sent(server, method, path)) == 1
