"""A pytest plugin that runs the local HoneyHive-compatible server for your tests.

Enable it in a ``conftest.py``::

    pytest_plugins = ["honeyhive_async.testing"]

then ask for the fixture (pytest-asyncio is required)::

    async def test_traces(honeyhive_server):
        client = AsyncHoneyHive(api_key=honeyhive_server.api_key, base_url=honeyhive_server.url)
        ...
        assert honeyhive_server.store.count() == 3

Only this module imports pytest; the package does not import it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from .server import LocalServer

__all__ = ["honeyhive_server"]


@pytest_asyncio.fixture
async def honeyhive_server() -> AsyncIterator[LocalServer]:
    """Yield a started `LocalServer` on 127.0.0.1 with an in-memory store; close it afterwards."""
    async with LocalServer() as server:
        yield server
