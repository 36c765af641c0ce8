"""Query parameters on the wire: the bytes a server receives, on the first try and on retries."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from honeyhive_async import AsyncHoneyHive
from honeyhive_async._resource import AsyncAPIResource
from honeyhive_async.server import LocalServer
from tests.integration.conftest import FAST_RETRY, ClientFactory, sent


class _Datapoints(AsyncAPIResource):
    """A stand-in for a list route with query parameters (`GET /v1/datapoints`)."""

    async def list(self, **params: Any) -> dict[str, Any]:
        return await self._get("/v1/datapoints", cast_to=dict[str, Any], params=params)


@pytest.fixture
async def echo_url() -> AsyncIterator[str]:
    """A loopback server that answers with the raw request target and the query it parsed."""

    async def echo(request: web.Request) -> web.Response:
        return web.json_response(
            {"raw_path": request.raw_path, "query": [list(kv) for kv in request.query.items()]}
        )

    app = web.Application()
    app.router.add_get("/{tail:.*}", echo)
    runner = web.AppRunner(app, shutdown_timeout=0.5)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


async def test_list_params_arrive_as_repeated_bracket_keys_exactly(echo_url: str) -> None:
    async with AsyncHoneyHive("k", base_url=echo_url) as client:
        seen = await _Datapoints(client).list(
            datapoint_ids=["a", "b"], dataset_name="my set/v2", enabled=True, page=None
        )

    assert seen["raw_path"] == (
        "/v1/datapoints?datapoint_ids[]=a&datapoint_ids[]=b&dataset_name=my%20set%2Fv2&enabled=true"
    )
    assert seen["query"] == [
        ["datapoint_ids[]", "a"],
        ["datapoint_ids[]", "b"],
        ["dataset_name", "my set/v2"],
        ["enabled", "true"],
    ]


async def test_no_params_sends_no_query(echo_url: str) -> None:
    async with AsyncHoneyHive("k", base_url=echo_url) as client:
        assert (await _Datapoints(client).list())["raw_path"] == "/v1/datapoints"
        assert (await _Datapoints(client).list(name=None))["raw_path"] == "/v1/datapoints"


async def test_a_retry_sends_the_same_query(
    server: LocalServer, make_client: ClientFactory
) -> None:
    server.faults.fail_next(1, 503, retry_after=FAST_RETRY, path="/v1/datapoints")
    client = make_client(max_retries=1)

    assert await client.datapoints.list(datapoint_ids=["a", "b"]) == []

    tries = sent(server, "GET", "/v1/datapoints")
    assert [r.query for r in tries] == ["datapoint_ids[]=a&datapoint_ids[]=b"] * 2
