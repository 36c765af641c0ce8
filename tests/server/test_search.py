"""`POST /v1/events/search` and the legacy `POST /v1/events/export`."""

from __future__ import annotations

from typing import Any

import aiohttp
import msgspec
import pytest

from honeyhive_async.models import EventsPage

from .helpers import call, create_event

SESSION = "11111111-1111-4111-8111-111111111111"
JAN_1 = "2024-01-01T00:00:00Z"
JAN_2_MS = 1_704_153_600_000

DATASET: dict[str, dict[str, Any]] = {
    "e1": {
        "event_type": "model",
        "event_name": "llm-call",
        "start_time": 1_000,
        "metadata": {"cost": 0.5, "ok": True, "note": "Hello World", "when": JAN_1, "n": "10"},
        "user_properties": {"user": "alice"},
    },
    "e2": {
        "event_type": "tool",
        "event_name": "search",
        "start_time": 2_000,
        "metadata": {"cost": 2, "ok": False, "note": "bye", "when": JAN_2_MS},
        "children_ids": ["x", "y"],
    },
    "e3": {"event_type": "chain", "event_name": "pipeline", "start_time": 3_000, "error": "boom"},
    "e4": {
        "event_type": "model",
        "event_name": "llm-call",
        "start_time": 4_000,
        "metadata": {"cost": 10, "ok": "true", "run_id": "run-1"},
    },
}


@pytest.fixture
async def dataset(client: aiohttp.ClientSession) -> dict[str, str]:
    """Create the dataset; return event id -> name."""
    names = {}
    for name, fields in DATASET.items():
        names[await create_event(client, session_id=SESSION, **fields)] = name
    return names


async def search(client: aiohttp.ClientSession, body: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = await call(client, "POST", "/v1/events/search", body)
    return result


def _filter(field: str, operator: str, value: Any, type_: str | None) -> dict[str, Any]:
    out = {"field": field, "operator": operator, "value": value}
    if type_ is not None:
        out["type"] = type_
    return out


FILTER_CASES = [
    # field, operator, value, type, expected names newest first
    ("event_type", "is", "model", "string", ["e4", "e1"]),
    ("event_type", "is not", "model", "string", ["e3", "e2"]),
    ("event_name", "contains", "llm", "string", ["e4", "e1"]),
    ("event_name", "not contains", "llm", "string", ["e3", "e2"]),
    ("metadata.note", "contains", "World", "string", ["e1"]),
    ("metadata.cost", "exists", None, None, ["e4", "e2", "e1"]),
    ("metadata.cost", "not exists", None, None, ["e3"]),
    ("error", "exists", None, "string", ["e3"]),
    ("error", "is", "boom", "string", ["e3"]),
    ("metadata.cost", "greater than", 1, "number", ["e4", "e2"]),
    ("metadata.cost", "greater than", 1, None, ["e4", "e2"]),
    ("metadata.cost", "less than", 1, "number", ["e1"]),
    ("metadata.cost", "is", 2, "number", ["e2"]),
    ("metadata.cost", "is", "2.0", "number", ["e2"]),
    ("metadata.cost", "is not", 2, "number", ["e4", "e3", "e1"]),
    ("metadata.n", "greater than", 9, "number", ["e1"]),
    ("metadata.ok", "is", True, "boolean", ["e4", "e1"]),
    ("metadata.ok", "is", "false", "boolean", ["e2"]),
    ("metadata.ok", "is", False, None, ["e2"]),
    ("metadata.when", "after", "2024-01-01T12:00:00Z", "datetime", ["e2"]),
    ("metadata.when", "before", JAN_2_MS - 1, "datetime", ["e1"]),
    ("start_time", "after", "1970-01-01T00:00:02Z", "datetime", ["e4", "e3"]),
    ("start_time", "before", 2_000, None, ["e1"]),
    ("start_time", "greater than", 2_000, "number", ["e4", "e3"]),
    ("children_ids", "contains", "y", "string", ["e2"]),
    ("user_properties.user", "is", "alice", "string", ["e1"]),
    ("session_id", "is", SESSION, "string", ["e4", "e3", "e2", "e1"]),
    ("parent_id", "is not", SESSION, "string", []),
    ("metadata.missing.deep", "is not", "x", "string", ["e4", "e3", "e2", "e1"]),
]


@pytest.mark.parametrize(("field", "operator", "value", "type_", "expected"), FILTER_CASES)
async def test_search_filters(
    client: aiohttp.ClientSession,
    dataset: dict[str, str],
    field: str,
    operator: str,
    value: Any,
    type_: str | None,
    expected: list[str],
) -> None:
    body = await search(client, {"filters": [_filter(field, operator, value, type_)]})
    assert [dataset[event["event_id"]] for event in body["events"]] == expected
    assert body["count"] == len(expected)


async def test_search_filters_are_anded(
    client: aiohttp.ClientSession, dataset: dict[str, str]
) -> None:
    filters = [
        _filter("event_type", "is", "model", "string"),
        _filter("metadata.cost", "greater than", 1, "number"),
    ]
    body = await search(client, {"filters": filters})
    assert [dataset[e["event_id"]] for e in body["events"]] == ["e4"]


@pytest.mark.parametrize(
    ("value", "type_"),
    [("abc", "number"), ("yesterday", "datetime"), ("maybe", "boolean"), (True, "number")],
)
async def test_search_rejects_filter_values_of_the_wrong_type(
    client: aiohttp.ClientSession, value: Any, type_: str
) -> None:
    filters = [_filter("metadata.x", "is", value, type_)]
    body = await call(client, "POST", "/v1/events/search", {"filters": filters}, status=400)
    assert "metadata.x" in body["message"]


async def test_search_without_filters_orders_newest_first(
    client: aiohttp.ClientSession, dataset: dict[str, str]
) -> None:
    body = await search(client, {})
    assert [dataset[e["event_id"]] for e in body["events"]] == ["e4", "e3", "e2", "e1"]
    page = msgspec.json.decode(msgspec.json.encode(body), type=EventsPage)
    assert page.total == 4


async def test_search_date_range_is_inclusive(
    client: aiohttp.ClientSession, dataset: dict[str, str]
) -> None:
    date_range = {"start_time": "1970-01-01T00:00:02Z", "end_time": "1970-01-01T00:00:03.000Z"}
    body = await search(client, {"dateRange": date_range})
    assert [dataset[e["event_id"]] for e in body["events"]] == ["e3", "e2"]


async def test_search_evaluation_id_matches_run_id(
    client: aiohttp.ClientSession, dataset: dict[str, str]
) -> None:
    body = await search(client, {"evaluation_id": "run-1"})
    assert [dataset[e["event_id"]] for e in body["events"]] == ["e4"]


async def test_search_rejects_a_bad_date_range(client: aiohttp.ClientSession) -> None:
    date_range = {"start_time": "soon", "end_time": JAN_1}
    body = await call(client, "POST", "/v1/events/search", {"dateRange": date_range}, status=400)
    assert "start_time" in body["message"]


@pytest.mark.parametrize("residual", [False, True], ids=["sql-only", "python-filter"])
async def test_search_paging(client: aiohttp.ClientSession, residual: bool) -> None:
    ids = [
        await create_event(client, start_time=100 * (i // 2), metadata={"i": i}) for i in range(7)
    ]
    # Ties on start_time go newest-inserted first.
    newest_first = [ids[i] for i in (6, 5, 4, 3, 2, 1, 0)]
    filters = [_filter("metadata.i", "exists", None, None)] if residual else []
    pages = []
    for page in (1, 2, 3, 4):
        body = await search(client, {"filters": filters, "limit": 3, "page": page})
        assert body["count"] == 7
        pages.append([e["event_id"] for e in body["events"]])
    assert [len(p) for p in pages] == [3, 3, 1, 0]
    assert [event_id for p in pages for event_id in p] == newest_first


@pytest.mark.parametrize(
    ("route", "body"),
    [
        ("search", {"limit": 0}),
        ("search", {"limit": 1001}),
        ("search", {"page": 0}),
        ("export", {"limit": 0}),
        ("export", {"limit": 7501}),
        ("export", {"page": -1}),
    ],
)
async def test_limits_outside_the_allowed_range_are_400(
    client: aiohttp.ClientSession, route: str, body: dict[str, Any]
) -> None:
    result = await call(client, "POST", f"/v1/events/{route}", body, status=400)
    assert next(iter(body)) in result["message"]


@pytest.mark.parametrize(("route", "limit"), [("search", 1000), ("export", 7500)])
async def test_maximum_limits_are_accepted(
    client: aiohttp.ClientSession, route: str, limit: int
) -> None:
    await call(client, "POST", f"/v1/events/{route}", {"limit": limit})


async def test_export_filters_date_range_and_total(
    client: aiohttp.ClientSession, dataset: dict[str, str]
) -> None:
    body = await call(
        client,
        "POST",
        "/v1/events/export",
        {
            "filters": [_filter("event_type", "is not", "chain", "string")],
            "dateRange": {"$gte": "1970-01-01T00:00:01Z", "$lte": "1970-01-01T00:00:04Z"},
            "limit": 1,
            "page": 2,
            "ignore_order": True,
        },
    )
    assert body["totalEvents"] == 3
    assert body["count"] == 3  # the spec's name, beside the `totalEvents` clients read
    assert [dataset[e["event_id"]] for e in body["events"]] == ["e2"]
    assert msgspec.json.decode(msgspec.json.encode(body), type=EventsPage).total == 3


async def test_export_projections(client: aiohttp.ClientSession, dataset: dict[str, str]) -> None:
    body = await call(
        client,
        "POST",
        "/v1/events/export",
        {"projections": ["event_name", "metadata.cost", "metadata.absent", "nothing"]},
    )
    by_name = {dataset[e["event_id"]]: e for e in body["events"]}
    assert set(by_name["e1"]) == {"event_id", "event_name", "metadata"}
    assert by_name["e1"]["metadata"] == {"cost": 0.5}
    assert by_name["e3"] == {"event_id": by_name["e3"]["event_id"], "event_name": "pipeline"}


@pytest.mark.parametrize("residual", [False, True], ids=["sql-only", "python-filter"])
@pytest.mark.parametrize("route", ["search", "export"])
async def test_a_page_past_every_event_is_empty_however_far(
    client: aiohttp.ClientSession, dataset: dict[str, str], route: str, residual: bool
) -> None:
    filters = [_filter("event_type", "exists", None, "string")] if residual else []
    body = await call(
        client, "POST", f"/v1/events/{route}", {"filters": filters, "limit": 1000, "page": 2**62}
    )
    assert body["events"] == []
    assert body["count" if route == "search" else "totalEvents"] == len(dataset)


@pytest.mark.parametrize("type_", ["number", "datetime"])
@pytest.mark.parametrize("route", ["search", "export"])
async def test_a_filter_value_too_large_for_a_float_is_400(
    client: aiohttp.ClientSession, route: str, type_: str
) -> None:
    filters = [_filter("metadata.cost", "greater than", 10**400, type_)]
    body = await call(client, "POST", f"/v1/events/{route}", {"filters": filters}, status=400)
    assert body["errorCode"] == "VALIDATION_ERROR"
    assert "metadata.cost" in body["message"]


@pytest.mark.parametrize(("type_", "value"), [("number", 1), ("datetime", JAN_1)])
async def test_a_stored_number_too_large_for_a_float_matches_no_typed_compare(
    client: aiohttp.ClientSession, type_: str, value: Any
) -> None:
    await create_event(client, event_name="huge", metadata={"big": 10**400})
    await create_event(client, event_name="small", metadata={"big": 2})
    filters = [_filter("metadata.big", "greater than", value, type_)]

    body = await call(client, "POST", "/v1/events/search", {"filters": filters})

    assert [event["event_name"] for event in body["events"]] == (
        ["small"] if type_ == "number" else []
    )
