"""Every resource method end to end against the local server: what is stored and returned."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from honeyhive_async import (
    AsyncHoneyHive,
    Event,
    EventFilter,
    ExportFilter,
    NotFoundError,
)
from honeyhive_async.server import LocalServer
from tests.integration.conftest import sent

BASE_MS = 1_700_000_000_000.0
"""A fixed start time, so that ordering and date ranges are exact."""


def _at(index: int) -> float:
    return BASE_MS + index * 1000.0


def _iso(ms: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(ms / 1000.0, tz=dt.timezone.utc)


def _by_session(session_id: str) -> list[EventFilter]:
    return [EventFilter(field="session_id", operator="is", value=session_id)]


async def _five_events(client: AsyncHoneyHive, session_id: str) -> list[str]:
    """Create 5 tool events, oldest first, one second apart; return their ids."""
    ids = []
    for i in range(5):
        created = await client.events.create(
            event_type="tool",
            event_name=f"step-{i}",
            inputs={"i": i},
            session_id=session_id,
            start_time=_at(i),
            metadata={"i": i, "even": i % 2 == 0},
        )
        ids.append(created.event_id)
    return ids


# -- sessions ----------------------------------------------------------------------------------


async def test_session_start_generates_a_uuid4_and_a_repeat_merges_metadata(
    server: LocalServer, client: AsyncHoneyHive
) -> None:
    first = await client.session.start(
        session_name="chat", metadata={"a": 1}, user_properties={"u": "x"}
    )

    sid = first.session_id
    assert sid is not None
    assert uuid.UUID(sid).version == 4
    assert first.event_id == sid
    assert first.event_type == "session"
    assert first.event_name == "chat"
    assert sent(server, "POST", "/v1/sessions")[0].json()["session_id"] == sid

    again = await client.session.start(session_id=sid, metadata={"b": 2})

    assert again.event_id == sid
    assert again.metadata == {"a": 1, "b": 2}
    assert again.user_properties == {"u": "x"}
    assert server.store.count(sid) == 1


async def test_session_get_returns_the_documented_event_shape(
    client: AsyncHoneyHive,
) -> None:
    started = await client.session.start(
        session_name="shape", source="tests", inputs={"q": "hi"}, start_time=_at(0)
    )

    event = await client.session.get(started.event_id)

    assert isinstance(event, Event)
    assert event.event_id == event.session_id == started.event_id
    assert event.event_type == "session"
    assert event.parent_id is None
    assert event.source == "tests"
    assert event.inputs == {"q": "hi"}
    assert isinstance(event.start_time, (int, float))
    assert event.start_time_ms == _at(0)
    assert event.children_ids == []


async def test_session_get_of_an_unknown_session_is_not_found(client: AsyncHoneyHive) -> None:
    with pytest.raises(NotFoundError) as caught:
        await client.session.get(str(uuid.uuid4()))
    assert caught.value.error_code == "NOT_FOUND"


async def test_get_tree_nests_children_under_their_parent(client: AsyncHoneyHive) -> None:
    sid = (await client.session.start(session_name="tree", start_time=_at(0))).event_id
    chain = await client.events.create(
        event_type="chain", event_name="chain", inputs={}, session_id=sid, start_time=_at(1)
    )
    tool = await client.events.create(
        event_type="tool",
        event_name="tool",
        inputs={},
        session_id=sid,
        parent_id=chain.event_id,
        start_time=_at(2),
    )
    model = await client.events.create(
        event_type="model",
        event_name="model",
        inputs={},
        session_id=sid,
        start_time=_at(3),
        metadata={"total_tokens": 7},
    )

    tree = await client.session.get_tree(sid)

    assert tree.event_id == sid
    assert [child.event_id for child in tree.children] == [chain.event_id, model.event_id]
    assert [child.event_id for child in tree.children[0].children] == [tool.event_id]
    assert tree.children[0].children[0].parent_id == chain.event_id
    assert tree.children[1].children == []
    assert [node.event_name for node in tree.walk()] == ["tree", "chain", "tool", "model"]
    assert tree.metadata is not None
    assert tree.metadata["num_events"] == 3
    assert tree.metadata["num_model_events"] == 1
    assert tree.metadata["total_tokens"] == 7


async def test_delete_removes_the_session_and_its_events(
    server: LocalServer, client: AsyncHoneyHive
) -> None:
    sid = (await client.session.start()).event_id
    await _five_events(client, sid)
    assert server.store.count(sid) == 6

    deleted = await client.session.delete(sid)

    assert deleted.success is True
    assert str(deleted.deleted) == "6"
    assert server.store.count(sid) == 0
    with pytest.raises(NotFoundError):
        await client.session.get(sid)


# -- events ------------------------------------------------------------------------------------


async def test_events_create_then_get_round_trips_every_field(client: AsyncHoneyHive) -> None:
    sid = (await client.session.start()).event_id
    created = await client.events.create(
        event_type="model",
        event_name="completion",
        inputs={"prompt": "hi"},
        outputs={"text": "hello"},
        config={"model": "m"},
        session_id=sid,
        start_time=_at(0),
        end_time=_at(2),
        metadata={"cost": 0.5},
        feedback={"rating": 5},
        metrics={"score": 1},
        user_properties={"user": "u1"},
        error=None,
    )

    assert created.success is True
    assert uuid.UUID(created.event_id).version == 4

    event = await client.events.get(created.event_id)

    assert event.event_id == created.event_id
    assert event.session_id == sid
    assert event.parent_id == sid
    assert event.event_type == "model"
    assert event.inputs == {"prompt": "hi"}
    assert event.outputs == {"text": "hello"}
    assert event.config == {"model": "m"}
    assert event.metadata == {"cost": 0.5}
    assert event.feedback == {"rating": 5}
    assert event.metrics == {"score": 1}
    assert event.user_properties == {"user": "u1"}
    assert event.error is None
    assert event.start_time_ms == _at(0)
    assert event.duration == 2000.0


async def test_events_create_keeps_a_given_event_id(client: AsyncHoneyHive) -> None:
    event_id = str(uuid.uuid4())
    created = await client.events.create(event_type="tool", inputs={}, event_id=event_id)
    assert created.event_id == event_id
    assert (await client.events.get(event_id)).event_id == event_id


@pytest.mark.parametrize("event_id", ["a/b c", "ü?#%", "..", "x%2Fy"])
async def test_ids_that_need_escaping_round_trip_through_the_url_path(
    server: LocalServer, client: AsyncHoneyHive, event_id: str
) -> None:
    await client.events.create(event_type="tool", inputs={}, event_id=event_id)
    await client.events.update(event_id, metadata={"k": 1})

    event = await client.events.get(event_id)

    assert event.event_id == event_id
    assert event.metadata == {"k": 1}
    assert server.requests[-1].path == f"/v1/events/{event_id}"


async def test_events_get_of_an_unknown_event_is_not_found(client: AsyncHoneyHive) -> None:
    with pytest.raises(NotFoundError):
        await client.events.get(str(uuid.uuid4()))


async def test_events_update_merges_objects_and_null_outputs_keep_them(
    server: LocalServer, client: AsyncHoneyHive
) -> None:
    created = await client.events.create(
        event_type="tool", inputs={"q": 1}, outputs={"a": 1}, metadata={"x": 1}, start_time=_at(0)
    )
    event_id = created.event_id
    path = f"/v1/events/{event_id}"

    await client.events.update(event_id, outputs=None, metadata={"y": 2}, feedback={"ok": True})

    assert sent(server, "PUT", path)[-1].json() == {
        "outputs": None,
        "metadata": {"y": 2},
        "feedback": {"ok": True},
    }
    event = await client.events.get(event_id)
    assert event.outputs == {"a": 1}
    assert event.metadata == {"x": 1, "y": 2}
    assert event.feedback == {"ok": True}

    await client.events.update(event_id, outputs={"b": 2}, end_time=_at(3), children_ids=[])

    event = await client.events.get(event_id)
    assert event.outputs == {"b": 2}
    assert event.metadata == {"x": 1, "y": 2}
    assert event.duration == 3000.0
    assert event.children_ids == []
    assert event.inputs == {"q": 1}


@pytest.mark.parametrize(
    ("body", "content_type"),
    [(b"", "application/json"), (b"OK", "text/plain")],
    ids=["empty", "text"],
)
async def test_events_update_accepts_the_documented_bodiless_200(
    server: LocalServer, client: AsyncHoneyHive, body: bytes, content_type: str
) -> None:
    # The spec gives PUT /v1/events/{event_id} a 200 without any body; update() returns None.
    event_id = (await client.events.create(event_type="tool", inputs={})).event_id
    path = f"/v1/events/{event_id}"
    server.faults.fail_next(body=body, status=200, content_type=content_type, path=path)

    await client.events.update(event_id, metadata={"x": 1})
    assert len(sent(server, "PUT", path)) == 1


async def test_events_update_of_an_unknown_event_is_not_found(client: AsyncHoneyHive) -> None:
    with pytest.raises(NotFoundError):
        await client.events.update(str(uuid.uuid4()), metadata={"x": 1})


async def test_create_batch_in_a_single_new_session(
    server: LocalServer, client: AsyncHoneyHive
) -> None:
    result = await client.events.create_batch(
        [{"event_type": "tool", "inputs": {"i": i}} for i in range(3)],
        single_session=True,
        session_properties={"session_name": "batch", "metadata": {"env": "test"}},
    )

    assert result.success is True
    assert result.session_id is not None
    assert len(result.event_ids) == 3
    session = await client.session.get(result.session_id)
    assert session.event_name == "batch"
    assert session.metadata == {"env": "test"}
    assert server.store.count(result.session_id) == 4


# -- search, iter and export -------------------------------------------------------------------


async def test_search_filters_and_pages_newest_first(client: AsyncHoneyHive) -> None:
    sid = str(uuid.uuid4())
    ids = await _five_events(client, sid)
    other = await client.events.create(event_type="tool", inputs={}, start_time=_at(9))

    first = await client.events.search(filters=_by_session(sid), limit=2, page=1)
    last = await client.events.search(filters=_by_session(sid), limit=2, page=3)
    beyond = await client.events.search(filters=_by_session(sid), limit=2, page=4)

    assert first.count == last.count == 5
    assert [e.event_id for e in first.events] == [ids[4], ids[3]]
    assert [e.event_id for e in last.events] == [ids[0]]
    assert beyond.events == []
    assert other.event_id not in {e.event_id for e in first.events + last.events}


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        pytest.param(
            [{"field": "metadata.i", "operator": "greater than", "value": 2}], [4, 3], id="gt"
        ),
        pytest.param(
            [{"field": "metadata.even", "operator": "is", "value": True, "type": "boolean"}],
            [4, 2, 0],
            id="boolean",
        ),
        pytest.param(
            [{"field": "event_name", "operator": "contains", "value": "step-1"}], [1], id="contains"
        ),
        pytest.param(
            [{"field": "error", "operator": "is", "value": None}], [4, 3, 2, 1, 0], id="null"
        ),
        pytest.param(
            [{"field": "metadata.missing", "operator": "exists", "value": None}], [], id="exists"
        ),
    ],
)
async def test_search_filters(
    client: AsyncHoneyHive, extra: list[dict[str, object]], expected: list[int]
) -> None:
    sid = str(uuid.uuid4())
    ids = await _five_events(client, sid)

    page = await client.events.search(filters=[*_by_session(sid), *extra])

    assert [e.event_id for e in page.events] == [ids[i] for i in expected]
    assert page.count == len(expected)


async def test_search_date_range_is_inclusive_on_start_time(client: AsyncHoneyHive) -> None:
    sid = str(uuid.uuid4())
    ids = await _five_events(client, sid)

    page = await client.events.search(
        filters=_by_session(sid), date_range=(_iso(_at(1)), _iso(_at(3)))
    )

    assert [e.event_id for e in page.events] == [ids[3], ids[2], ids[1]]


async def test_iter_yields_every_event_once_across_pages(
    server: LocalServer, client: AsyncHoneyHive
) -> None:
    sid = str(uuid.uuid4())
    ids = await _five_events(client, sid)

    seen = [
        event.event_id async for event in client.events.iter(filters=_by_session(sid), page_size=2)
    ]

    assert sorted(seen) == sorted(ids)
    assert len(seen) == 5
    pages = [r.json() for r in sent(server, "POST", "/v1/events/search")]
    assert [(p["limit"], p["page"]) for p in pages] == [(2, 1), (2, 2), (2, 3)]


async def test_export_allows_7500_a_page_and_projects_fields(
    server: LocalServer, client: AsyncHoneyHive
) -> None:
    sid = str(uuid.uuid4())
    ids = await _five_events(client, sid)

    page = await client.events.export(
        filters=[ExportFilter(field="session_id", operator="is", value=sid, type="string")],
        date_range=(_iso(_at(0)), _iso(_at(4))),
        projections=["event_name", "metadata.i"],
        limit=7500,
    )

    assert page.totalEvents == page.total == 5
    assert [e.event_id for e in page.events] == ids[::-1]
    assert [e.event_name for e in page.events] == [f"step-{i}" for i in range(4, -1, -1)]
    assert [e.metadata for e in page.events] == [{"i": i} for i in range(4, -1, -1)]
    assert all(e.inputs is None and e.session_id is None for e in page.events)
    body = sent(server, "POST", "/v1/events/export")[0].json()
    assert body["limit"] == 7500
    assert body["dateRange"] == {"$gte": "2023-11-14T22:13:20Z", "$lte": "2023-11-14T22:13:24Z"}


async def test_limits_beyond_the_api_maximum_fail_before_any_request(
    server: LocalServer, client: AsyncHoneyHive
) -> None:
    with pytest.raises(ValueError, match="limit"):
        await client.events.search(limit=1001)
    with pytest.raises(ValueError, match="limit"):
        await client.events.export(limit=7501)
    assert len(server.requests) == 0
