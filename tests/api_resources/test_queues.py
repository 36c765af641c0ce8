"""`client.queues`: request shapes (aioresponses) and round trips through the local server."""

from __future__ import annotations

from typing import Any

import pytest
from aioresponses import aioresponses

from honeyhive_async import AsyncHoneyHive, BadRequestError, NotFoundError
from honeyhive_async.models import Queue
from honeyhive_async.server import LocalServer
from tests.api_resources.helpers import mock_sent
from tests.conftest import MOCK_URL
from tests.integration.conftest import sent

FILTERS = {
    "filterArray": [{"field": "event_type", "operator": "is", "value": "model", "type": "string"}]
}
QUEUE: dict[str, Any] = {
    "id": "q1",
    "name": "Review",
    "description": "",
    "filters": FILTERS,
    "enabled": True,
    "scope_id": "p1",
    "scope_type": "project",
    "is_active": True,
    "created_at": "2024-04-01T22:38:19.000Z",
    "updated_at": None,
}


class TestQueuesRequestShape:
    """What goes on the wire and how replies decode, against aioresponses (no sockets)."""

    async def test_list_and_get(self, mock_api: aioresponses, mock_client: AsyncHoneyHive) -> None:
        mock_api.get(f"{MOCK_URL}/v1/queues?enabled=false", payload={"queues": [QUEUE]})
        mock_api.get(f"{MOCK_URL}/v1/queues/q1", payload=QUEUE)
        (listed,) = await mock_client.queues.list(enabled=False)
        assert isinstance(listed, Queue)
        assert (listed.id, listed.filters, listed.scope_type) == ("q1", FILTERS, "project")
        assert listed.created_at_ms == 1_712_011_099_000.0
        assert await mock_client.queues.get("q1") == listed

    async def test_create_takes_a_201_and_update_repeats_the_id_in_the_body(
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive
    ) -> None:
        mock_api.post(
            f"{MOCK_URL}/v1/queues", status=201, payload={"queue": QUEUE, "message": "ok"}
        )
        mock_api.put(f"{MOCK_URL}/v1/queues/q1", payload={"queue": QUEUE, "message": "ok"})
        mock_api.delete(f"{MOCK_URL}/v1/queues/q1", payload={"message": "deleted"})

        created = await mock_client.queues.create(name="Review", filters=FILTERS, event_ids=["e1"])
        assert (created.queue.id, created.message) == ("q1", "ok")
        assert mock_sent(mock_api, "POST", "/v1/queues") == {
            "name": "Review",
            "filters": FILTERS,
            "event_ids": ["e1"],
        }
        await mock_client.queues.update("q1", enabled=False, add_event_ids=["e2"])
        assert mock_sent(mock_api, "PUT", "/v1/queues/q1") == {
            "id": "q1",
            "enabled": False,
            "add_event_ids": ["e2"],
        }
        assert (await mock_client.queues.delete("q1")).message == "deleted"

    async def test_bad_arguments_fail_before_any_io(
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive
    ) -> None:
        for call in (
            mock_client.queues.get(""),
            mock_client.queues.update(" ", name="x"),
            mock_client.queues.delete(""),
        ):
            with pytest.raises(ValueError, match="queue_id must be a non-empty string"):
                await call
        with pytest.raises(ValueError, match="filters"):
            await mock_client.queues.create(name="q", filters={"filterArray": [{"field": "f"}]})
        assert mock_api.requests == {}


class TestQueuesRoundTrip:
    """Every method end to end against the local server: what is stored and returned."""

    async def test_create_get_list_update_delete(
        self, server: LocalServer, client: AsyncHoneyHive
    ) -> None:
        assert await client.queues.list() == []
        created = (await client.queues.create(name="Review", event_ids=["e1", "e2"])).queue
        assert (created.name, created.description, created.enabled, created.is_active) == (
            "Review",
            "",
            True,
            True,
        )
        assert created.filters == {"filterArray": []}
        assert created.scope_type == "project"
        assert await client.queues.get(created.id) == created
        off = (await client.queues.create(name="Off", enabled=False, filters=FILTERS)).queue
        assert [q.id for q in await client.queues.list()] == [created.id, off.id]
        assert await client.queues.list(enabled=False) == [off]
        assert sent(server, "GET", "/v1/queues")[-1].query == "enabled=false"

        updated = await client.queues.update(
            created.id, description="d", add_event_ids=["e3"], remove_event_ids=["e1"]
        )
        assert (updated.queue.description, updated.queue.name) == ("d", "Review")
        assert updated.queue.updated_at_ms is not None
        assert server.store.queues.get(created.id)["event_ids"] == ["e2", "e3"]  # type: ignore[index]

        assert (await client.queues.delete(created.id)).message
        with pytest.raises(NotFoundError):
            await client.queues.get(created.id)
        assert await client.queues.list() == [off]

    async def test_unknown_ids_are_not_found(self, client: AsyncHoneyHive) -> None:
        with pytest.raises(NotFoundError):
            await client.queues.get("nope")
        with pytest.raises(NotFoundError):
            await client.queues.update("nope", name="x")
        with pytest.raises(NotFoundError) as info:
            await client.queues.delete("nope")
        assert info.value.error_code == "NOT_FOUND"

    async def test_a_name_too_long_is_a_bad_request(self, client: AsyncHoneyHive) -> None:
        with pytest.raises(BadRequestError, match=r"\$.name"):
            await client.queues.create(name="x" * 201)
