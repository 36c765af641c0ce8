"""`GET /v1/events/schema`, `GET /v1/events/chart`, `GET /events` and `DELETE /v1/events/{id}`."""

from __future__ import annotations

from urllib.parse import quote

import aiohttp
import pytest

from .helpers import call, create_event, start_session


async def test_the_schema_path_is_not_taken_for_an_event_id(client: aiohttp.ClientSession) -> None:
    await create_event(client, inputs={"q": 1}, event_name="ask")
    body = await call(client, "GET", "/v1/events/schema")
    assert set(body) == {"fields", "datasets", "mappings"}
    assert {"name": "inputs.q", "event_type": "tool"} in body["fields"]
    chart = await call(client, "GET", "/v1/events/chart")
    assert set(chart) == {"events", "totalEvents"}


async def test_delete_event_removes_only_that_event(client: aiohttp.ClientSession) -> None:
    sid = (await start_session(client))["session_id"]
    first = await create_event(client, session_id=sid)
    second = await create_event(client, session_id=sid)

    assert await call(client, "DELETE", f"/v1/events/{first}") == {"success": True, "deleted": "1"}

    await call(client, "GET", f"/v1/events/{first}", status=404)
    await call(client, "GET", f"/v1/events/{second}")
    error = await call(client, "DELETE", f"/v1/events/{first}", status=400)
    assert error["errorCode"] == "NOT_FOUND"


def _q(value: str) -> str:
    return quote(value, safe="")


DEEP = "[" * 1000 + "]" * 1000


@pytest.mark.parametrize(
    ("path", "named"),
    [
        ("/v1/events/schema?dateRange=" + _q("{"), "dateRange"),
        ("/v1/events/schema?dateRange=" + _q('{"$gte": "yesterday"}'), "dateRange"),
        ("/v1/events/schema?dateRange=" + _q('{"from": 1}'), "from"),
        ("/v1/events/schema?dateRange=" + _q(DEEP), "dateRange"),
        ("/v1/events/chart?bucket=fortnight", "bucket"),
        ("/v1/events/chart?aggregation=mode", "aggregation"),
        ("/v1/events/chart?only_experiments=yes", "only_experiments"),
        ("/v1/events/chart?filters=" + _q('[{"field": "x"}]'), "filters"),
        ("/v1/events/chart?filters=" + _q(DEEP), "filters"),
        (
            "/v1/events/chart?filters="
            + _q('[{"field": "x", "operator": "greater than", "value": "z", "type": "number"}]'),
            "filter",
        ),
        ("/events?limit=0", "limit"),
        ("/events?limit=7501", "limit"),
        ("/events?limit=ten", "limit"),
        ("/events?page=0", "page"),
        ("/events?page=" + "9" * 5000, "page"),
        ("/events?projections=" + _q("[1]"), "projections"),
        ("/events?ignore_order=maybe", "ignore_order"),
    ],
)
async def test_bad_queries_are_400s_naming_the_parameter(
    client: aiohttp.ClientSession, path: str, named: str
) -> None:
    error = await call(client, "GET", path, status=400)
    assert named in error["message"], error


async def test_a_huge_page_is_an_empty_page(client: aiohttp.ClientSession) -> None:
    await create_event(client)
    body = await call(client, "GET", "/events?page=4611686018427387904")
    assert body["events"] == []
    assert body["totalEvents"] >= 1


async def test_list_takes_projections_as_brackets_a_json_array_or_one_name(
    client: aiohttp.ClientSession,
) -> None:
    event_id = await create_event(client, event_name="projected", metadata={"k": 1})
    for query in (
        "projections[]=event_name&projections[]=metadata.k",
        "projections=" + _q('["event_name", "metadata.k"]'),
    ):
        body = await call(client, "GET", f"/events?limit=1&{query}")
        assert body["events"] == [
            {"event_id": event_id, "event_name": "projected", "metadata": {"k": 1}}
        ]
    body = await call(client, "GET", "/events?limit=1&projections=event_name")
    assert body["events"] == [{"event_id": event_id, "event_name": "projected"}]
