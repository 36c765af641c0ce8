"""Small request helpers shared by the server tests."""

from __future__ import annotations

from typing import Any

import aiohttp


async def call(
    client: aiohttp.ClientSession, method: str, path: str, body: Any = None, *, status: int = 200
) -> Any:
    """Send a JSON request, check the status, return the decoded JSON body."""
    async with client.request(method, path, json=body) as resp:
        payload = await resp.json()
        assert resp.status == status, payload
        return payload


async def start_session(client: aiohttp.ClientSession, **fields: Any) -> dict[str, Any]:
    result: dict[str, Any] = await call(client, "POST", "/v1/sessions", fields)
    return result


async def create_event(client: aiohttp.ClientSession, **fields: Any) -> str:
    body = {"event_type": "tool", "inputs": {}, **fields}
    result = await call(client, "POST", "/v1/events", body)
    assert result["success"] is True
    event_id: str = result["event_id"]
    return event_id


async def get_event(client: aiohttp.ClientSession, event_id: str) -> dict[str, Any]:
    result = await call(client, "GET", f"/v1/events/{event_id}")
    event: dict[str, Any] = result["event"]
    return event
