"""`AsyncHoneyHive`: configuration, the shared transport, retries, and the resource groups."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Final

import aiohttp

from . import resources
from ._constants import (
    API_KEY_ENV_VARS,
    BASE_URL_ENV_VAR,
    DEFAULT_BASE_URL,
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_CONNECTION_LIMIT,
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
)
from ._retry import Sleep, build_retrying, parse_retry_after, should_retry
from ._scrub import scrub_text
from ._transport import RawResponse, Transport
from .errors import (
    APIError,
    APIStatusError,
    APITimeoutError,
    decode_error_body,
    error_for_status,
)

if TYPE_CHECKING:
    from types import TracebackType

    from ._qs import Query

__all__ = ["NOT_GIVEN", "AsyncHoneyHive", "NotGiven"]


class NotGiven:
    """Marks an option the caller did not pass (`None` can be a meaningful value)."""

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Final = NotGiven()

Timeout = float | aiohttp.ClientTimeout | None


def _to_client_timeout(timeout: Timeout) -> aiohttp.ClientTimeout:
    if isinstance(timeout, aiohttp.ClientTimeout):
        return timeout
    if timeout is None:
        return aiohttp.ClientTimeout(total=None, connect=DEFAULT_CONNECT_TIMEOUT)
    if timeout <= 0:
        raise ValueError(f"timeout must be positive seconds, got {timeout!r}")
    return aiohttp.ClientTimeout(total=timeout, connect=min(DEFAULT_CONNECT_TIMEOUT, timeout))


def _env_api_key() -> str | None:
    for name in API_KEY_ENV_VARS:
        value = os.environ.get(name)
        if value:
            return value
    return None


class AsyncHoneyHive:
    """Async client for the HoneyHive API.

    Usage::

        async with AsyncHoneyHive() as client:
            session = await client.session.get(session_id)

    Args:
        api_key: Bearer key; falls back to `HH_API_KEY`, then `HONEYHIVE_API_KEY`. A missing key
            is reported at the first request, so the client can be built before the
            environment is complete.
        base_url: API root; falls back to `HH_API_URL`, then `https://api.honeyhive.ai`.
        timeout: Seconds one call may take, retries and their waits included, or an
            `aiohttp.ClientTimeout` whose `total` is that deadline. `None` waits forever.
        max_retries: Retries after the first attempt for failures that are safe to repeat;
            0 disables retries.
        default_headers: Extra headers for every request.
        connection_limit: Size of the connection pool shared by this client and its
            `with_options` views.
        max_response_bytes: Largest response body a call accepts, counted after gzip
            inflation (default 256 MiB, enough for 7,500 long events a page); a larger one
            raises `APIResponseTooLargeError` without being held in memory.
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        timeout: Timeout = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        default_headers: dict[str, str] | None = None,
        connection_limit: int = DEFAULT_CONNECTION_LIMIT,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        _sleep: Sleep = asyncio.sleep,
        _clock: Callable[[], float] = time.monotonic,
        _transport: Transport | None = None,
    ) -> None:
        # `_sleep` and `_clock` are test seams: every wait between attempts goes through
        # `_sleep` and every deadline reads `_clock`, so tests assert the waits asked for.
        # `_transport` is how `_copy` shares a pool: the connection arguments are then unused.
        if max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {max_retries!r}")
        self._timeout = _to_client_timeout(timeout)
        self.max_retries = max_retries
        self.max_response_bytes = _check_max_response_bytes(max_response_bytes)
        self._sleep = _sleep
        self._clock = _clock
        if _transport is None:
            base_url = base_url or os.environ.get(BASE_URL_ENV_VAR) or DEFAULT_BASE_URL
            if not base_url.startswith(("http://", "https://")):
                raise ValueError(f"base_url must start with http:// or https://, got {base_url!r}")
            _transport = Transport(
                base_url=base_url,
                api_key=api_key or _env_api_key(),
                connection_limit=connection_limit,
                default_headers=default_headers,
            )
        self._transport = _transport

    @property
    def base_url(self) -> str:
        """The API root every path is joined to."""
        return self._transport.base_url

    @property
    def timeout(self) -> aiohttp.ClientTimeout:
        """The per-call deadline (`total`) and connect timeout."""
        return self._timeout

    @property
    def is_closed(self) -> bool:
        """True once `aclose()` ran on this client or any view of it."""
        return self._transport.closed

    # Resource groups: one cached_property each, bound to this instance. A view made by
    # `with_options` is a new instance, so its groups bind to the view and use its settings.

    @cached_property
    def session(self) -> resources.AsyncSessions:
        """Sessions: `get`, `start`, `get_tree`, `delete`."""
        return resources.AsyncSessions(self)

    @cached_property
    def events(self) -> resources.AsyncEvents:
        """Events: `create`, `get`, `update`, `create_batch`, `search`, `iter`, `export`."""
        return resources.AsyncEvents(self)

    @cached_property
    def datapoints(self) -> resources.AsyncDatapoints:
        """Datapoints: `list`, `get`, `create`, `update`, `delete`, `create_batch`."""
        return resources.AsyncDatapoints(self)

    @cached_property
    def datasets(self) -> resources.AsyncDatasets:
        """Datasets: `list`, `create`, `update`, `delete`, `add_datapoints`, `remove_datapoint`."""
        return resources.AsyncDatasets(self)

    @cached_property
    def runs(self) -> resources.AsyncRuns:
        """Experiment runs: `create`, `get`, `list`, `iter`, `update`, `delete`, `summary`, `compare`, ..."""
        return resources.AsyncRuns(self)

    @cached_property
    def metrics(self) -> resources.AsyncMetrics:
        """Metrics: `list`, `create`, `update`, `delete`, `run`, and their versions."""
        return resources.AsyncMetrics(self)

    @cached_property
    def configurations(self) -> resources.AsyncConfigurations:
        """Configurations: `list`, `create`, `update`, `delete`."""
        return resources.AsyncConfigurations(self)

    @cached_property
    def projects(self) -> resources.AsyncProjects:
        """Projects: `list`, `create`, `update`, `delete` (by name)."""
        return resources.AsyncProjects(self)

    @cached_property
    def charts(self) -> resources.AsyncCharts:
        """Charts: `list`, `create`, `get`, `update`, `delete`."""
        return resources.AsyncCharts(self)

    @cached_property
    def queues(self) -> resources.AsyncQueues:
        """Annotation queues: `list`, `create`, `get`, `update`, `delete`."""
        return resources.AsyncQueues(self)

    def with_options(
        self,
        *,
        timeout: Timeout | NotGiven = NOT_GIVEN,
        max_retries: int | NotGiven = NOT_GIVEN,
        max_response_bytes: int | NotGiven = NOT_GIVEN,
    ) -> AsyncHoneyHive:
        """Return a client with other settings that shares this one's connection pool.

        Usage::

            await client.with_options(timeout=5, max_retries=0).events.get(event_id)
        """
        return self._copy(
            self._transport,
            timeout=timeout,
            max_retries=max_retries,
            max_response_bytes=max_response_bytes,
        )

    def _copy_with_own_pool(
        self,
        *,
        timeout: Timeout | NotGiven = NOT_GIVEN,
        max_retries: int | NotGiven = NOT_GIVEN,
        inline_dns: bool = False,
    ) -> AsyncHoneyHive:
        """Return a client with the same key and URL and a pool of its own (for another loop)."""
        # Without a key, look in the environment again, as a new client would: the tracer
        # makes its exporter's copy at the first export, after the app may have set the key.
        api_key = self._transport._api_key or _env_api_key()
        transport = self._transport.copy(api_key=api_key, inline_dns=inline_dns)
        return self._copy(transport, timeout=timeout, max_retries=max_retries)

    def _copy(
        self,
        transport: Transport,
        *,
        timeout: Timeout | NotGiven = NOT_GIVEN,
        max_retries: int | NotGiven = NOT_GIVEN,
        max_response_bytes: int | NotGiven = NOT_GIVEN,
    ) -> AsyncHoneyHive:
        """Build a client on `transport` with this one's settings, but those given."""
        return type(self)(
            timeout=self._timeout if isinstance(timeout, NotGiven) else timeout,
            max_retries=self.max_retries if isinstance(max_retries, NotGiven) else max_retries,
            max_response_bytes=(
                self.max_response_bytes
                if isinstance(max_response_bytes, NotGiven)
                else max_response_bytes
            ),
            _sleep=self._sleep,
            _clock=self._clock,
            _transport=transport,
        )

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Query | None = None,
        content: bytes | None = None,
        idempotent: bool = True,
    ) -> RawResponse:
        """Send a request with retries and return the 2xx response; raise on anything else.

        Args:
            method: HTTP method.
            path: Percent-encoded path below `base_url`.
            params: Query parameters, encoded by the transport (`_qs`).
            content: JSON body, already encoded.
            idempotent: False for a call that is unsafe to repeat once the server may have acted.
        """
        timeout = self._timeout
        clock = self._clock
        started = clock()
        limit = self.max_response_bytes
        try:
            # Fast path: the first attempt pays for no retry machinery, and no extra frame.
            raw = await self._transport.send(
                method,
                path,
                params=params,
                content=content,
                timeout=timeout,
                max_bytes=limit,
                idempotent=idempotent,
            )
            if raw.status < 300:
                return raw
            raise self._status_error(method, path, raw)
        except APIError as exc:
            if self.max_retries == 0 or not should_retry(exc, idempotent=idempotent):
                raise
            first_error: APIError | None = exc

        deadline = None if timeout.total is None else started + timeout.total

        async def attempt() -> RawResponse:
            nonlocal first_error
            if first_error is not None:
                # Replay the first failure so that tenacity computes the first wait from it.
                err, first_error = first_error, None
                raise err
            budget = _remaining(timeout, deadline, clock(), method, path)
            raw = await self._transport.send(
                method,
                path,
                params=params,
                content=content,
                timeout=budget,
                max_bytes=limit,
                idempotent=idempotent,
            )
            if raw.status < 300:
                return raw
            raise self._status_error(method, path, raw)

        retrying = build_retrying(
            max_retries=self.max_retries,
            idempotent=idempotent,
            deadline=deadline,
            clock=clock,
            sleep=self._sleep,
        )
        return await retrying(attempt)

    def _status_error(self, method: str, path: str, raw: RawResponse) -> APIStatusError:
        secret = self._transport._api_key
        should = raw.headers.get("x-should-retry")
        request_id = raw.request_id
        return error_for_status(
            method=method,
            path=path,
            status=raw.status,
            body=decode_error_body(raw.content, secret=secret),
            request_id=None if request_id is None else scrub_text(request_id, secret),
            retry_after=parse_retry_after(raw.headers),
            should_retry=None if should is None else should.lower() == "true",
            body_size=raw.size,
            body_truncated=raw.truncated,
        )

    async def aclose(self) -> None:
        """Close the connection pool shared with every `with_options` view."""
        await self._transport.aclose()

    async def __aenter__(self) -> AsyncHoneyHive:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        # Never the key: reprs end up in logs and tracebacks.
        return (
            f"AsyncHoneyHive(base_url={self.base_url!r}, timeout={self._timeout.total!r}, "
            f"max_retries={self.max_retries!r})"
        )


def _check_max_response_bytes(value: int) -> int:
    if isinstance(value, bool) or value <= 0:
        raise ValueError(f"max_response_bytes must be a positive int, got {value!r}")
    return value


def _remaining(
    timeout: aiohttp.ClientTimeout, deadline: float | None, now: float, method: str, path: str
) -> aiohttp.ClientTimeout:
    if deadline is None:
        return timeout
    left = deadline - now
    if left <= 0:
        raise APITimeoutError(
            f"{method} {path}: the call's deadline passed before a retry", method=method, path=path
        )
    connect = timeout.connect if timeout.connect is None else min(timeout.connect, left)
    # Keep the caller's per-read and per-socket-connect limits: a retry stalls no longer
    # than the first attempt may.
    return aiohttp.ClientTimeout(
        total=left,
        connect=connect,
        sock_read=timeout.sock_read,
        sock_connect=timeout.sock_connect,
        ceil_threshold=timeout.ceil_threshold,
    )
