"""Fixtures for behaviour tests of the client against real servers on loopback sockets.

`server` is the package's local HoneyHive-compatible server (`honeyhive_server`); `scripted`
is a tiny aiohttp app that replays canned responses, for headers the fault switch cannot set.
Every client made through `make_client` is closed before the servers stop.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from honeyhive_async import AsyncHoneyHive
from honeyhive_async.models import StartSessionRequest
from honeyhive_async.server import LocalServer, RecordedRequest

ClientFactory = Callable[..., AsyncHoneyHive]

MIN_BACKOFF = 0.375
"""The client's shortest first backoff: 0.5 s with up to 25 % jitter taken off."""
FAST_RETRY = "0"
"""A `Retry-After` that makes a retried call skip the client's own backoff."""


@pytest.fixture
def server(honeyhive_server: LocalServer) -> LocalServer:
    return honeyhive_server


@pytest.fixture
async def make_client(server: LocalServer) -> AsyncIterator[ClientFactory]:
    """Build clients pointed at `server` (override any option); all are closed at teardown."""
    clients: list[AsyncHoneyHive] = []

    def make(**options: Any) -> AsyncHoneyHive:
        options.setdefault("api_key", server.api_key)
        options.setdefault("base_url", server.url)
        # Generous: a loopback call on a machine loaded to 10x its cores took over 5 s once; a
        # test about timeouts sets its own.
        options.setdefault("timeout", 60.0)
        client = AsyncHoneyHive(**options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


@pytest.fixture
def client(make_client: ClientFactory) -> AsyncHoneyHive:
    return make_client()


@pytest.fixture
def session_id(server: LocalServer) -> str:
    """A session stored directly (no request in `server.requests`)."""
    event = server.store.start_session(StartSessionRequest(session_name="fixture"))
    sid: str = event["session_id"]
    return sid


def sent(server: LocalServer, method: str, path: str) -> list[RecordedRequest]:
    """The requests `server` received for this method and exact path, oldest first."""
    return [r for r in server.requests if r.method == method and r.path == path]


@dataclass
class VirtualTime:
    """The client's wait and clock seams (`_sleep`, `_clock`), for tests that assert waits.

    `sleep` records each wait the client asks for and returns at once; `clock` advances only by
    those waits (plus `overshoot` per wait, a late wake-up), or with `real=True` also with
    real time, for calls whose attempts time out for real.
    """

    real: bool = False
    overshoot: float = 0.0
    waits: list[float] = field(default_factory=list)
    _slept: float = 0.0
    _origin: float = field(default_factory=time.monotonic)

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self._slept += seconds + self.overshoot
        await asyncio.sleep(0)  # a real sleep yields to the loop; so does this one

    def clock(self) -> float:
        elapsed = time.monotonic() - self._origin if self.real else 0.0
        return elapsed + self._slept

    def options(self) -> dict[str, Any]:
        """The client keywords that plug this in: ``make_client(**vt.options())``."""
        return {"_sleep": self.sleep, "_clock": self.clock}


def closed_port() -> int:
    """A loopback port nobody listens on: bound by us, then released."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@dataclass
class ConnectionProbe:
    """What the server saw of the client's pool, read from its request log."""

    server: LocalServer

    @property
    def peak_open(self) -> int:
        """Most connections the server had open at once, as requests arrived."""
        return max((request.open_connections for request in self.server.requests), default=0)

    @property
    def peers(self) -> set[tuple[str, int]]:
        """Every client address (host, port) a request came from."""
        return {request.peer for request in self.server.requests if request.peer is not None}


@pytest.fixture
def connection_probe(server: LocalServer) -> ConnectionProbe:
    """Read the open connections and client addresses the server logged with each request."""
    return ConnectionProbe(server)


# -- a scripted server for response headers the fault switch cannot set --------------------


@dataclass
class Scripted:
    """One canned response."""

    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b'{"message": "scripted", "errorCode": "SCRIPTED"}'


@dataclass
class ScriptedServer:
    """Answers requests with `script` in order, then with `default`; counts the requests."""

    url: str = ""
    script: deque[Scripted] = field(default_factory=deque)
    default: Scripted = field(default_factory=lambda: Scripted(200, body=b"{}"))
    seen: list[tuple[str, str]] = field(default_factory=list)

    def then(self, *responses: Scripted) -> None:
        self.script.extend(responses)


@pytest.fixture
async def scripted() -> AsyncIterator[ScriptedServer]:
    state = ScriptedServer()

    async def handle(request: web.Request) -> web.Response:
        await request.read()
        state.seen.append((request.method, request.path))
        reply = state.script.popleft() if state.script else state.default
        return web.Response(
            status=reply.status,
            body=reply.body,
            headers={"Content-Type": "application/json", **reply.headers},
        )

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app, shutdown_timeout=0.5)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        state.url = f"http://{host}:{port}"
        yield state
    finally:
        await runner.cleanup()


@pytest.fixture
async def make_scripted_client(scripted: ScriptedServer) -> AsyncIterator[ClientFactory]:
    clients: list[AsyncHoneyHive] = []

    def make(**options: Any) -> AsyncHoneyHive:
        client = AsyncHoneyHive("scripted-key", base_url=scripted.url, timeout=60.0, **options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()
