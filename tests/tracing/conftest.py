"""Fixtures for tracing tests: a tracer exporting to the local server over loopback."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from honeyhive_async import AsyncHoneyHive
from honeyhive_async.server import LocalServer
from honeyhive_async.tracing import Tracer, set_default_tracer


def make_tracer(server: LocalServer, **options: Any) -> Tracer:
    options.setdefault("flush_interval", 0.05)
    options.setdefault("flush_at_exit", False)
    client = AsyncHoneyHive(server.api_key, base_url=server.url, max_retries=0)
    return Tracer(client, **options)


@pytest.fixture
async def tracer_factory(
    honeyhive_server: LocalServer,
) -> AsyncIterator[Callable[..., Tracer]]:
    """Build tracers bound to the local server; each becomes the default and is closed after."""
    made: list[Tracer] = []
    previous = set_default_tracer(None)

    def factory(**options: Any) -> Tracer:
        tracer = make_tracer(honeyhive_server, **options)
        made.append(tracer)
        return tracer

    yield factory
    for tracer in made:
        await tracer.aclose(timeout=2)
    set_default_tracer(previous)


@pytest.fixture
async def tracer(tracer_factory: Callable[..., Tracer]) -> Tracer:
    return tracer_factory()


@pytest.fixture
async def client(honeyhive_server: LocalServer) -> AsyncIterator[AsyncHoneyHive]:
    async with AsyncHoneyHive(honeyhive_server.api_key, base_url=honeyhive_server.url) as c:
        yield c


class ThreadedServer:
    """The local server on its own thread and loop, for tests that have no event loop."""

    def __init__(self) -> None:
        self.server: LocalServer | None = None
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self.server = self._loop.run_until_complete(LocalServer().start())
        self._ready.set()
        self._loop.run_forever()

    def __enter__(self) -> LocalServer:
        self._thread.start()
        self._ready.wait(10)
        assert self.server is not None
        return self.server

    def __exit__(self, *exc: object) -> None:
        assert self.server is not None
        asyncio.run_coroutine_threadsafe(self.server.close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


@pytest.fixture
def threaded_server() -> Iterator[LocalServer]:
    with ThreadedServer() as server:
        yield server


async def tree_of(client: AsyncHoneyHive, session_id: str) -> dict[str, Any]:
    """The session tree as plain data, keyed by event name for easy assertions."""

    tree = await client.session.get_tree(session_id)
    return tree.to_dict()


async def events_of(client: AsyncHoneyHive, session_id: str) -> list[Any]:
    page = await client.events.search(
        filters=[{"field": "session_id", "operator": "is", "value": session_id, "type": "string"}]
    )
    return page.events
