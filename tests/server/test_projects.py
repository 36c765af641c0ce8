"""`/v1/projects` (preview spec): reply shapes and bad requests."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from .helpers import call


async def test_replies_carry_the_spec_shapes(client: aiohttp.ClientSession) -> None:
    created = await call(client, "POST", "/v1/projects", {"name": "p"})
    assert set(created) == {"id", "name", "org_id", "created_at", "updated_at"}
    assert await call(client, "GET", "/v1/projects") == [created]
    assert await call(client, "PUT", "/v1/projects", {"name": "p", "description": "d"}) == {
        "success": True
    }
    assert await call(client, "DELETE", "/v1/projects?name=p") == {"success": True}
    assert await call(client, "GET", "/v1/projects") == []


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "needle"),
    [
        ("POST", "/v1/projects", {"name": ""}, 400, "$.name"),
        ("POST", "/v1/projects", {"name": "p", "bogus": 1}, 400, "bogus"),
        ("POST", "/v1/projects", {"name": "p", "type": "chat"}, 400, "$.type"),
        ("PUT", "/v1/projects", {"description": "d"}, 400, "name"),
        ("DELETE", "/v1/projects", None, 400, "name is required"),
        ("DELETE", "/v1/projects?name=", None, 400, "name is required"),
    ],
)
async def test_bad_requests_are_4xx_naming_the_problem(
    client: aiohttp.ClientSession, method: str, path: str, body: Any, status: int, needle: str
) -> None:
    result = await call(client, method, path, body, status=status)
    assert needle in result["message"]
