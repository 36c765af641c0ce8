"""`/v1/charts`: reply shapes and bad bodies."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from .helpers import call

REQUIRED = {
    "id", "name", "description", "metric", "func", "groupBy", "bucketing", "dateRange", "query",
    "owner_id", "is_active", "created_at", "updated_at",
}  # fmt: skip


async def test_a_chart_has_every_field_the_spec_requires(client: aiohttp.ClientSession) -> None:
    created = await call(client, "POST", "/v1/charts", {"name": "n", "metric": "m"})
    assert created["success"] is True
    assert set(created["data"]) == REQUIRED
    fetched = await call(client, "GET", f"/v1/charts/{created['data']['id']}")
    assert fetched == created


@pytest.mark.parametrize(
    ("method", "path", "body", "needle"),
    [
        ("POST", "/v1/charts", {"name": "n"}, "metric"),
        ("POST", "/v1/charts", {"name": "n", "metric": ""}, "$.metric"),
        ("POST", "/v1/charts", {"name": "n", "metric": "m", "bogus": 1}, "bogus"),
        ("POST", "/v1/charts", {"name": "n", "metric": "m", "bucketing": "year"}, "$.bucketing"),
        ("POST", "/v1/charts", {"name": "n", "metric": "m", "query": [{"field": "f"}]}, "value"),
        ("PUT", "/v1/charts/c1", {"owner_id": ""}, "$.owner_id"),
        ("PUT", "/v1/charts/c1", {"dateRange": {"relative": "7d", "x": 1}}, "dateRange"),
    ],
)
async def test_a_bad_body_is_a_400_naming_the_field(
    client: aiohttp.ClientSession, method: str, path: str, body: Any, needle: str
) -> None:
    result = await call(client, method, path, body, status=400)
    assert needle in result["message"]
