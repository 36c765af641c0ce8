"""`POST /v1/events`, `GET`/`PUT /v1/events/{id}` and `POST /v1/events/batch`."""

from __future__ import annotations

import uuid
from typing import Any

import aiohttp
import msgspec
import pytest

from honeyhive_async.models import CreateEventBatchResponse, GetEventResponse
from honeyhive_async.server import LocalServer
from honeyhive_async.server.store._db import EventTable

from .helpers import call, create_event, get_event, start_session


async def test_create_event_fills_defaults(client: aiohttp.ClientSession) -> None:
    event_id = await create_event(client, inputs={"q": 1})
    event = await get_event(client, event_id)
    uuid.UUID(event_id)
    uuid.UUID(event["session_id"])
    assert event["parent_id"] == event["session_id"]
    assert (event["event_name"], event["source"], event["project_id"]) == (
        "unknown",
        "unknown",
        "local-project",
    )
    assert event["inputs"] == {"q": 1}
    assert event["children_ids"] == []
    assert event["error"] is None
    assert isinstance(event["start_time"], int)


async def test_create_event_keeps_given_fields(client: aiohttp.ClientSession) -> None:
    fields: dict[str, Any] = {
        "event_id": str(uuid.uuid4()),
        "session_id": str(uuid.uuid4()),
        "parent_id": str(uuid.uuid4()),
        "children_ids": ["x"],
        "event_type": "model",
        "event_name": "llm",
        "source": "sdk",
        "config": {"model": "m"},
        "inputs": {"messages": []},
        "outputs": {"content": "hi"},
        "error": "boom",
        "start_time": 1_000.5,
        "end_time": 1_250.5,
        "metadata": {"m": 1},
        "feedback": {"f": 1},
        "metrics": {"x": 1},
        "user_properties": {"u": 1},
    }
    await create_event(client, **fields)
    body = await call(client, "GET", f"/v1/events/{fields['event_id']}")
    event = body["event"]
    assert {k: event[k] for k in fields} == fields
    assert event["duration"] == 250
    assert (
        msgspec.json.decode(msgspec.json.encode(body), type=GetEventResponse).event.event_id
        == fields["event_id"]
    )


async def test_create_event_upserts_by_id(
    server: LocalServer, client: aiohttp.ClientSession
) -> None:
    event_id = str(uuid.uuid4())
    await create_event(client, event_id=event_id, event_name="first", metadata={"a": 1})
    await create_event(client, event_id=event_id, event_name="second", inputs={"b": 2})
    event = await get_event(client, event_id)
    assert (event["event_name"], event["inputs"], event["metadata"]) == ("second", {"b": 2}, {})
    assert server.store.count() == 1


async def test_get_event_404(client: aiohttp.ClientSession) -> None:
    body = await call(client, "GET", "/v1/events/nope", status=404)
    assert body["errorCode"] == "NOT_FOUND"
    assert "nope" in body["message"]


STORED = {
    "metadata": {"a": 1, "b": 1},
    "feedback": {"rating": 1},
    "metrics": {"m": 1},
    "config": {"model": "x"},
    "user_properties": {"u": 1},
    "outputs": {"content": "old", "extra": True},
    "children_ids": ["c1"],
    "start_time": 1_000,
    "end_time": 1_500,
}


@pytest.mark.parametrize(
    ("update", "expected"),
    [
        ({"metadata": {"b": 2, "c": 3}}, {"metadata": {"a": 1, "b": 2, "c": 3}}),
        ({"feedback": {"note": "ok"}}, {"feedback": {"rating": 1, "note": "ok"}}),
        ({"metrics": {"n": 2}}, {"metrics": {"m": 1, "n": 2}}),
        ({"config": {"temp": 0}}, {"config": {"model": "x", "temp": 0}}),
        ({"user_properties": {"v": 2}}, {"user_properties": {"u": 1, "v": 2}}),
        ({"metadata": None}, {"metadata": {"a": 1, "b": 1}}),
        ({"outputs": {"content": "new"}}, {"outputs": {"content": "new"}}),
        ({"outputs": None}, {"outputs": {"content": "old", "extra": True}}),
        ({"children_ids": ["c2", "c3"]}, {"children_ids": ["c2", "c3"]}),
        ({"children_ids": []}, {"children_ids": ["c1"]}),
        ({"end_time": 2_000}, {"end_time": 2_000, "duration": 1_000}),
        ({"end_time": 2_000, "duration": 7}, {"end_time": 2_000, "duration": 7}),
        ({"duration": 42}, {"duration": 42, "end_time": 1_500}),
        ({}, {"metadata": {"a": 1, "b": 1}, "outputs": {"content": "old", "extra": True}}),
    ],
)
async def test_update_semantics(
    client: aiohttp.ClientSession, update: dict[str, Any], expected: dict[str, Any]
) -> None:
    event_id = await create_event(client, inputs={"keep": 1}, **STORED)
    assert await call(client, "PUT", f"/v1/events/{event_id}", update) == {"success": True}
    event = await get_event(client, event_id)
    for name, value in expected.items():
        assert event[name] == value, name
    assert event["inputs"] == {"keep": 1}


async def test_update_missing_event_is_404(client: aiohttp.ClientSession) -> None:
    body = await call(client, "PUT", "/v1/events/nope", {"metadata": {"a": 1}}, status=404)
    assert body["errorCode"] == "NOT_FOUND"


def _batch_event(**fields: Any) -> dict[str, Any]:
    return {"event_type": "tool", "inputs": {}, **fields}


async def test_batch_creates_and_upserts(
    server: LocalServer, client: aiohttp.ClientSession
) -> None:
    sid = str(uuid.uuid4())
    fixed = str(uuid.uuid4())
    events = [_batch_event(session_id=sid, event_id=fixed), _batch_event(session_id=sid)]
    body = await call(client, "POST", "/v1/events/batch", {"events": events})
    assert body["success"] is True
    assert body["session_id"] == sid
    assert body["event_ids"][0] == fixed
    assert len(body["event_ids"]) == 2
    assert msgspec.convert(body, CreateEventBatchResponse).success is True

    again = [_batch_event(session_id=sid, event_id=fixed, event_name="replaced")]
    await call(client, "POST", "/v1/events/batch", {"events": again})
    assert server.store.count() == 2
    assert (await get_event(client, fixed))["event_name"] == "replaced"


async def test_batch_across_sessions_has_no_session_id(client: aiohttp.ClientSession) -> None:
    body = await call(client, "POST", "/v1/events/batch", {"events": [_batch_event()] * 2})
    assert "session_id" not in body
    assert len(set(body["event_ids"])) == 2


async def test_batch_single_session(server: LocalServer, client: aiohttp.ClientSession) -> None:
    body = await call(
        client,
        "POST",
        "/v1/events/batch",
        {
            "events": [_batch_event(session_id="ignored"), _batch_event(event_type="model")],
            "single_session": True,
            "session_properties": {
                "session_name": "batch",
                "start_time": 5_000,
                "metadata": {"k": 1},
                "user_properties": {"u": 1},
            },
        },
    )
    sid = body["session_id"]
    session = await call(client, "GET", f"/session/{sid}")
    assert (session["event_name"], session["start_time"]) == ("batch", 5_000)
    assert (session["metadata"], session["user_properties"]) == ({"k": 1}, {"u": 1})
    for event_id in body["event_ids"]:
        event = await get_event(client, event_id)
        assert (event["session_id"], event["parent_id"]) == (sid, sid)
    tree = await call(client, "GET", f"/v1/sessions/{sid}")
    assert tree["metadata"]["num_events"] == 2
    assert server.store.count() == 3


@pytest.mark.parametrize("created", [0, 2, 3])
async def test_partial_batch_fault(
    server: LocalServer, client: aiohttp.ClientSession, created: int
) -> None:
    fault = server.faults.partial_batch(created)
    ids = [str(uuid.uuid4()) for _ in range(3)]
    events = [_batch_event(event_id=event_id) for event_id in ids]
    body = await call(client, "POST", "/v1/events/batch", {"events": events}, status=500)
    assert body["success"] is False
    assert body["message"] == "Events partially created"
    assert body["errorCode"] == "PARTIAL"
    assert body["event_ids"] == ids[:created]
    assert [error["event_id"] for error in body["errors"]] == ids[created:]
    assert server.store.count() == created
    assert fault.hits == 1
    # One-shot: the retry of the rest succeeds.
    rest = [_batch_event(event_id=event_id) for event_id in ids[created:]]
    retry = await call(client, "POST", "/v1/events/batch", {"events": rest})
    assert retry["event_ids"] == ids[created:]
    assert server.store.count() == 3


async def test_partial_batch_does_not_touch_other_routes(
    server: LocalServer, client: aiohttp.ClientSession
) -> None:
    server.faults.partial_batch(0)
    await create_event(client)
    await start_session(client)
    assert len(server.faults.pending) == 1


async def test_export_answers_with_count_and_total_events(client: aiohttp.ClientSession) -> None:
    sid = (await start_session(client))["session_id"]
    await create_event(client, session_id=sid)
    body = {"filters": [{"field": "session_id", "operator": "is", "value": sid, "type": "string"}]}
    result = await call(client, "POST", "/v1/events/export", body)
    assert (result["count"], result["totalEvents"], len(result["events"])) == (2, 2, 2)


async def test_an_integer_valued_float_is_an_integer(client: aiohttp.ClientSession) -> None:
    sid = (await start_session(client))["session_id"]
    by_session = [{"field": "session_id", "operator": "is", "value": sid, "type": "string"}]
    for path in ("/v1/events/search", "/v1/events/export"):
        result = await call(
            client, "POST", path, {"filters": by_session, "limit": 10.0, "page": 1.0}
        )
        assert len(result["events"]) == 1
        error = await call(client, "POST", path, {"limit": 10.5}, status=400)
        assert "$.limit" in error["message"]
    batch = {"events": [{"event_type": "tool", "inputs": {}, "event_id": "f1"}]}
    await call(client, "POST", "/v1/events/batch", batch)
    nested = {"events": [{"event_type": "tool", "inputs": {}, "children_ids": [1.0]}]}
    error = await call(client, "POST", "/v1/events/batch", nested, status=400)
    assert "children_ids" in error["message"]


async def test_update_accepts_and_ignores_fields_the_spec_leaves_open(
    client: aiohttp.ClientSession,
) -> None:
    event_id = await create_event(client, inputs={"q": 1})
    body = {"inputs": {"q": 2}, "not_in_the_spec": True, "metadata": {"k": "v"}}
    assert await call(client, "PUT", f"/v1/events/{event_id}", body) == {"success": True}
    event = await get_event(client, event_id)
    assert (event["inputs"], event["metadata"]) == ({"q": 1}, {"k": "v"})
    assert "not_in_the_spec" not in event


async def test_session_properties_accept_fields_the_spec_leaves_open(
    client: aiohttp.ClientSession,
) -> None:
    body = {
        "events": [{"event_type": "tool", "inputs": {}}],
        "single_session": True,
        "session_properties": {"session_name": "open", "source": "elsewhere"},
    }
    result = await call(client, "POST", "/v1/events/batch", body)
    session = await get_event(client, result["session_id"])
    assert session["event_name"] == "open"


@pytest.mark.parametrize("path", ["/v1/events/search", "/v1/events/export"])
async def test_a_huge_page_is_an_empty_page_not_a_500(
    client: aiohttp.ClientSession, path: str
) -> None:
    await create_event(client)
    result = await call(client, "POST", path, {"page": 4611686018427387904, "limit": 1000})
    assert result["events"] == []


@pytest.mark.parametrize("path", ["/v1/events", "/v1/events/search", "/v1/sessions"])
async def test_a_body_nested_1000_deep_is_a_400(client: aiohttp.ClientSession, path: str) -> None:
    deep = "[" * 1000 + "]" * 1000
    async with client.post(path, data=f'{{"inputs": {deep}}}'.encode()) as resp:
        assert resp.status == 400, await resp.text()


@pytest.mark.parametrize("path", ["/v1/events", "/v1/events/batch", "/v1/sessions"])
async def test_no_nesting_depth_makes_a_write_a_500_or_stores_what_it_refused(
    client: aiohttp.ClientSession, path: str
) -> None:
    # Near the interpreter's limit, a value can decode and then fail to encode for storage
    # (the store runs a few frames deeper): that was a 500. Sweep across the edge.
    answers = set()
    for depth in range(850, 1001, 5):
        event_id = f"deep-{depth}"
        deep = '{"a": ' * depth + "1" + "}" * depth
        event = f'{{"event_id": "{event_id}", "event_type": "tool", "inputs": {{}}, "metadata": {deep}}}'
        body = {
            "/v1/events": event,
            "/v1/events/batch": f'{{"events": [{event}]}}',
            "/v1/sessions": f'{{"session_id": "{event_id}", "metadata": {deep}}}',
        }[path]
        async with client.post(path, data=body.encode()) as resp:
            assert resp.status in (200, 400), (depth, await resp.text())
            answers.add(resp.status)
            stored = resp.status == 200
        async with client.get(f"/v1/events/{event_id}") as resp:
            assert resp.status in ((200, 400) if stored else (404,)), (depth, await resp.text())
    assert answers == {200, 400}  # the sweep crossed the edge


async def test_a_value_too_deep_to_encode_for_storage_is_a_400_and_nothing_is_stored(
    client: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The window the sweep above aims at depends on the stack depth at decode and at encode;
    # here the store's encode fails as it does inside that window, whatever the stack.
    def too_deep(self: EventTable, events: object) -> None:
        raise RecursionError("maximum recursion depth exceeded while encoding a JSON object")

    monkeypatch.setattr(EventTable, "put", too_deep)
    async with client.post(
        "/v1/events", json={"event_id": "e-deep", "event_type": "tool", "inputs": {}}
    ) as resp:
        assert resp.status == 400, await resp.text()
        assert (await resp.json())["message"] == "A value in the request nests too deeply"
    monkeypatch.undo()
    async with client.get("/v1/events/e-deep") as resp:
        assert resp.status == 404
