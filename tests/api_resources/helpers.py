"""Helpers shared by the resource-group tests."""

from __future__ import annotations

import datetime as dt

import msgspec
from aioresponses import aioresponses
from yarl import URL

from honeyhive_async import AsyncHoneyHive, EventFilter
from tests.conftest import MOCK_URL

BASE_MS = 1_700_000_000_000.0
"""A fixed start time, so that ordering and date ranges are exact."""


def mock_sent(mock_api: aioresponses, method: str, path: str, index: int = 0) -> object:
    """The decoded JSON body of a request aioresponses intercepted (None without a body)."""
    call = mock_api.requests[(method, URL(MOCK_URL + path))][index]
    data = call.kwargs["data"]
    return None if data is None else msgspec.json.decode(data)


def at(index: int) -> float:
    """`BASE_MS` plus `index` seconds, in ms."""
    return BASE_MS + index * 1000.0


def iso(ms: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(ms / 1000.0, tz=dt.timezone.utc)


def by_session(session_id: str) -> list[EventFilter]:
    return [EventFilter(field="session_id", operator="is", value=session_id)]


async def five_events(client: AsyncHoneyHive, session_id: str) -> list[str]:
    """Create 5 tool events, oldest first, one second apart; return their ids."""
    ids = []
    for i in range(5):
        created = await client.events.create(
            event_type="tool",
            event_name=f"step-{i}",
            inputs={"i": i},
            session_id=session_id,
            start_time=at(i),
            metadata={"i": i, "even": i % 2 == 0},
        )
        ids.append(created.event_id)
    return ids
