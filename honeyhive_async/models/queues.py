"""Annotation queue models: `/v1/queues` (list, create, get, update, delete)."""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta

from ._base import JSONObject, Model, RequestModel, field_ms
from .events import ExportFilter

__all__ = [
    "CreateQueueRequest",
    "DeleteQueueResponse",
    "Queue",
    "QueueFilters",
    "QueueResponse",
    "QueuesResponse",
    "UpdateQueueRequest",
]

_Name = Annotated[str, Meta(max_length=200)]
_Description = Annotated[str, Meta(max_length=1000)]


class QueueFilters(RequestModel):
    """Which events a queue collects (an empty list: none by filter)."""

    filterArray: list[ExportFilter]


class CreateQueueRequest(RequestModel):
    """Body of `POST /v1/queues`."""

    name: _Name
    description: _Description | None = None
    filters: QueueFilters | None = None
    enabled: bool | None = None
    event_ids: list[str] | None = None
    """Events to put in the queue from the start."""


class UpdateQueueRequest(RequestModel):
    """Body of `PUT /v1/queues/{queue_id}` (the id again in the body, as the spec requires)."""

    id: Annotated[str, Meta(min_length=1)]
    name: _Name | None = None
    description: _Description | None = None
    filters: QueueFilters | None = None
    enabled: bool | None = None
    add_event_ids: list[str] | None = None
    remove_event_ids: list[str] | None = None


class Queue(Model):
    """An annotation queue as the API returns it."""

    id: str
    name: str
    description: str = ""
    filters: JSONObject | None = None
    enabled: bool = True
    scope_id: str | None = None
    scope_type: str | None = None
    """``"project"``, ``"workspace"``, ``"org"``, ..."""
    is_active: bool = True
    created_at: str | float | None = None
    """ISO 8601 (or Unix ms); see `created_at_ms`."""
    updated_at: str | float | None = None

    @property
    def created_at_ms(self) -> float | None:
        """`created_at` as Unix milliseconds."""
        return field_ms(self.created_at, "created_at")

    @property
    def updated_at_ms(self) -> float | None:
        """`updated_at` as Unix milliseconds (None until the queue is updated)."""
        return field_ms(self.updated_at, "updated_at")


class QueuesResponse(Model):
    """Body of `GET /v1/queues`."""

    queues: list[Queue]


class QueueResponse(Model):
    """Body of a queue's create (201) and update: the queue and a message."""

    queue: Queue
    message: str = ""


class DeleteQueueResponse(Model):
    """Body of `DELETE /v1/queues/{queue_id}`."""

    message: str = ""
