"""The one seam between the client and the network: a lazily created, pooled aiohttp session."""

from __future__ import annotations

import asyncio
import platform
import socket
from threading import get_ident
from typing import Any, NamedTuple, cast

import aiohttp
import aiohttp.abc
from aiohttp.hdrs import CONTENT_ENCODING, CONTENT_LENGTH
from multidict import CIMultiDictProxy
from yarl import URL

from ._constants import DEFAULT_MAX_RESPONSE_BYTES, REQUEST_ID_HEADERS
from ._qs import Query, encode_query
from ._scrub import cut_body, scrub_text
from ._version import __version__
from .errors import (
    ERROR_BODY_LIMIT,
    APIConnectionError,
    APIResponseTooLargeError,
    APITimeoutError,
    ClientClosedError,
    HoneyHiveError,
    MissingAPIKeyError,
)

__all__ = ["RawResponse", "Transport", "user_agent"]

_CONNECT_TIMEOUTS: tuple[type[BaseException], ...] = tuple(
    cls for cls in (getattr(aiohttp, "ConnectionTimeoutError", None),) if isinstance(cls, type)
)


def user_agent() -> str:
    """Return the User-Agent sent with every request."""
    return (
        f"honeyhive-async/{__version__} (Python {platform.python_version()}; "
        f"aiohttp {aiohttp.__version__})"
    )


class _InlineDNS:
    """Stands in for the event loop in aiohttp's ThreadedResolver: resolves on this thread.

    The default resolver needs the loop's thread pool, which the interpreter shuts down before
    `atexit` handlers run; the tracer's exit flush would then fail to resolve any host name.
    A blocking lookup is fine on the exporter's own thread.
    """

    async def getaddrinfo(self, host: str, port: int, **kwargs: Any) -> Any:
        return socket.getaddrinfo(host, port, **kwargs)

    async def getnameinfo(self, sockaddr: Any, flags: int = 0) -> tuple[str, str]:
        return socket.getnameinfo(sockaddr, flags)


def _inline_resolver() -> aiohttp.abc.AbstractResolver:
    return aiohttp.ThreadedResolver(loop=cast(asyncio.AbstractEventLoop, _InlineDNS()))


class RawResponse(NamedTuple):
    """A complete HTTP response: the body is read before the connection goes back to the pool.

    The body of a non-2xx response is read only up to `ERROR_BODY_LIMIT` bytes (an error
    keeps no more): `truncated` says it was cut, `size` is its full size when announced.
    """

    status: int
    headers: CIMultiDictProxy[str]
    content: bytes
    truncated: bool = False
    size: int | None = None

    @property
    def request_id(self) -> str | None:
        """The server's id for this request, when it sent one."""
        for name in REQUEST_ID_HEADERS:
            value = self.headers.get(name)
            if value:
                return value
        return None


_ok = tuple.__new__
"""Builds a 2xx `RawResponse` from a full tuple without the NamedTuple's Python-level
`__new__` (a frame per call on the hot path)."""


class Transport:
    """Owns the aiohttp session that every client view shares.

    The session is created on first use, inside the running loop (aiohttp refuses to build one
    outside it), so a client can be built at import time.
    """

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str | None,
        connection_limit: int,
        default_headers: dict[str, str] | None = None,
        inline_dns: bool = False,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._connection_limit = connection_limit
        self._default_headers = dict(default_headers or {})
        self._inline_dns = inline_dns
        self._session: aiohttp.ClientSession | None = None
        self._send_once: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.closed = False

    def __repr__(self) -> str:
        return f"Transport(base_url={self.base_url!r}, closed={self.closed})"

    def copy(self, *, api_key: str | None, inline_dns: bool = False) -> Transport:
        """Return a transport with the same URL and headers, `api_key`, and a pool of its own."""
        return Transport(
            base_url=self.base_url,
            api_key=api_key,
            connection_limit=self._connection_limit,
            default_headers=self._default_headers,
            inline_dns=inline_dns,
        )

    def _get_session(self) -> aiohttp.ClientSession:
        if self.closed:
            raise ClientClosedError("this HoneyHive client is closed; create a new one")
        session = self._session
        loop = asyncio.get_running_loop()
        if session is not None and self._loop is loop:
            return session
        if session is not None and not session.closed:
            raise HoneyHiveError(
                "this HoneyHive client is bound to the event loop it first ran in; "
                "create one client per event loop"
            )
        if self._api_key is None:
            raise MissingAPIKeyError()
        headers = {
            "User-Agent": user_agent(),
            "Accept": "application/json",
            **self._default_headers,
            "Authorization": f"Bearer {self._api_key}",
        }
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(
                limit=self._connection_limit,
                resolver=_inline_resolver() if self._inline_dns else None,
            ),
            headers=headers,
            # Errors are built from the full response; aiohttp must not raise on its own.
            raise_for_status=False,
        )
        self._loop = loop
        return self._session

    def _send_once_session(self, pool: aiohttp.ClientSession) -> aiohttp.ClientSession:
        """A session on `pool`'s connections that never sends a request twice by itself.

        aiohttp re-sends a PUT or DELETE once, below any retry policy, when a kept-alive
        connection drops before the reply (RFC 9112 allows it for idempotent methods). Not
        every PUT here is idempotent (renaming a project), so a call marked unsafe to repeat
        goes through this session, whose automatic re-send is off.
        """
        once = self._send_once
        if once is None or once.connector is not pool.connector:
            once = aiohttp.ClientSession(
                connector=pool.connector,
                connector_owner=False,  # the pool's session closes the connections
                headers=pool.headers,
                raise_for_status=False,
            )
            once._retry_connection = False  # no public switch; tests/integration pin its effect
            self._send_once = once
        return once

    async def send(
        self,
        method: str,
        path: str,
        *,
        params: Query | None = None,
        content: bytes | None,
        timeout: aiohttp.ClientTimeout,
        max_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        idempotent: bool = True,
    ) -> RawResponse:
        """Send one request and read the whole response; map transport failures to our errors.

        `path` must already be percent-encoded; `params` are encoded here (`_qs`). A 2xx body
        larger than `max_bytes` (after inflation) raises `APIResponseTooLargeError`; it is
        never held whole in memory. `idempotent=False`: the request leaves at most once.
        """
        session = self._session
        # The bound loop is the one running this call exactly when it runs on this thread
        # (asyncio runs one loop per thread at a time). Cheaper than get_running_loop(), which
        # makes a getpid() system call each time on CPython 3.11 (~2 us, 1 % of a loopback
        # call). A loop without asyncio's `_thread_id` takes the full check.
        if session is None or getattr(self._loop, "_thread_id", None) != get_ident():
            session = self._get_session()
        if not idempotent:
            session = self._send_once_session(session)
        query = encode_query(params) if params else ""
        # encoded=True: yarl must send the path and query exactly as built, not re-quote them.
        url = URL(f"{self.base_url}{path}?{query}" if query else self.base_url + path, encoded=True)
        headers = {"Content-Type": "application/json"} if content is not None else None
        try:
            async with session.request(
                method, url, data=content, headers=headers, timeout=timeout
            ) as resp:
                if resp.status >= 300:
                    return await _read_error(resp, self._api_key)
                # Content-Length counts the body as sent: with a Content-Encoding it says
                # nothing about the inflated size, which is what the cap bounds. (Read from
                # the headers directly: aiohttp's parser has checked it is digits.)
                got = resp.headers
                announced = None if CONTENT_ENCODING in got else got.get(CONTENT_LENGTH)
                length = None if announced is None else int(announced)
                if length is None:
                    body, complete = await _read_capped(resp.content, max_bytes)
                    if complete:
                        return _ok(RawResponse, (resp.status, got, body, False, None))
                elif length <= max_bytes:
                    return _ok(RawResponse, (resp.status, got, await resp.read(), False, None))
                else:
                    body = b""  # refused unread
                raise APIResponseTooLargeError(
                    method=method,
                    path=path,
                    status=resp.status,
                    limit=max_bytes,
                    size=length,
                    head=cut_body(body, self._api_key),
                )
        # Timeouts first: aiohttp's timeout errors are also ClientErrors.
        except asyncio.TimeoutError as exc:
            raise APITimeoutError(
                f"{method} {path} timed out",
                method=method,
                path=path,
                request_sent=not isinstance(exc, _CONNECT_TIMEOUTS),
            ) from exc
        except aiohttp.ClientConnectorError as exc:
            raise APIConnectionError(
                f"{method} {path}: could not connect to {self.base_url}: {exc.os_error}",
                method=method,
                path=path,
                request_sent=False,
            ) from exc
        except aiohttp.ClientError as exc:
            detail = scrub_text(f"{type(exc).__name__}: {exc}", self._api_key)
            raise APIConnectionError(
                f"{method} {path}: connection error: {detail}",
                method=method,
                path=path,
            ) from exc

    async def aclose(self) -> None:
        """Close the pool; later requests raise `ClientClosedError`."""
        self.closed = True
        once, self._send_once = self._send_once, None
        if once is not None and not once.closed:
            await once.close()  # its connections belong to the pool, closed next
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()


async def _read_capped(stream: aiohttp.StreamReader, limit: int) -> tuple[bytes, bool]:
    """Read `stream` to its end and return (body, True); stop past `limit` bytes.

    Past `limit` the result is (the body's first `ERROR_BODY_LIMIT` bytes, False). The stream
    yields inflated chunks and aiohttp pauses the socket while its buffer is full, so memory
    stays near `limit` however far a compressed body would inflate.
    """
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = await stream.readany()
        if not chunk:
            return b"".join(chunks), True
        total += len(chunk)
        if total > limit:
            chunks.append(chunk)
            head: list[bytes] = []
            kept = 0
            for part in chunks:
                if kept > ERROR_BODY_LIMIT:
                    break
                head.append(part[: ERROR_BODY_LIMIT + 1 - kept])
                kept += len(head[-1])
            return b"".join(head), False
        chunks.append(chunk)


async def _read_error(resp: aiohttp.ClientResponse, secret: str | None) -> RawResponse:
    """Read at most `ERROR_BODY_LIMIT` bytes of an error body (+1, to know it was longer).

    The rest is left unread: leaving the `async with` then closes the connection instead of
    returning it to the pool, which is cheaper than draining a large body nobody keeps.
    """
    chunks: list[bytes] = []
    total = 0
    while total <= ERROR_BODY_LIMIT:
        chunk = await resp.content.readany()
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    body = b"".join(chunks)
    if total <= ERROR_BODY_LIMIT:
        return RawResponse(resp.status, resp.headers, body)
    encoded = CONTENT_ENCODING in resp.headers
    size = None if encoded else resp.content_length
    # Scrubbed before the cut, so that the cut cannot leave part of the key behind.
    body = cut_body(body, secret)
    return RawResponse(resp.status, resp.headers, body, truncated=True, size=size)
