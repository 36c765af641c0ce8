"""What `Transport.send` hands back for a 2xx: the whole body, as a plain `RawResponse`."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from honeyhive_async._transport import RawResponse, Transport
from honeyhive_async.errors import APIResponseTooLargeError

BODY = b'{"event_id": "e1"}'


async def _announced(_: web.Request) -> web.Response:
    return web.Response(body=BODY, headers={"x-request-id": "r-1"})


async def _chunked(request: web.Request) -> web.StreamResponse:
    resp = web.StreamResponse()
    resp.enable_chunked_encoding()
    await resp.prepare(request)
    for part in (BODY[:5], BODY[5:]):
        await resp.write(part)
    await resp.write_eof()
    return resp


@pytest.fixture
async def base_url() -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_get("/announced", _announced)
    app.router.add_get("/chunked", _chunked)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


@pytest.mark.parametrize("path", ["/announced", "/chunked"])
async def test_a_2xx_is_a_complete_raw_response(base_url: str, path: str) -> None:
    transport = Transport(base_url=base_url, api_key="k", connection_limit=1)
    try:
        raw = await transport.send(
            "GET", path, content=None, timeout=aiohttp.ClientTimeout(total=30)
        )
    finally:
        await transport.aclose()

    assert type(raw) is RawResponse
    assert (raw.status, raw.content, raw.truncated, raw.size) == (200, BODY, False, None)
    assert raw._asdict()["content"] == BODY  # the NamedTuple's own methods work on it
    if path == "/announced":
        assert raw.request_id == "r-1"
        assert raw.headers["Content-Length"] == str(len(BODY))
    else:
        assert "Content-Length" not in raw.headers


async def test_a_2xx_announced_one_byte_over_the_cap_is_refused(base_url: str) -> None:
    transport = Transport(base_url=base_url, api_key="k", connection_limit=1)
    try:
        with pytest.raises(APIResponseTooLargeError) as caught:
            await transport.send(
                "GET",
                "/announced",
                content=None,
                timeout=aiohttp.ClientTimeout(total=30),
                max_bytes=len(BODY) - 1,
            )
        raw = await transport.send(
            "GET",
            "/announced",
            content=None,
            timeout=aiohttp.ClientTimeout(total=30),
            max_bytes=len(BODY),
        )
    finally:
        await transport.aclose()

    assert caught.value.body_size == len(BODY)  # the announced size, as an int
    assert raw.content == BODY  # exactly the cap is accepted
