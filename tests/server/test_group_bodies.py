"""Hostile bodies and queries on the metrics, configurations, projects, charts and queues routes.

Each group's own tests name the field of a bad body; these check the rule they all share:
whatever arrives, the answer is a 2xx or a JSON 4xx, never a 5xx.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest

ROUTES = [
    ("GET", "/v1/metrics"), ("POST", "/v1/metrics"), ("PUT", "/v1/metrics"),
    ("DELETE", "/v1/metrics"), ("PUT", "/v1/metrics/m"), ("DELETE", "/v1/metrics/m"),
    ("GET", "/v1/metrics/m/versions"), ("POST", "/v1/metrics/m/versions"),
    ("POST", "/v1/metrics/m/versions/v1/deploy"), ("POST", "/v1/metrics/run"),
    ("POST", "/v1/metrics/run_metric"),
    ("GET", "/v1/configurations"), ("POST", "/v1/configurations"),
    ("PUT", "/v1/configurations/c"), ("DELETE", "/v1/configurations/c"),
    ("GET", "/v1/projects"), ("POST", "/v1/projects"), ("PUT", "/v1/projects"),
    ("DELETE", "/v1/projects"),
    ("GET", "/v1/charts"), ("POST", "/v1/charts"), ("GET", "/v1/charts/c"),
    ("PUT", "/v1/charts/c"), ("DELETE", "/v1/charts/c"),
    ("GET", "/v1/queues"), ("POST", "/v1/queues"), ("GET", "/v1/queues/q"),
    ("PUT", "/v1/queues/q"), ("DELETE", "/v1/queues/q"),
]  # fmt: skip

FIELDS = [
    "name", "type", "criteria", "id", "metric", "provider", "parameters", "env", "tags",
    "filters", "dateRange", "query", "enabled", "event_ids", "add_event_ids", "message",
    "content", "event", "new_name", "scale", "sampling_percentage", "threshold", "categories",
]  # fmt: skip
HOSTILE: list[Any] = [None, 10**40, -1, 1e308, "", "x" * 1001, [], {}, [{}], {"a": [None]}, True]


def _bodies() -> list[bytes]:
    bodies = [b"", b"null", b"[]", b"{", b'"text"', b"1e999", b'{"a": ' * 3000 + b"1" + b"}" * 3000]
    bodies += [json.dumps({field: value}).encode() for field in FIELDS for value in HOSTILE]
    return bodies


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_no_body_makes_a_route_answer_5xx(
    client: aiohttp.ClientSession, method: str, path: str
) -> None:
    for body in _bodies():
        async with client.request(method, path, data=body) as resp:
            assert resp.status < 500, (body[:80], await resp.text())
            assert resp.content_type == "application/json"


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize(
    "query", ["name=%00", "enabled=1", "type=&id=", "metric_id=%20", "name=" + "x" * 5000]
)
async def test_no_query_makes_a_route_answer_5xx(
    client: aiohttp.ClientSession, method: str, path: str, query: str
) -> None:
    async with client.request(method, f"{path}?{query}", data=b"{}") as resp:
        assert resp.status < 500, await resp.text()
