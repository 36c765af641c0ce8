"""`client.events`: request shapes (aioresponses) and round trips through the local server."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import msgspec
import pytest
from aioresponses import aioresponses
from yarl import URL

from honeyhive_async import (
    AsyncHoneyHive,
    CreateEventRequest,
    EventFilter,
    ExportFilter,
    NotFoundError,
    PartialBatchError,
)
from honeyhive_async._pagination import PageIterator
from honeyhive_async.server import LocalServer
from tests.api_resources.helpers import at, by_session, five_events, iso, mock_sent
from tests.conftest import MOCK_URL
from tests.integration.conftest import sent


class TestEventsRequestShape:
    """What goes on the wire and how replies decode, against aioresponses (no sockets)."""

    async def test_path_ids_are_percent_encoded(
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive
    ) -> None:
        mock_api.get(f"{MOCK_URL}/v1/events/a%2Fb%20c", payload={"event": {"event_id": "a/b c"}})
        assert (await mock_client.events.get("a/b c")).event_id == "a/b c"

    @pytest.mark.parametrize("bad", ["", "   "])
    async def test_empty_ids_fail_before_any_io(
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive, bad: str
    ) -> None:
        with pytest.raises(ValueError, match="event_id must be a non-empty string"):
            await mock_client.events.update(bad, metadata={})
        assert mock_api.requests == {}

    @pytest.mark.parametrize("dots", [".", ".."])
    async def test_dot_segment_ids_fail_before_any_io(
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive, dots: str
    ) -> None:
        # A proxy would resolve `/v1/datasets/d/datapoints/..` to `/v1/datasets/d`.
        with pytest.raises(ValueError, match=f"datapoint_id cannot be '{re.escape(dots)}'"):
            await mock_client.datasets.remove_datapoint("d", dots)
        with pytest.raises(ValueError, match="event_id cannot be"):
            await mock_client.events.get(dots)
        assert mock_api.requests == {}

    async def test_create_sends_only_set_fields_with_an_event_id(
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive
    ) -> None:
        mock_api.post(f"{MOCK_URL}/v1/events", payload={"success": True, "event_id": "ignored"})
        await mock_client.events.create(event_type="model", inputs={"q": "hi"}, duration=12.5)
        body = mock_sent(mock_api, "POST", "/v1/events")
        assert isinstance(body, dict)
        assert set(body) == {"event_type", "inputs", "event_id", "duration"}
        assert uuid.UUID(body["event_id"]).version == 4

    async def test_create_rejects_an_unknown_event_type(self, mock_client: AsyncHoneyHive) -> None:
        with pytest.raises(ValueError, match="event_type must be one of"):
            await mock_client.events.create(event_type="generic", inputs={})  # type: ignore[arg-type]

    async def test_update_sends_none_as_null_and_skips_unset(
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive
    ) -> None:
        mock_api.put(f"{MOCK_URL}/v1/events/e1", payload={"success": True})
        await mock_client.events.update("e1", outputs=None, metrics={"score": 1})
        assert mock_sent(mock_api, "PUT", "/v1/events/e1") == {
            "outputs": None,
            "metrics": {"score": 1},
        }

    async def test_create_batch_fills_missing_event_ids_without_touching_given_ones(
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive
    ) -> None:
        mock_api.post(f"{MOCK_URL}/v1/events/batch", payload={"event_ids": [], "success": True})
        given = CreateEventRequest(event_type="tool", inputs={}, event_id="keep-me")
        await mock_client.events.create_batch([given, {"event_type": "chain", "inputs": {"a": 1}}])
        body = mock_sent(mock_api, "POST", "/v1/events/batch")
        assert isinstance(body, dict)
        ids = [e["event_id"] for e in body["events"]]
        assert ids[0] == "keep-me"
        assert uuid.UUID(ids[1]).version == 4
        assert given.event_id == "keep-me"

    async def test_create_batch_names_the_bad_event(self, mock_client: AsyncHoneyHive) -> None:
        with pytest.raises(ValueError, match=r"events\[1\].*bogus"):
            await mock_client.events.create_batch(
                [
                    {"event_type": "tool", "inputs": {}},
                    {"event_type": "tool", "inputs": {}, "bogus": 1},
                ]
            )

    async def test_partial_batch_raises_with_created_and_uncreated(
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive
    ) -> None:
        events = [
            CreateEventRequest(event_type="tool", inputs={}, event_id=f"e{i}") for i in range(3)
        ]
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
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive
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
        assert mock_sent(mock_api, "POST", "/v1/events/search") == {
            "filters": [
                {"field": "session_id", "operator": "is", "value": "s1", "type": "string"},
                {"field": "metadata.cost", "operator": "greater than", "value": 0.5},
            ],
            "dateRange": {
                "start_time": "2024-04-01T00:00:00Z",
                "end_time": "2024-04-02T00:00:00Z",
            },
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
        self,
        mock_api: aioresponses,
        mock_client: AsyncHoneyHive,
        kwargs: dict[str, object],
        message: str,
    ) -> None:
        with pytest.raises(ValueError, match=message):
            await mock_client.events.search(**kwargs)  # type: ignore[arg-type]
        assert mock_api.requests == {}

    async def test_iter_walks_pages_until_a_short_one_and_skips_repeats(
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive
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
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive
    ) -> None:
        mock_api.post(
            f"{MOCK_URL}/v1/events/export",
            payload={"events": [{"event_id": "a"}], "totalEvents": 1},
        )
        page = await mock_client.events.export(
            filters=[{"field": "event_type", "operator": "is", "value": "model", "type": "string"}],
            date_range=("2024-01-01T00:00:00Z", "2024-02-01T00:00:00Z"),
            projections=["event_id", "event_name"],
            limit=7500,
        )
        assert page.total == 1
        body = mock_sent(mock_api, "POST", "/v1/events/export")
        assert isinstance(body, dict)
        assert body["dateRange"] == {"$gte": "2024-01-01T00:00:00Z", "$lte": "2024-02-01T00:00:00Z"}
        assert body["limit"] == 7500
        with pytest.raises(ValueError, match="7500"):
            await mock_client.events.export(limit=7501)
        with pytest.raises(ValueError, match=r"filters\[0\].*type"):
            await mock_client.events.export(filters=[{"field": "a", "operator": "is", "value": 1}])

    async def test_a_404_is_a_not_found_error_with_the_server_message(
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive
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


class TestEventsRoundTrip:
    """Every method end to end against the local server: what is stored and returned."""

    async def test_create_then_get_round_trips_every_field(self, client: AsyncHoneyHive) -> None:
        sid = (await client.session.start()).event_id
        created = await client.events.create(
            event_type="model",
            event_name="completion",
            inputs={"prompt": "hi"},
            outputs={"text": "hello"},
            config={"model": "m"},
            session_id=sid,
            start_time=at(0),
            end_time=at(2),
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
        assert event.start_time_ms == at(0)
        assert event.duration == 2000.0

    async def test_create_keeps_a_given_event_id(self, client: AsyncHoneyHive) -> None:
        event_id = str(uuid.uuid4())
        created = await client.events.create(event_type="tool", inputs={}, event_id=event_id)
        assert created.event_id == event_id
        assert (await client.events.get(event_id)).event_id == event_id

    @pytest.mark.parametrize("event_id", ["a/b c", "ü?#%", "...", "x%2Fy"])
    async def test_ids_that_need_escaping_round_trip_through_the_url_path(
        self, server: LocalServer, client: AsyncHoneyHive, event_id: str
    ) -> None:
        await client.events.create(event_type="tool", inputs={}, event_id=event_id)
        await client.events.update(event_id, metadata={"k": 1})

        event = await client.events.get(event_id)

        assert event.event_id == event_id
        assert event.metadata == {"k": 1}
        assert server.requests[-1].path == f"/v1/events/{event_id}"

    async def test_get_of_an_unknown_event_is_not_found(self, client: AsyncHoneyHive) -> None:
        with pytest.raises(NotFoundError):
            await client.events.get(str(uuid.uuid4()))

    async def test_update_merges_objects_and_null_outputs_keep_them(
        self, server: LocalServer, client: AsyncHoneyHive
    ) -> None:
        created = await client.events.create(
            event_type="tool",
            inputs={"q": 1},
            outputs={"a": 1},
            metadata={"x": 1},
            start_time=at(0),
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

        await client.events.update(event_id, outputs={"b": 2}, end_time=at(3), children_ids=[])

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
    async def test_update_accepts_the_documented_bodiless_200(
        self, server: LocalServer, client: AsyncHoneyHive, body: bytes, content_type: str
    ) -> None:
        # The spec gives PUT /v1/events/{event_id} a 200 without any body; update() returns None.
        event_id = (await client.events.create(event_type="tool", inputs={})).event_id
        path = f"/v1/events/{event_id}"
        server.faults.fail_next(body=body, status=200, content_type=content_type, path=path)

        await client.events.update(event_id, metadata={"x": 1})
        assert len(sent(server, "PUT", path)) == 1

    async def test_update_of_an_unknown_event_is_not_found(self, client: AsyncHoneyHive) -> None:
        with pytest.raises(NotFoundError):
            await client.events.update(str(uuid.uuid4()), metadata={"x": 1})

    async def test_create_batch_in_a_single_new_session(
        self, server: LocalServer, client: AsyncHoneyHive
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

    async def test_search_filters_and_pages_newest_first(self, client: AsyncHoneyHive) -> None:
        sid = str(uuid.uuid4())
        ids = await five_events(client, sid)
        other = await client.events.create(event_type="tool", inputs={}, start_time=at(9))

        first = await client.events.search(filters=by_session(sid), limit=2, page=1)
        last = await client.events.search(filters=by_session(sid), limit=2, page=3)
        beyond = await client.events.search(filters=by_session(sid), limit=2, page=4)

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
                [{"field": "event_name", "operator": "contains", "value": "step-1"}],
                [1],
                id="contains",
            ),
            pytest.param(
                [{"field": "error", "operator": "is", "value": None}], [4, 3, 2, 1, 0], id="null"
            ),
            pytest.param(
                [{"field": "metadata.missing", "operator": "exists", "value": None}],
                [],
                id="exists",
            ),
        ],
    )
    async def test_search_filters(
        self, client: AsyncHoneyHive, extra: list[dict[str, object]], expected: list[int]
    ) -> None:
        sid = str(uuid.uuid4())
        ids = await five_events(client, sid)

        page = await client.events.search(filters=[*by_session(sid), *extra])

        assert [e.event_id for e in page.events] == [ids[i] for i in expected]
        assert page.count == len(expected)

    async def test_search_date_range_is_inclusive_on_start_time(
        self, client: AsyncHoneyHive
    ) -> None:
        sid = str(uuid.uuid4())
        ids = await five_events(client, sid)

        page = await client.events.search(
            filters=by_session(sid), date_range=(iso(at(1)), iso(at(3)))
        )

        assert [e.event_id for e in page.events] == [ids[3], ids[2], ids[1]]

    async def test_iter_yields_every_event_once_across_pages(
        self, server: LocalServer, client: AsyncHoneyHive
    ) -> None:
        sid = str(uuid.uuid4())
        ids = await five_events(client, sid)

        seen = [
            event.event_id
            async for event in client.events.iter(filters=by_session(sid), page_size=2)
        ]

        assert sorted(seen) == sorted(ids)
        assert len(seen) == 5
        pages = [r.json() for r in sent(server, "POST", "/v1/events/search")]
        assert [(p["limit"], p["page"]) for p in pages] == [(2, 1), (2, 2), (2, 3)]

    async def test_iter_fetches_ahead_and_leaving_the_block_stops_the_fetch(
        self, server: LocalServer, client: AsyncHoneyHive
    ) -> None:
        sid = str(uuid.uuid4())
        await five_events(client, sid)
        events = client.events.iter(filters=by_session(sid), page_size=2)
        assert isinstance(events, PageIterator)  # its prefetch is tested in test_pagination

        async with events:
            async for _ in events:
                assert events._next is not None  # page 2 is on its way while page 1 is read
                break
        # Leaving the block cancelled and awaited the fetch ahead.
        assert events._next is None
        assert [e.event_id async for e in events] == []  # closed: nothing more comes

    async def test_export_allows_7500_a_page_and_projects_fields(
        self, server: LocalServer, client: AsyncHoneyHive
    ) -> None:
        sid = str(uuid.uuid4())
        ids = await five_events(client, sid)

        page = await client.events.export(
            filters=[ExportFilter(field="session_id", operator="is", value=sid, type="string")],
            date_range=(iso(at(0)), iso(at(4))),
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
        self, server: LocalServer, client: AsyncHoneyHive
    ) -> None:
        with pytest.raises(ValueError, match="limit"):
            await client.events.search(limit=1001)
        with pytest.raises(ValueError, match="limit"):
            await client.events.export(limit=7501)
        assert len(server.requests) == 0
