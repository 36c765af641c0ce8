"""Which failures are retried, how often, and how long the client waits between attempts."""

from __future__ import annotations

import email.utils
import time
from dataclasses import dataclass
from typing import Any

import pytest

from honeyhive_async import (
    APIStatusError,
    AsyncHoneyHive,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
)
from honeyhive_async.server import LocalServer
from honeyhive_async.server.faults import status_code_name
from tests.integration.conftest import (
    FAST_RETRY,
    MIN_BACKOFF,
    ClientFactory,
    Scripted,
    ScriptedServer,
    VirtualTime,
    sent,
)

MAX_FIRST_BACKOFF = 0.5
"""The client's longest first backoff (no jitter taken off)."""


def _session_path(session_id: str) -> str:
    return f"/session/{session_id}"


@dataclass(frozen=True)
class HTTPDate:
    """A `Retry-After` HTTP date this many seconds from when the test runs (not collection)."""

    offset: float


def _resolve(hint: dict[str, str | int | HTTPDate]) -> dict[str, Any]:
    return {
        name: email.utils.formatdate(time.time() + value.offset, usegmt=True)
        if isinstance(value, HTTPDate)
        else value
        for name, value in hint.items()
    }


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
async def test_transient_statuses_are_retried_until_success(
    server: LocalServer, client: AsyncHoneyHive, session_id: str, status: int
) -> None:
    fault = server.faults.fail_next(2, status, retry_after=FAST_RETRY)

    event = await client.session.get(session_id)

    assert event.event_id == session_id
    assert fault.hits == 2
    assert len(sent(server, "GET", _session_path(session_id))) == 3


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (422, UnprocessableEntityError),
    ],
)
async def test_client_errors_are_never_retried(
    server: LocalServer,
    client: AsyncHoneyHive,
    session_id: str,
    status: int,
    error: type[APIStatusError],
) -> None:
    server.faults.fail_next(3, status, retry_after=FAST_RETRY)

    with pytest.raises(error) as caught:
        await client.session.get(session_id)

    assert type(caught.value) is error
    assert caught.value.status == status
    assert caught.value.error_code == status_code_name(status)
    assert caught.value.request_id is not None
    assert len(sent(server, "GET", _session_path(session_id))) == 1


async def test_max_retries_zero_makes_exactly_one_attempt(
    server: LocalServer, make_client: ClientFactory, session_id: str
) -> None:
    server.faults.fail_next(1, 503, retry_after=FAST_RETRY)
    client = make_client(max_retries=0)

    with pytest.raises(InternalServerError) as caught:
        await client.session.get(session_id)

    assert caught.value.status == 503
    assert len(sent(server, "GET", _session_path(session_id))) == 1


async def test_exhausted_retries_raise_the_last_error_after_max_retries_plus_one_attempts(
    server: LocalServer, make_client: ClientFactory, session_id: str
) -> None:
    fault = server.faults.fail_next(5, 500, retry_after=FAST_RETRY)
    client = make_client(max_retries=2)

    with pytest.raises(InternalServerError) as caught:
        await client.session.get(session_id)

    assert caught.value.status == 500
    assert fault.hits == 3
    assert fault.remaining == 2
    assert len(sent(server, "GET", _session_path(session_id))) == 3


async def test_without_a_server_hint_the_client_backs_off(
    server: LocalServer, make_client: ClientFactory, session_id: str
) -> None:
    server.faults.fail_next(1, 503)
    vt = VirtualTime()
    client = make_client(**vt.options())

    await client.session.get(session_id)

    assert len(vt.waits) == 1
    assert MIN_BACKOFF <= vt.waits[0] <= MAX_FIRST_BACKOFF
    assert len(sent(server, "GET", _session_path(session_id))) == 2


async def test_retry_after_ms_on_429_replaces_the_clients_backoff(
    server: LocalServer, make_client: ClientFactory, session_id: str
) -> None:
    server.faults.fail_next(1, 429, retry_after_ms=50)
    vt = VirtualTime()
    client = make_client(**vt.options())

    event = await client.session.get(session_id)

    assert event.event_id == session_id
    # The server's 50 ms, not the client's own backoff (>= 375 ms).
    assert vt.waits == [0.05]
    assert len(sent(server, "GET", _session_path(session_id))) == 2


async def test_the_wait_asked_for_really_passes_between_attempts(
    server: LocalServer, client: AsyncHoneyHive, session_id: str
) -> None:
    # The default sleep: lower bounds only, which no scheduling delay can break.
    path = _session_path(session_id)
    limited = server.faults.fail_next(1, 429, retry_after_ms=50, path=path)
    # A zero delay answers normally; it is armed only to time-stamp the second attempt.
    passed = server.faults.delay_next(0.0, path=path)
    started = time.monotonic()
    event = await client.session.get(session_id)
    elapsed = time.monotonic() - started

    assert event.event_id == session_id
    assert len(sent(server, "GET", path)) == 2
    assert elapsed >= 0.049  # timers may fire a hair early
    # Stamped by the server as each request arrived: the second came at least the wait later.
    assert passed.hit_times[0] - limited.hit_times[0] >= 0.049


@pytest.mark.parametrize(
    "hint",
    [
        pytest.param({"retry_after": "0"}, id="retry-after-seconds"),
        pytest.param({"retry_after": HTTPDate(-30)}, id="retry-after-past-http-date"),
        pytest.param({"retry_after_ms": 0}, id="retry-after-ms"),
    ],
)
async def test_a_zero_wait_hint_retries_at_once(
    server: LocalServer,
    make_client: ClientFactory,
    session_id: str,
    hint: dict[str, str | int | HTTPDate],
) -> None:
    server.faults.fail_next(1, 503, **_resolve(hint))
    vt = VirtualTime()
    client = make_client(**vt.options())

    await client.session.get(session_id)

    assert len(sent(server, "GET", _session_path(session_id))) == 2
    assert vt.waits == [0.0]


@pytest.mark.parametrize(
    ("hint", "expected"),
    [
        pytest.param({"retry_after": "120"}, 120.0, id="retry-after-seconds"),
        pytest.param({"retry_after_ms": 61_000}, 61.0, id="retry-after-ms"),
        pytest.param({"retry_after": HTTPDate(3600)}, 3600.0, id="retry-after-http-date"),
    ],
)
async def test_a_wait_longer_than_60_s_is_handed_to_the_caller(
    server: LocalServer,
    make_client: ClientFactory,
    session_id: str,
    hint: dict[str, str | int | HTTPDate],
    expected: float,
) -> None:
    server.faults.fail_next(1, 429, **_resolve(hint))
    vt = VirtualTime()
    client = make_client(**vt.options())

    with pytest.raises(RateLimitError) as caught:
        await client.session.get(session_id)

    assert vt.waits == []
    assert caught.value.retry_after == pytest.approx(expected, abs=5)
    assert len(sent(server, "GET", _session_path(session_id))) == 1


# -- x-should-retry: the local server's faults cannot set it; a scripted server can -----------


@pytest.mark.parametrize(
    ("status", "should_retry", "attempts"),
    [
        pytest.param(503, "false", 1, id="false-stops-a-retryable-status"),
        pytest.param(400, "true", 2, id="true-retries-a-client-error"),
        pytest.param(503, "FALSE", 1, id="case-insensitive"),
    ],
)
async def test_x_should_retry_overrides_the_status_rule(
    scripted: ScriptedServer,
    make_scripted_client: ClientFactory,
    status: int,
    should_retry: str,
    attempts: int,
) -> None:
    headers = {"x-should-retry": should_retry, "Retry-After": "0"}
    scripted.then(Scripted(status, headers))
    scripted.default = Scripted(200, body=b'{"event_id": "s1"}')
    client = make_scripted_client(max_retries=2)

    if attempts == 1:
        with pytest.raises(APIStatusError) as caught:
            await client.session.get("s1")
        assert caught.value.status == status
        assert caught.value.should_retry is False
    else:
        assert (await client.session.get("s1")).event_id == "s1"
    assert scripted.seen == [("GET", "/session/s1")] * attempts


async def test_x_should_retry_true_lets_an_unsafe_batch_repeat(
    scripted: ScriptedServer, make_scripted_client: ClientFactory
) -> None:
    scripted.then(Scripted(503, {"x-should-retry": "true", "Retry-After": "0"}))
    scripted.default = Scripted(200, body=b'{"event_ids": ["e1"], "success": true}')
    client = make_scripted_client(max_retries=2)

    result = await client.events.create_batch([{"event_type": "tool", "inputs": {}}])

    assert result.event_ids == ["e1"]
    assert scripted.seen == [("POST", "/v1/events/batch")] * 2
