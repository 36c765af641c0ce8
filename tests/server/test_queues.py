"""`/v1/queues`: status codes, reply shapes and bad requests."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from .helpers import call

REQUIRED = {
    "name", "description", "filters", "enabled", "id", "scope_id", "scope_type", "is_active",
    "created_at", "updated_at",
}  # fmt: skip


async def test_create_is_a_201_and_replies_never_show_event_ids(
    client: aiohttp.ClientSession,
) -> None:
    created = await call(
        client, "POST", "/v1/queues", {"name": "q", "event_ids": ["e"]}, status=201
    )
    assert set(created) == {"queue", "message"}
    assert set(created["queue"]) == REQUIRED
    queue_id = created["queue"]["id"]
    assert await call(client, "GET", f"/v1/queues/{queue_id}") == created["queue"]
    updated = await call(client, "PUT", f"/v1/queues/{queue_id}", {"id": queue_id, "name": "r"})
    assert set(updated["queue"]) == REQUIRED
    assert (await call(client, "GET", "/v1/queues"))["queues"] == [updated["queue"]]


@pytest.mark.parametrize(
    ("method", "path", "body", "needle"),
    [
        ("POST", "/v1/queues", {}, "name"),
        ("POST", "/v1/queues", {"name": "q", "description": "x" * 1001}, "$.description"),
        ("POST", "/v1/queues", {"name": "q", "bogus": 1}, "bogus"),
        ("POST", "/v1/queues", {"name": "q", "filters": {}}, "filterArray"),
        ("PUT", "/v1/queues/q1", {"name": "q"}, "id"),
        ("PUT", "/v1/queues/q1", {"id": "q2"}, "is not the path's"),
        ("GET", "/v1/queues?enabled=yes", None, "enabled must be true or false"),
    ],
)
async def test_bad_requests_are_a_400_naming_the_problem(
    client: aiohttp.ClientSession, method: str, path: str, body: Any, needle: str
) -> None:
    result = await call(client, method, path, body, status=400)
    assert needle in result["message"]
