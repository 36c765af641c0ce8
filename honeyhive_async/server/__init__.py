"""A local HoneyHive-compatible server for tests, demos and offline development.

    async with LocalServer() as server:
        # point a client at server.url with server.api_key
        server.faults.fail_next(2, 503, retry_after="0")

`LOCAL_API_KEY` ("local-dev-key") is a local-only credential: it guards nothing but this
server, which listens on 127.0.0.1 unless told otherwise.
"""

from __future__ import annotations

from collections import deque
from types import TracebackType

from aiohttp import web

from .app import FAULTS_KEY, REQUESTS_KEY, STORE_KEY, RecordedRequest, create_app
from .faults import Fault, FaultSwitch
from .store import EventStore

__all__ = [
    "FAULTS_KEY",
    "LOCAL_API_KEY",
    "REQUESTS_KEY",
    "STORE_KEY",
    "EventStore",
    "Fault",
    "FaultSwitch",
    "LocalServer",
    "RecordedRequest",
    "create_app",
]

LOCAL_API_KEY = "local-dev-key"
"""The default key of the local server. Local-only: it is not a HoneyHive credential."""


class LocalServer:
    """Run the local app on a TCP port: an async context manager, or `start()` / `close()`.

    Attributes:
        api_key: The bearer token the server accepts.
        app: The `aiohttp.web.Application`.
        store: The `EventStore` behind the routes (its groups: ``store.events``, ``store.sessions``).
        faults: The `FaultSwitch` (``server.faults.fail_next(...)``).
        requests: The last 1000 requests received (admin route excluded), oldest first.
    """

    def __init__(
        self,
        *,
        api_key: str = LOCAL_API_KEY,
        host: str = "127.0.0.1",
        port: int = 0,
        db: str = ":memory:",
        shutdown_timeout: float = 1.0,
    ) -> None:
        """Prepare the server; nothing listens until `start()`.

        Args:
            api_key: The bearer token to require.
            host: The interface to bind; loopback by default.
            port: The port to bind; 0 lets the OS choose (see `url`).
            db: An SQLite file path, or ``":memory:"``.
            shutdown_timeout: Seconds `close()` waits for in-flight requests.
        """
        self.api_key = api_key
        self.app = create_app(api_key=api_key, db=db)
        self.store: EventStore = self.app[STORE_KEY]
        self.faults: FaultSwitch = self.app[FAULTS_KEY]
        self.requests: deque[RecordedRequest] = self.app[REQUESTS_KEY]
        self._host = host
        self._port = port
        self._runner = web.AppRunner(self.app, shutdown_timeout=shutdown_timeout)
        self._url: str | None = None
        self._closed = False

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:54321`` (no trailing slash)."""
        if self._url is None:
            raise RuntimeError("the server is not running; call start() first")
        return self._url

    async def start(self) -> LocalServer:
        """Bind and start serving; return self."""
        if self._url is not None or self._closed:
            raise RuntimeError("the server is already running or closed")
        await self._runner.setup()
        try:
            await web.TCPSite(self._runner, self._host, self._port).start()
        except BaseException:
            await self._runner.cleanup()
            raise
        host, port = self._runner.addresses[0][:2]
        if ":" in host:
            host = f"[{host}]"
        self._url = f"http://{host}:{port}"
        return self

    async def close(self) -> None:
        """Stop serving: hanging requests are dropped and the store is closed."""
        if self._closed:
            return
        self._closed = True
        self._url = None
        if self._runner.server is None:
            # Never started (or start failed): no app cleanup will run to close the store.
            self.store.close()
        else:
            await self._runner.cleanup()

    async def __aenter__(self) -> LocalServer:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
