"""Timeouts, the per-call deadline that covers retries and waits, and failed connections."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest

from honeyhive_async import (
    APIConnectionError,
    APITimeoutError,
    AsyncHoneyHive,
    InternalServerError,
)
from honeyhive_async._transport import RawResponse
from honeyhive_async.server import LocalServer
from tests.integration.conftest import (
    MIN_BACKOFF,
    ClientFactory,
    VirtualTime,
    closed_port,
    sent,
)

MAX_FIRST_BACKOFF = 0.5

# Wall time is checked only from below, where it proves a real timeout fired (a lower bound
# cannot fail by chance). The waits and the deadline are checked through `VirtualTime`.


async def test_a_hanging_server_times_out_at_the_client_timeout(
    server: LocalServer, make_client: ClientFactory, session_id: str
) -> None:
    hang = server.faults.hang_next()
    client = make_client(timeout=0.3, max_retries=0)

    started = time.monotonic()
    with pytest.raises(APITimeoutError) as caught:
        await client.session.get(session_id)

    assert time.monotonic() - started >= 0.29  # timers may fire a hair early
    assert caught.value.request_sent is True
    assert caught.value.method == "GET"
    assert hang.hits == 1


async def test_the_deadline_ends_the_call_however_many_retries_are_left(
    server: LocalServer, make_client: ClientFactory, session_id: str
) -> None:
    # The first attempt uses up the whole 0.5 s: no wait, and no second attempt, may follow.
    hang = server.faults.hang_next(10)
    vt = VirtualTime(real=True)
    client = make_client(timeout=0.5, max_retries=3, **vt.options())

    started = time.monotonic()
    with pytest.raises(APITimeoutError):
        await client.session.get(session_id)

    assert time.monotonic() - started >= 0.49  # timers may fire a hair early
    assert vt.waits == []
    assert hang.hits == 1


async def test_the_deadline_covers_retries_and_the_waits_between_them(
    server: LocalServer, make_client: ClientFactory, session_id: str
) -> None:
    # A 1 s deadline: attempt, backoff (0.375-0.5 s), attempt; the next backoff (>= 0.75 s)
    # would end past the deadline, so the call gives up with retries to spare.
    server.faults.fail_next(10, 503)
    vt = VirtualTime()
    client = make_client(timeout=1.0, max_retries=5, **vt.options())

    with pytest.raises(InternalServerError):
        await client.session.get(session_id)

    assert len(vt.waits) == 1
    assert MIN_BACKOFF <= vt.waits[0] <= MAX_FIRST_BACKOFF
    assert len(sent(server, "GET", f"/session/{session_id}")) == 2


async def test_server_asked_waits_count_against_the_deadline(
    server: LocalServer, make_client: ClientFactory, session_id: str
) -> None:
    # 0.4 s waits under a 1 s deadline: two fit (ending at 0.8 s), a third (1.2 s) does not.
    server.faults.fail_next(10, 503, retry_after="0.4")
    vt = VirtualTime()
    client = make_client(timeout=1.0, max_retries=5, **vt.options())

    with pytest.raises(InternalServerError):
        await client.session.get(session_id)

    assert vt.waits == [0.4, 0.4]
    assert len(sent(server, "GET", f"/session/{session_id}")) == 3


async def test_a_wait_that_overran_the_deadline_ends_the_call_before_another_attempt(
    server: LocalServer, make_client: ClientFactory, session_id: str
) -> None:
    # Asked for 0.4 s, the sleep woke 0.7 s late: the deadline (1 s) has passed.
    server.faults.fail_next(10, 503, retry_after="0.4")
    vt = VirtualTime(overshoot=0.7)
    client = make_client(timeout=1.0, max_retries=5, **vt.options())

    with pytest.raises(APITimeoutError, match="deadline passed before a retry"):
        await client.session.get(session_id)

    assert vt.waits == [0.4]
    assert len(sent(server, "GET", f"/session/{session_id}")) == 1


async def test_retries_keep_the_per_read_timeout_of_the_first_attempt(
    server: LocalServer,
    make_client: ClientFactory,
    session_id: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A 0.2 s read stall must end the retry too, not only the first attempt: the retry must
    # not sit on a stalled read for the rest of the 5 s deadline.
    hang = server.faults.hang_next(2)
    vt = VirtualTime()
    client = make_client(
        timeout=aiohttp.ClientTimeout(total=5.0, sock_read=0.2), max_retries=1, **vt.options()
    )
    timeouts: list[aiohttp.ClientTimeout] = []
    send = client._transport.send

    async def spy(method: str, path: str, **kwargs: Any) -> RawResponse:
        timeouts.append(kwargs["timeout"])
        return await send(method, path, **kwargs)

    monkeypatch.setattr(client._transport, "send", spy)

    with pytest.raises(APITimeoutError):
        await client.session.get(session_id)

    assert hang.hits == 2
    assert [t.sock_read for t in timeouts] == [0.2, 0.2]
    # The retry's total is what the deadline left after the wait.
    assert timeouts[1].total == pytest.approx(5.0 - vt.waits[0])


async def test_no_retry_starts_whose_wait_would_end_past_the_deadline(
    server: LocalServer, make_client: ClientFactory, session_id: str
) -> None:
    server.faults.fail_next(2, 503, retry_after="2")
    vt = VirtualTime()
    client = make_client(timeout=0.5, max_retries=3, **vt.options())

    with pytest.raises(InternalServerError) as caught:
        await client.session.get(session_id)

    assert vt.waits == []
    assert caught.value.retry_after == 2.0
    assert len(sent(server, "GET", f"/session/{session_id}")) == 1


async def test_a_slow_answer_within_the_timeout_succeeds(
    server: LocalServer, make_client: ClientFactory, session_id: str
) -> None:
    slow = server.faults.delay_next(0.05)
    client = make_client(timeout=2.0, max_retries=0)

    started = time.monotonic()
    event = await client.session.get(session_id)

    assert event.event_id == session_id
    assert time.monotonic() - started >= 0.049  # timers may fire a hair early
    assert slow.hits == 1


# -- connection failures -----------------------------------------------------------------------

Call = Callable[[AsyncHoneyHive], Awaitable[object]]


async def _get_session(client: AsyncHoneyHive) -> object:
    return await client.session.get("any-session")


async def _create_batch(client: AsyncHoneyHive) -> object:
    return await client.events.create_batch([{"event_type": "tool", "inputs": {}}])


def _retry_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.name == "honeyhive_async" and r.getMessage().startswith("retrying after")
    ]


@pytest.mark.parametrize(
    "call",
    [pytest.param(_get_session, id="idempotent-get"), pytest.param(_create_batch, id="batch")],
)
@pytest.mark.parametrize("max_retries", [0, 1])
async def test_a_refused_connection_is_retried_even_for_the_batch(
    caplog: pytest.LogCaptureFixture, call: Call, max_retries: int
) -> None:
    caplog.set_level(logging.INFO, logger="honeyhive_async")
    url = f"http://127.0.0.1:{closed_port()}"
    vt = VirtualTime()

    async with AsyncHoneyHive(
        "key", base_url=url, max_retries=max_retries, timeout=5, **vt.options()
    ) as client:
        with pytest.raises(APIConnectionError) as caught:
            await call(client)

    assert type(caught.value) is APIConnectionError
    assert caught.value.request_sent is False
    assert "could not connect" in str(caught.value)
    # Nothing listens, so attempts cannot be counted at the server: count the logged retries
    # and the backoffs asked for instead.
    assert len(_retry_records(caplog)) == max_retries
    assert len(vt.waits) == max_retries
    assert all(MIN_BACKOFF <= wait <= MAX_FIRST_BACKOFF for wait in vt.waits)


async def test_a_dropped_search_is_retried_because_search_is_idempotent(
    server: LocalServer, client: AsyncHoneyHive
) -> None:
    path = "/v1/events/search"
    dropped = server.faults.drop_next(1, path=path)

    page = await client.events.search(limit=10)

    assert page.events == []
    assert dropped.hits == 1
    # POST is never re-sent by aiohttp itself: the second request is the client's retry.
    assert len(sent(server, "POST", path)) == 2


async def test_a_dropped_get_without_retries_fails_after_aiohttps_own_resend(
    server: LocalServer, make_client: ClientFactory
) -> None:
    path = f"/session/{uuid.uuid4()}"
    server.faults.drop_next(2, path=path)
    client = make_client(max_retries=0)

    with pytest.raises(APIConnectionError) as caught:
        await client.session.get(path.rsplit("/", 1)[1])

    assert caught.value.request_sent is True
    assert not isinstance(caught.value, APITimeoutError)
    # aiohttp silently re-sends an idempotent method once after a disconnect.
    assert len(sent(server, "GET", path)) == 2
