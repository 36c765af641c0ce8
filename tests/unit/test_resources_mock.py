"""Request shapes and decoding, against aioresponses (no sockets)."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import msgspec
import pytest
from aioresponses import aioresponses
from yarl import URL

from honeyhive_async import (
    APIResponseDecodeError,
    AsyncHoneyHive,
    CreateEventRequest,
    EventFilter,
    NotFoundError,
    PartialBatchError,
)
from tests.conftest import MOCK_URL


def _sent(mock_api: aioresponses, method: str, path: str, index: int = 0) -> object:
    call = mock_api.requests[(method, URL(MOCK_URL + path))][index]
    data = call.kwargs["data"]
    return None if data is None else msgspec.json.decode(data)


async def test_session_get_decodes_the_documented_body(
    mock_api: aioresponses, mock_client: AsyncHoneyHive, documented_session_bytes: bytes
) -> None:
    sid = "caf77ace-3417-4da4-944d-f4a0688f3c23"
    mock_api.get(f"{MOCK_URL}/session/{sid}", body=documented_session_bytes)
    event = await mock_client.session.get(sid)
    assert event.session_id == sid
    assert event.event_name == "Model Completion"
    assert event.start_time_ms == 1_712_011_099_000.0
    assert _sent(mock_api, "GET", f"/session/{sid}") is None


async def test_path_ids_are_percent_encoded(
    mock_api: aioresponses, mock_client: AsyncHoneyHive
) -> None:
    mock_api.get(f"{MOCK_URL}/v1/events/a%2Fb%20c", payload={"event": {"event_id": "a/b c"}})
    assert (await mock_client.events.get("a/b c")).event_id == "a/b c"


@pytest.mark.parametrize("bad", ["", "   "])
async def test_empty_ids_fail_before_any_io(
    mock_api: aioresponses, mock_client: AsyncHoneyHive, bad: str
) -> None:
    with pytest.raises(ValueError, match="session_id must be a non-empty string"):
        await mock_client.session.get(bad)
    with pytest.raises(ValueError, match="event_id must be a non-empty string"):
        await mock_client.events.update(bad, metadata={})
    assert mock_api.requests == {}


async def test_session_start_generates_a_uuid_session_id(
    mock_api: aioresponses, mock_client: AsyncHoneyHive
) -> None:
    mock_api.post(f"{MOCK_URL}/v1/sessions", payload={"event_id": "x", "session_id": "x"})
    await mock_client.session.start(session_name="chat", metadata={"env": "test"})
    body = _sent(mock_api, "POST", "/v1/sessions")
    assert isinstance(body, dict)
    assert set(body) == {"session_id", "session_name", "metadata"}
    assert uuid.UUID(body["session_id"]).version == 4
    assert body["metadata"] == {"env": "test"}


async def test_events_create_sends_only_set_fields_with_an_event_id(
    mock_api: aioresponses, mock_client: AsyncHoneyHive
) -> None:
    mock_api.post(f"{MOCK_URL}/v1/events", payload={"success": True, "event_id": "ignored"})
    await mock_client.events.create(event_type="model", inputs={"q": "hi"}, duration=12.5)
    body = _sent(mock_api, "POST", "/v1/events")
    assert isinstance(body, dict)
    assert set(body) == {"event_type", "inputs", "event_id", "duration"}
    assert uuid.UUID(body["event_id"]).version == 4


async def test_events_create_rejects_an_unknown_event_type(mock_client: AsyncHoneyHive) -> None:
    with pytest.raises(ValueError, match="event_type must be one of"):
        await mock_client.events.create(event_type="generic", inputs={})  # type: ignore[arg-type]


async def test_events_update_sends_none_as_null_and_skips_unset(
    mock_api: aioresponses, mock_client: AsyncHoneyHive
) -> None:
    mock_api.put(f"{MOCK_URL}/v1/events/e1", payload={"success": True})
    await mock_client.events.update("e1", outputs=None, metrics={"score": 1})
    assert _sent(mock_api, "PUT", "/v1/events/e1") == {"outputs": None, "metrics": {"score": 1}}


async def test_create_batch_fills_missing_event_ids_without_touching_given_ones(
    mock_api: aioresponses, mock_client: AsyncHoneyHive
) -> None:
    mock_api.post(f"{MOCK_URL}/v1/events/batch", payload={"event_ids": [], "success": True})
    given = CreateEventRequest(event_type="tool", inputs={}, event_id="keep-me")
    await mock_client.events.create_batch([given, {"event_type": "chain", "inputs": {"a": 1}}])
    body = _sent(mock_api, "POST", "/v1/events/batch")
    assert isinstance(body, dict)
    ids = [e["event_id"] for e in body["events"]]
    assert ids[0] == "keep-me"
    assert uuid.UUID(ids[1]).version == 4
    assert given.event_id == "keep-me"


async def test_create_batch_names_the_bad_event(mock_client: AsyncHoneyHive) -> None:
    with pytest.raises(ValueError, match=r"events\[1\].*bogus"):
        await mock_client.events.create_batch(
            [{"event_type": "tool", "inputs": {}}, {"event_type": "tool", "inputs": {}, "bogus": 1}]
        )


async def test_partial_batch_raises_with_created_and_uncreated(
    mock_api: aioresponses, mock_client: AsyncHoneyHive
) -> None:
    events = [CreateEventRequest(event_type="tool", inputs={}, event_id=f"e{i}") for i in range(3)]
    mock_api.post(
        f"{MOCK_URL}/v1/events/batch",
        status=500,
        payload={"event_ids": ["e0", "e2"], "errors": ["boom"], "success": False},
    )
    with pytest.raises(PartialBatchError) as info:
        await mock_client.events.create_batch(events)
    assert info.value.created_ids == ["e0", "e2"]
    assert [e.event_id for e in info.value.uncreated] == ["e1"]
    assert info.value.status == 500


async def test_search_builds_filters_and_iso_date_range(
    mock_api: aioresponses, mock_client: AsyncHoneyHive
) -> None:
    mock_api.post(f"{MOCK_URL}/v1/events/search", payload={"events": [], "count": 0})
    start = dt.datetime(2024, 4, 1, tzinfo=dt.timezone.utc)
    await mock_client.events.search(
        filters=[
            EventFilter(field="session_id", operator="is", value="s1", type="string"),
            {"field": "metadata.cost", "operator": "greater than", "value": 0.5},
        ],
        date_range=(start, "2024-04-02T00:00:00Z"),
        limit=50,
        page=2,
    )
    assert _sent(mock_api, "POST", "/v1/events/search") == {
        "filters": [
            {"field": "session_id", "operator": "is", "value": "s1", "type": "string"},
            {"field": "metadata.cost", "operator": "greater than", "value": 0.5},
        ],
        "dateRange": {"start_time": "2024-04-01T00:00:00Z", "end_time": "2024-04-02T00:00:00Z"},
        "limit": 50,
        "page": 2,
    }


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"limit": 0}, "limit must be between 1 and 1000"),
        ({"limit": 1001}, "limit must be between 1 and 1000"),
        ({"page": 0}, "page"),
        ({"filters": [{"field": "x", "operator": "equals", "value": 1}]}, r"filters\[0\]"),
    ],
)
async def test_search_rejects_bad_arguments_before_io(
    mock_api: aioresponses, mock_client: AsyncHoneyHive, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        await mock_client.events.search(**kwargs)  # type: ignore[arg-type]
    assert mock_api.requests == {}


async def test_iter_walks_pages_until_a_short_one_and_skips_repeats(
    mock_api: aioresponses, mock_client: AsyncHoneyHive
) -> None:
    url = f"{MOCK_URL}/v1/events/search"
    mock_api.post(url, payload={"events": [{"event_id": "a"}, {"event_id": "b"}], "count": 5})
    # A new event arrived between pages: "b" shifts onto page two.
    mock_api.post(url, payload={"events": [{"event_id": "b"}, {"event_id": "c"}], "count": 6})
    mock_api.post(url, payload={"events": [{"event_id": "d"}], "count": 6})
    seen = [event.event_id async for event in mock_client.events.iter(page_size=2)]
    assert seen == ["a", "b", "c", "d"]
    pages = [
        msgspec.json.decode(call.kwargs["data"])["page"]
        for call in mock_api.requests[("POST", URL(url))]
    ]
    assert pages == [1, 2, 3]


async def test_export_uses_the_legacy_route_and_its_limits(
    mock_api: aioresponses, mock_client: AsyncHoneyHive
) -> None:
    mock_api.post(
        f"{MOCK_URL}/v1/events/export", payload={"events": [{"event_id": "a"}], "totalEvents": 1}
    )
    page = await mock_client.events.export(
        filters=[{"field": "event_type", "operator": "is", "value": "model", "type": "string"}],
        date_range=("2024-01-01T00:00:00Z", "2024-02-01T00:00:00Z"),
        projections=["event_id", "event_name"],
        limit=7500,
    )
    assert page.total == 1
    body = _sent(mock_api, "POST", "/v1/events/export")
    assert isinstance(body, dict)
    assert body["dateRange"] == {"$gte": "2024-01-01T00:00:00Z", "$lte": "2024-02-01T00:00:00Z"}
    assert body["limit"] == 7500
    with pytest.raises(ValueError, match="7500"):
        await mock_client.events.export(limit=7501)
    with pytest.raises(ValueError, match=r"filters\[0\].*type"):
        await mock_client.events.export(filters=[{"field": "a", "operator": "is", "value": 1}])


@pytest.mark.parametrize(
    "body",
    [b'{"event_id": "x", "start_time": 1', b"<html>502 Bad Gateway</html>", b"[1, 2, 3]", b""],
)
async def test_a_2xx_body_that_is_not_the_documented_json_is_a_decode_error(
    mock_api: aioresponses, mock_client: AsyncHoneyHive, body: bytes
) -> None:
    mock_api.get(f"{MOCK_URL}/session/s1", body=body)
    with pytest.raises(APIResponseDecodeError, match=re.escape("GET /session/s1")) as info:
        await mock_client.session.get("s1")
    assert info.value.body == body


async def test_a_404_is_a_not_found_error_with_the_server_message(
    mock_api: aioresponses, mock_client: AsyncHoneyHive
) -> None:
    mock_api.get(
        f"{MOCK_URL}/v1/events/nope",
        status=404,
        payload={"message": "Event not found", "errorCode": "NOT_FOUND"},
        headers={"x-request-id": "rid-1"},
    )
    with pytest.raises(NotFoundError) as info:
        await mock_client.events.get("nope")
    assert info.value.server_message == "Event not found"
    assert info.value.error_code == "NOT_FOUND"
    assert info.value.request_id == "rid-1"


async def test_session_tree_and_delete(mock_api: aioresponses, mock_client: AsyncHoneyHive) -> None:
    mock_api.get(
        f"{MOCK_URL}/v1/sessions/s1",
        payload={
            "event_id": "s1",
            "event_type": "session",
            "event_name": "chat",
            "children": [{"event_id": "c1", "event_type": "model", "children": []}],
            "start_time": 1,
            "end_time": 2,
            "duration": 1,
            "metadata": {"num_events": 1},
            "org_id": "o",
            "project_id": "p",
        },
    )
    mock_api.delete(f"{MOCK_URL}/v1/sessions/s1", payload={"success": True, "deleted": "2"})
    tree = await mock_client.session.get_tree("s1")
    assert [n.event_id for n in tree.walk()] == ["s1", "c1"]
    assert tree.metadata == {"num_events": 1}
    assert (await mock_client.session.delete("s1")).success is True
