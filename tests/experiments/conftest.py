"""Fixtures for experiment tests: a client on the local server, and helpers to read runs back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from honeyhive_async import AsyncHoneyHive
from honeyhive_async.models import ExperimentRun, SessionTree
from honeyhive_async.server import LocalServer


@pytest.fixture
async def client(honeyhive_server: LocalServer) -> AsyncIterator[AsyncHoneyHive]:
    async with AsyncHoneyHive(
        honeyhive_server.api_key, base_url=honeyhive_server.url, max_retries=0
    ) as c:
        yield c


async def run_of(client: AsyncHoneyHive, run_id: str) -> ExperimentRun:
    return (await client.runs.get(run_id)).evaluation


async def tree_of(client: AsyncHoneyHive, session_id: str | None) -> SessionTree:
    assert session_id is not None
    return await client.session.get_tree(session_id)


def shape(tree: SessionTree) -> list[tuple[int, str, str]]:
    """The tree as (depth, event_type, event_name), children in start order."""
    return [(depth, str(e.event_type), str(e.event_name)) for depth, e in tree.walk_with_depth()]


def rows(n: int, **extra: Any) -> list[dict[str, Any]]:
    return [{"inputs": {"i": i}, "ground_truth": {"i": i}, **extra} for i in range(n)]


def meta(event: Any) -> dict[str, Any]:
    """An event's metadata (an empty dict when it has none)."""
    return dict(event.metadata or {})
