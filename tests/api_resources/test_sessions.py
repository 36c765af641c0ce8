"""`client.session`: request shapes (aioresponses) and round trips through the local server."""

from __future__ import annotations

import re
import uuid

import pytest
from aioresponses import aioresponses
from yarl import URL

from honeyhive_async import (
    APIResponseDecodeError,
    AsyncHoneyHive,
    BadRequestError,
    Event,
    InternalServerError,
    NotFoundError,
    PartialBatchError,
)
from honeyhive_async.models import CreateEventRequest, SessionTracesResponse
from honeyhive_async.server import LocalServer
from tests.api_resources.helpers import at, five_events, mock_sent
from tests.conftest import MOCK_URL
from tests.integration.conftest import sent


class TestSessionsRequestShape:
    """What goes on the wire and how replies decode, against aioresponses (no sockets)."""

    async def test_get_decodes_the_documented_body(
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive, documented_session_bytes: bytes
    ) -> None:
        sid = "caf77ace-3417-4da4-944d-f4a0688f3c23"
        mock_api.get(f"{MOCK_URL}/session/{sid}", body=documented_session_bytes)
        event = await mock_client.session.get(sid)
        assert event.session_id == sid
        assert event.event_name == "Model Completion"
        assert event.start_time_ms == 1_712_011_099_000.0
        assert mock_sent(mock_api, "GET", f"/session/{sid}") is None

    @pytest.mark.parametrize("bad", ["", "   "])
    async def test_empty_ids_fail_before_any_io(
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive, bad: str
    ) -> None:
        with pytest.raises(ValueError, match="session_id must be a non-empty string"):
            await mock_client.session.get(bad)
        assert mock_api.requests == {}

    async def test_start_generates_a_uuid_session_id(
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive
    ) -> None:
        mock_api.post(f"{MOCK_URL}/v1/sessions", payload={"event_id": "x", "session_id": "x"})
        await mock_client.session.start(session_name="chat", metadata={"env": "test"})
        body = mock_sent(mock_api, "POST", "/v1/sessions")
        assert isinstance(body, dict)
        assert set(body) == {"session_id", "session_name", "metadata"}
        assert uuid.UUID(body["session_id"]).version == 4
        assert body["metadata"] == {"env": "test"}

    @pytest.mark.parametrize(
        "body",
        [b'{"event_id": "x", "start_time": 1', b"<html>502 Bad Gateway</html>", b"[1, 2, 3]", b""],
    )
    async def test_a_2xx_body_that_is_not_the_documented_json_is_a_decode_error(
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive, body: bytes
    ) -> None:
        mock_api.get(f"{MOCK_URL}/session/s1", body=body)
        with pytest.raises(APIResponseDecodeError, match=re.escape("GET /session/s1")) as info:
            await mock_client.session.get("s1")
        assert info.value.body == body

    async def test_tree_and_delete(
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive
    ) -> None:
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

    async def test_add_events_posts_the_events_with_ids_and_decodes_the_example(
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive
    ) -> None:
        sid = "caf77ace-3417-4da4-944d-f4a0688f3c23"
        path = f"/v1/sessions/{sid}/events/batch"
        mock_api.post(MOCK_URL + path, payload={"success": True})

        result = await mock_client.session.add_events(
            sid,
            [
                {"event_type": "tool", "inputs": {"q": 1}, "event_name": "lookup"},
                CreateEventRequest(event_type="model", inputs={}, event_id="e2"),
            ],
        )

        assert result == SessionTracesResponse(success=True)
        body = mock_sent(mock_api, "POST", path)
        assert isinstance(body, dict)
        assert set(body) == {"events"}
        first, second = body["events"]
        assert set(first) == {"event_type", "inputs", "event_name", "event_id"}
        assert uuid.UUID(first["event_id"]).version == 4
        assert second == {"event_type": "model", "inputs": {}, "event_id": "e2"}

    @pytest.mark.parametrize(
        ("session_id", "events", "message"),
        [
            ("", [{"event_type": "tool", "inputs": {}}], "session_id must be a non-empty"),
            ("s1", [], "events must not be empty"),
            ("s1", [{"event_type": "tool", "inputs": {}, "bogus": 1}], "events\\[0\\]"),
        ],
    )
    async def test_add_events_fails_before_any_io(
        self,
        mock_api: aioresponses,
        mock_client: AsyncHoneyHive,
        session_id: str,
        events: list[dict[str, object]],
        message: str,
    ) -> None:
        with pytest.raises(ValueError, match=message):
            await mock_client.session.add_events(session_id, events)
        assert mock_api.requests == {}

    async def test_add_events_is_not_retried_after_a_500(
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive
    ) -> None:
        path = "/v1/sessions/s1/events/batch"
        mock_api.post(MOCK_URL + path, status=500, payload={"message": "Events partially added"})
        mock_api.post(MOCK_URL + path, payload={"success": True})

        retrying = mock_client.with_options(max_retries=3)
        with pytest.raises(InternalServerError):
            await retrying.session.add_events("s1", [{"event_type": "tool", "inputs": {}}])
        assert len(mock_api.requests[("POST", URL(MOCK_URL + path))]) == 1

    async def test_add_events_500_hands_back_the_events_not_reported_added_with_their_ids(
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive
    ) -> None:
        path = "/v1/sessions/s1/events/batch"
        mock_api.post(MOCK_URL + path, status=500, payload={"message": "Events partially added"})
        events = [{"event_type": "tool", "inputs": {"n": n}} for n in range(2)]

        with pytest.raises(PartialBatchError) as caught:
            await mock_client.session.add_events("s1", events)

        body = mock_sent(mock_api, "POST", path)
        assert isinstance(body, dict)
        sent_ids = [event["event_id"] for event in body["events"]]
        assert [event.event_id for event in caught.value.uncreated] == sent_ids
        assert [event.inputs for event in caught.value.uncreated] == [{"n": 0}, {"n": 1}]
        assert caught.value.path == path
        assert "Events partially added" in str(caught.value)


class TestSessionsRoundTrip:
    """Every method end to end against the local server: what is stored and returned."""

    async def test_start_generates_a_uuid4_and_a_repeat_merges_metadata(
        self, server: LocalServer, client: AsyncHoneyHive
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

    async def test_get_returns_the_documented_event_shape(self, client: AsyncHoneyHive) -> None:
        started = await client.session.start(
            session_name="shape", source="tests", inputs={"q": "hi"}, start_time=at(0)
        )

        event = await client.session.get(started.event_id)

        assert isinstance(event, Event)
        assert event.event_id == event.session_id == started.event_id
        assert event.event_type == "session"
        assert event.parent_id is None
        assert event.source == "tests"
        assert event.inputs == {"q": "hi"}
        assert isinstance(event.start_time, (int, float))
        assert event.start_time_ms == at(0)
        assert event.children_ids == []

    async def test_get_of_an_unknown_session_is_not_found(self, client: AsyncHoneyHive) -> None:
        with pytest.raises(NotFoundError) as caught:
            await client.session.get(str(uuid.uuid4()))
        assert caught.value.error_code == "NOT_FOUND"

    async def test_get_tree_nests_children_under_their_parent(self, client: AsyncHoneyHive) -> None:
        sid = (await client.session.start(session_name="tree", start_time=at(0))).event_id
        chain = await client.events.create(
            event_type="chain", event_name="chain", inputs={}, session_id=sid, start_time=at(1)
        )
        tool = await client.events.create(
            event_type="tool",
            event_name="tool",
            inputs={},
            session_id=sid,
            parent_id=chain.event_id,
            start_time=at(2),
        )
        model = await client.events.create(
            event_type="model",
            event_name="model",
            inputs={},
            session_id=sid,
            start_time=at(3),
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
        self, server: LocalServer, client: AsyncHoneyHive
    ) -> None:
        sid = (await client.session.start()).event_id
        await five_events(client, sid)
        assert server.store.count(sid) == 6

        deleted = await client.session.delete(sid)

        assert deleted.success is True
        assert str(deleted.deleted) == "6"
        assert server.store.count(sid) == 0
        with pytest.raises(NotFoundError):
            await client.session.get(sid)

    async def test_add_events_stores_them_in_the_path_session(
        self, server: LocalServer, client: AsyncHoneyHive
    ) -> None:
        sid = (await client.session.start(session_name="add", start_time=at(0))).event_id
        other = str(uuid.uuid4())

        result = await client.session.add_events(
            sid,
            [
                {"event_type": "chain", "event_name": "a", "inputs": {}, "start_time": at(1)},
                {
                    "event_type": "model",
                    "event_name": "b",
                    "inputs": {"q": "hi"},
                    "session_id": other,
                    "start_time": at(2),
                },
            ],
        )

        assert result.success is True
        assert server.store.count(sid) == 3
        assert server.store.count(other) == 0
        tree = await client.session.get_tree(sid)
        assert [node.event_name for node in tree.walk()] == ["add", "a", "b"]
        assert [child.parent_id for child in tree.children] == [sid, sid]
        assert tree.children[1].inputs == {"q": "hi"}

    async def test_add_events_to_an_unknown_session_is_not_found(
        self, server: LocalServer, client: AsyncHoneyHive
    ) -> None:
        sid = str(uuid.uuid4())
        with pytest.raises(NotFoundError) as caught:
            await client.session.add_events(sid, [{"event_type": "tool", "inputs": {}}])
        assert caught.value.error_code == "NOT_FOUND"
        assert server.store.count(sid) == 0

    async def test_delete_of_an_unknown_session_raises_the_specs_400(
        self, client: AsyncHoneyHive
    ) -> None:
        with pytest.raises(BadRequestError) as caught:
            await client.session.delete(str(uuid.uuid4()))
        assert caught.value.error_code == "NOT_FOUND"
