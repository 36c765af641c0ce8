from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from honeyhive_async.server import LocalServer

# The plugin's fixture (the root conftest loads the plugin too); imported so this folder
# also runs on its own, and so these tests exercise it.
from honeyhive_async.testing import honeyhive_server  # noqa: F401


@pytest.fixture
def server(honeyhive_server: LocalServer) -> LocalServer:  # noqa: F811 - requests the fixture
    return honeyhive_server


@pytest.fixture
async def client(server: LocalServer) -> AsyncIterator[aiohttp.ClientSession]:
    headers = {"Authorization": f"Bearer {server.api_key}"}
    async with aiohttp.ClientSession(base_url=server.url, headers=headers) as session:
        yield session
