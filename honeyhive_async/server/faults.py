"""The fault switch: make the next matching requests fail, stall, hang or lose their connection.

Tests of the client's retries arm it, in process through `LocalServer.faults` or from outside
through the admin route ``POST /_faults``. It is off until armed, and each armed fault is used
up by the requests it matches. Benchmarks also turn on random faults (`FaultSwitch.randomize`,
see `.fault_random`) and the accept log (`FaultSwitch.log_accepted`, see `.fault_log`).
"""

from __future__ import annotations

import asyncio
import fnmatch
import re
import time
from dataclasses import dataclass, field

import msgspec
from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from .fault_log import AcceptLog
from .fault_random import FAULT_KINDS, RANDOM_STATUS, RandomFaults, batch_size
from .fault_replies import drop_connection, fault_reply, status_code_name

__all__ = [
    "ADMIN_PATH",
    "BATCH_PATH",
    "Fault",
    "FaultRequest",
    "FaultSwitch",
    "fault_middleware",
    "is_admin_path",
    "status_code_name",
]

BATCH_PATH = "/v1/events/batch"
ADMIN_PATH = "/_faults"


def is_admin_path(path: str) -> bool:
    """Return whether `path` is one of the fault switch's own routes (never faulted or logged)."""
    return path == ADMIN_PATH or path.startswith(ADMIN_PATH + "/")


# What HTTP forbids in a header value (tab is allowed); aiohttp refuses to send it.
_HEADER_FORBIDDEN = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


@dataclass(slots=True)
class Fault:
    """One armed fault; see `FaultSwitch.fail_next` for what the fields mean."""

    remaining: int
    status: int | None = None
    retry_after: str | None = None
    retry_after_ms: int | None = None
    delay: float | None = None
    drop: bool = False
    lose_reply: bool = False
    hang: bool = False
    body: bytes | None = None
    content_type: str = "application/json"
    method: str | None = None
    path: str | None = None
    partial_batch: int | None = None
    """Store only this many events of the next batch, then reply 500 "partially created"."""
    hits: int = 0
    """How many requests this fault has been applied to."""
    hit_times: list[float] = field(default_factory=list)
    """`time.monotonic()` as each of those requests arrived."""
    _hit: asyncio.Event = field(
        default_factory=asyncio.Event, init=False, repr=False, compare=False
    )

    async def wait_hit(self) -> None:
        """Wait until a request has hit this fault (returns at once if one already has)."""
        await self._hit.wait()

    def matches(self, method: str, path: str) -> bool:
        """Return whether a request with this method and path is one this fault targets."""
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self.path is None or fnmatch.fnmatchcase(path, self.path)


class FaultRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Body of ``POST /_faults``: the keywords of `FaultSwitch.fail_next`, or `partial_batch`."""

    n: int = 1
    status: int | None = None
    retry_after: str | int | None = None
    retry_after_ms: int | None = None
    delay: float | None = None
    drop: bool = False
    lose_reply: bool = False
    hang: bool = False
    body: str | None = None
    """Sent as UTF-8."""
    content_type: str = "application/json"
    method: str | None = None
    path: str | None = None
    partial_batch: int | None = None
    """If set, arm `FaultSwitch.partial_batch(partial_batch)`; the other fields are ignored."""


class FaultSwitch:
    """The faults armed on one server, applied in the order they were armed.

    Attributes:
        hits: How many requests any fault has been applied to, since start or `clear()`.
        random: The random faults, once `randomize` turned them on.
        accepted: The accept log, once `log_accepted` turned it on.
    """

    def __init__(self) -> None:
        """Start with nothing armed."""
        self._pending: list[Fault] = []
        self._stopping = asyncio.Event()
        self.hits = 0
        self.random: RandomFaults | None = None
        self.accepted: AcceptLog | None = None

    def randomize(
        self,
        rate: float,
        *,
        seed: int = 0,
        kinds: tuple[str, ...] | list[str] = FAULT_KINDS,
        method: str | None = None,
        path: str | None = None,
    ) -> RandomFaults:
        """Fail a seeded random share (`rate`, 0-1) of the matching requests, until `clear()`.

        Args:
            rate: The share of matching requests that fail; a ValueError outside 0-1.
            seed: Seeds the choice of which requests fail and of each one's kind.
            kinds: The kinds to choose from, equally likely (see `FAULT_KINDS`).
            method: Match only this HTTP method.
            path: Match only this path; shell wildcards allowed.

        Returns:
            The plan; its `applied` counts the faults of each kind.
        """
        self.random = RandomFaults(rate, seed, tuple(kinds), method, path)
        return self.random

    def log_accepted(self) -> AcceptLog:
        """Start (or restart) the accept log: which event ids each accepted request stored."""
        self.accepted = AcceptLog()
        return self.accepted

    @property
    def pending(self) -> tuple[Fault, ...]:
        """The faults not yet used up, oldest first."""
        return tuple(self._pending)

    def fail_next(
        self,
        n: int = 1,
        status: int | None = None,
        *,
        retry_after: str | None = None,
        retry_after_ms: int | None = None,
        delay: float | None = None,
        drop: bool = False,
        lose_reply: bool = False,
        hang: bool = False,
        body: bytes | None = None,
        content_type: str = "application/json",
        method: str | None = None,
        path: str | None = None,
    ) -> Fault:
        """Arm a fault for the next `n` requests matching `method` and `path`.

        Without `status`: `delay` alone means a slow but normal response, `body` alone a 200
        with that raw body, and nothing at all a 503.

        Args:
            n: How many matching requests the fault applies to.
            status: The HTTP status to answer with, instead of handling the request.
            retry_after: The `Retry-After` header value (seconds or an HTTP date).
            retry_after_ms: The `retry-after-ms` header value.
            delay: Seconds to wait before answering (or before handling normally).
            drop: Close the connection without any response.
            lose_reply: Handle the request (the server acts on it), then close the connection
                without the response: the client cannot tell whether it was done.
            hang: Never answer; the connection is dropped when the server stops.
            body: The raw response body, sent as is (e.g. truncated JSON).
            content_type: The Content-Type of `body`.
            method: Match only this HTTP method.
            path: Match only this path; shell wildcards allowed (``/v1/events/*``).

        Returns:
            The armed fault; its `hits` counts the requests it was applied to.

        Raises:
            ValueError: a count, status or delay is out of range, or a header value holds a
                control character.
        """
        for name, value in (("retry_after", retry_after), ("content_type", content_type)):
            if value is not None and _HEADER_FORBIDDEN.search(value):
                raise ValueError(f"{name} must not contain control characters: {value!r}")
        if n < 1:
            raise ValueError("n must be at least 1")
        if status is not None and not 100 <= status <= 599:
            raise ValueError("status must be an HTTP status code (100-599)")
        if delay is not None and delay < 0:
            raise ValueError("delay must not be negative")
        if status is None and body is not None:
            status = 200
        elif status is None and delay is None and not (drop or lose_reply or hang):
            status = 503
        fault = Fault(
            remaining=n,
            status=status,
            retry_after=retry_after,
            retry_after_ms=retry_after_ms,
            delay=delay,
            drop=drop,
            lose_reply=lose_reply,
            hang=hang,
            body=body,
            content_type=content_type,
            method=method,
            path=path,
        )
        self._pending.append(fault)
        return fault

    def delay_next(
        self, seconds: float, n: int = 1, *, method: str | None = None, path: str | None = None
    ) -> Fault:
        """Answer the next `n` matching requests normally, but only after `seconds`."""
        return self.fail_next(n, delay=seconds, method=method, path=path)

    def drop_next(self, n: int = 1, *, method: str | None = None, path: str | None = None) -> Fault:
        """Close the connection of the next `n` matching requests without a response.

        aiohttp's client silently resends an idempotent request (GET, PUT, DELETE, ...) once
        after a disconnect, so use ``n=2`` to make such a request fail; POST is not resent.
        """
        return self.fail_next(n, drop=True, method=method, path=path)

    def hang_next(self, n: int = 1, *, method: str | None = None, path: str | None = None) -> Fault:
        """Never answer the next `n` matching requests (until the server stops)."""
        return self.fail_next(n, hang=True, method=method, path=path)

    def partial_batch(self, created: int) -> Fault:
        """Make the next ``POST /v1/events/batch`` store only its first `created` events.

        The reply is a 500 with ``{"event_ids": [created ids], "errors": [...],
        "success": false, "message": "Events partially created", "errorCode": "PARTIAL"}``.
        """
        if created < 0:
            raise ValueError("created must not be negative")
        fault = Fault(remaining=1, method="POST", path=BATCH_PATH, partial_batch=created)
        self._pending.append(fault)
        return fault

    def arm(self, req: FaultRequest) -> Fault:
        """Arm the fault described by an admin-route body."""
        if req.partial_batch is not None:
            return self.partial_batch(req.partial_batch)
        return self.fail_next(
            req.n,
            req.status,
            retry_after=None if req.retry_after is None else str(req.retry_after),
            retry_after_ms=req.retry_after_ms,
            delay=req.delay,
            drop=req.drop,
            lose_reply=req.lose_reply,
            hang=req.hang,
            body=None if req.body is None else req.body.encode(),
            content_type=req.content_type,
            method=req.method,
            path=req.path,
        )

    def clear(self) -> None:
        """Disarm every fault, random ones included, and reset `hits` (the accept log stays)."""
        self._pending.clear()
        self.random = None
        self.hits = 0

    async def take_random(self, request: web.Request) -> str | None:
        """Decide whether the random plan fails this request; arm its partial batch if so."""
        plan = self.random
        if plan is None:
            return None
        batch = request.method == "POST" and request.path == BATCH_PATH
        kind = plan.pick(request.method, request.path, batch=batch)
        if kind == "partial":
            size = batch_size(await request.read())
            if size == 0:
                kind = "500"  # nothing to store part of: the handler will answer a 400 anyway
            else:
                # First in line: the batch handler takes it (and counts the hit) before any
                # other request runs, as nothing awaits in between.
                head = plan.head(size)
                fault = Fault(remaining=1, method="POST", path=BATCH_PATH, partial_batch=head)
                self._pending.insert(0, fault)
                return kind
        if kind is not None:
            self.hits += 1
        return kind

    def take(self, method: str, path: str, *, partial: bool = False) -> Fault | None:
        """Use up one application of the first armed fault matching the request, if any.

        Args:
            method: The request method.
            path: The request path.
            partial: Look at partial-batch faults (the batch handler) instead of the others.
        """
        for index, fault in enumerate(self._pending):
            if (fault.partial_batch is not None) == partial and fault.matches(method, path):
                fault.remaining -= 1
                fault.hits += 1
                fault.hit_times.append(time.monotonic())
                fault._hit.set()
                self.hits += 1
                if fault.remaining <= 0:
                    del self._pending[index]
                return fault
        return None

    def stop(self) -> None:
        """Release hanging and delayed requests: the server is shutting down."""
        self._stopping.set()

    async def wait_stopping(self, timeout: float | None) -> bool:
        """Wait up to `timeout` seconds (None: forever); return whether the server is stopping."""
        try:
            await asyncio.wait_for(self._stopping.wait(), timeout)
        except asyncio.TimeoutError:
            return False
        return True


def fault_middleware(faults: FaultSwitch) -> Middleware:
    """Build the middleware that applies `faults` to every request but the admin route."""

    @web.middleware
    async def apply_faults(request: web.Request, handler: Handler) -> web.StreamResponse:
        if is_admin_path(request.path):
            return await handler(request)
        fault = faults.take(request.method, request.path)
        if fault is None:
            return await _random_fault(faults, request, handler)
        if fault.delay is not None and await faults.wait_stopping(fault.delay):
            return drop_connection(request)
        if fault.hang:
            await faults.wait_stopping(None)
            return drop_connection(request)
        if fault.drop:
            return drop_connection(request)
        if fault.lose_reply:
            await _logged(faults, request, handler)
            return drop_connection(request)
        if fault.status is None:
            return await _logged(faults, request, handler)
        return fault_reply(
            fault.status,
            retry_after=fault.retry_after,
            retry_after_ms=fault.retry_after_ms,
            body=fault.body,
            content_type=fault.content_type,
        )

    return apply_faults


async def _random_fault(
    faults: FaultSwitch, request: web.Request, handler: Handler
) -> web.StreamResponse:
    kind = await faults.take_random(request)
    if kind == "drop":
        return drop_connection(request)
    if kind in RANDOM_STATUS:
        status, retry_after = RANDOM_STATUS[kind]
        return fault_reply(status, retry_after=retry_after)
    return await _logged(faults, request, handler)


async def _logged(
    faults: FaultSwitch, request: web.Request, handler: Handler
) -> web.StreamResponse:
    """Handle the request; if the accept log is on, log what the reply says was stored."""
    response = await handler(request)
    log = faults.accepted
    if (
        log is not None
        and isinstance(response, web.Response)
        and isinstance(response.body, bytes)
        and log.logs(request.method, request.path)
    ):
        log.record_reply(response.status, response.body)
    return response
