"""`client.queues`: annotation queues, where events wait for human review."""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from typing import Any

from .._resource import AsyncAPIResource, path_id
from ..models.queues import (
    CreateQueueRequest,
    DeleteQueueResponse,
    Queue,
    QueueFilters,
    QueueResponse,
    QueuesResponse,
    UpdateQueueRequest,
)
from ._convert import to_struct

__all__ = ["AsyncQueues"]

_Filters = QueueFilters | Mapping[str, Any]


def _filters(value: _Filters | None) -> QueueFilters | None:
    return None if value is None else to_struct(value, QueueFilters, "filters")


class AsyncQueues(AsyncAPIResource):
    """List, create, get, update and delete annotation queues."""

    async def list(self, *, enabled: bool | None = None) -> builtins.list[Queue]:
        """Return the queues (`GET /v1/queues`), optionally only the enabled or disabled ones."""
        params = {"enabled": enabled}
        return (await self._get("/v1/queues", cast_to=QueuesResponse, params=params)).queues

    async def create(
        self,
        *,
        name: str,
        description: str | None = None,
        filters: _Filters | None = None,
        enabled: bool | None = None,
        event_ids: builtins.list[str] | None = None,
    ) -> QueueResponse:
        """Create a queue (`POST /v1/queues`, 201); the reply's `queue` carries its `id`.

        Args:
            name: Up to 200 characters.
            description: Up to 1000 characters.
            filters: `QueueFilters` or ``{"filterArray": [...]}``: which events it collects.
            enabled: Whether it collects events (server default True).
            event_ids: Events to put in it from the start.
        """
        body = CreateQueueRequest(
            name=name,
            description=description,
            filters=_filters(filters),
            enabled=enabled,
            event_ids=event_ids,
        )
        return await self._post("/v1/queues", cast_to=QueueResponse, body=body, idempotent=False)

    async def get(self, queue_id: str) -> Queue:
        """Return one queue (`GET /v1/queues/{queue_id}`)."""
        return await self._get(f"/v1/queues/{path_id('queue_id', queue_id)}", cast_to=Queue)

    async def update(
        self,
        queue_id: str,
        *,
        name: str | None = None,
        description: str | None = None,
        filters: _Filters | None = None,
        enabled: bool | None = None,
        add_event_ids: builtins.list[str] | None = None,
        remove_event_ids: builtins.list[str] | None = None,
    ) -> QueueResponse:
        """Change a queue (`PUT /v1/queues/{queue_id}`): only the fields given change.

        Args:
            queue_id: The queue.
            name: See `create`.
            description: See `create`.
            filters: See `create`.
            enabled: See `create`.
            add_event_ids: Events to add to it.
            remove_event_ids: Events to take out of it.
        """
        path = f"/v1/queues/{path_id('queue_id', queue_id)}"
        body = UpdateQueueRequest(
            id=queue_id,
            name=name,
            description=description,
            filters=_filters(filters),
            enabled=enabled,
            add_event_ids=add_event_ids,
            remove_event_ids=remove_event_ids,
        )
        return await self._put(path, cast_to=QueueResponse, body=body)

    async def delete(self, queue_id: str) -> DeleteQueueResponse:
        """Delete a queue (`DELETE /v1/queues/{queue_id}`)."""
        path = f"/v1/queues/{path_id('queue_id', queue_id)}"
        return await self._delete(path, cast_to=DeleteQueueResponse)
