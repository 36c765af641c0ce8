from __future__ import annotations

import email.utils
from collections.abc import Callable

import pytest

from honeyhive_async._retry import (
    backoff_delay,
    batch_should_retry,
    build_batch_retrying,
    parse_retry_after,
    should_retry,
)
from honeyhive_async.errors import (
    APIConnectionError,
    APITimeoutError,
    HoneyHiveError,
    PartialBatchError,
    error_for_status,
)

NOW = 1_700_000_000.0


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, None),
        ({"retry-after": "3"}, 3.0),
        ({"retry-after": "0.25"}, 0.25),
        ({"retry-after": "-4"}, 0.0),
        ({"retry-after-ms": "1500"}, 1.5),
        ({"retry-after-ms": "20", "retry-after": "9"}, 0.02),
        ({"retry-after-ms": "junk", "retry-after": "2"}, 2.0),
        ({"retry-after": email.utils.formatdate(NOW + 7, usegmt=True)}, 7.0),
        ({"retry-after": email.utils.formatdate(NOW - 30, usegmt=True)}, 0.0),
        ({"retry-after": "next tuesday"}, None),
    ],
)
def test_parse_retry_after(headers: dict[str, str], expected: float | None) -> None:
    assert parse_retry_after(headers, now=NOW) == expected


@pytest.mark.parametrize(
    ("attempt", "rand", "expected"),
    [
        (1, 0.0, 0.5),
        (1, 1.0, 0.375),
        (2, 0.0, 1.0),
        (3, 0.0, 2.0),
        (5, 0.0, 8.0),
        (9, 0.0, 8.0),
        (9, 1.0, 6.0),
    ],
)
def test_backoff_delay_is_capped_exponential_with_jitter(
    attempt: int, rand: float, expected: float
) -> None:
    assert backoff_delay(attempt, rand=lambda: rand) == pytest.approx(expected)


def _status(status: int, **kw: object) -> HoneyHiveError:
    return error_for_status(method="GET", path="/x", status=status, body={}, **kw)  # type: ignore[arg-type]


def _partial() -> PartialBatchError:
    return PartialBatchError(
        "partial",
        method="POST",
        path="/v1/events/batch",
        status=500,
        body={},
        request_id=None,
        created_ids=[],
        uncreated=[],
    )


@pytest.mark.parametrize(
    ("exc", "idempotent", "expected"),
    [
        (_status(500), True, True),
        (_status(502), True, True),
        (_status(503), True, True),
        (_status(408), True, True),
        (_status(429), True, True),
        (_status(400), True, False),
        (_status(401), True, False),
        (_status(404), True, False),
        (_status(409), True, False),
        (_status(422), True, False),
        # A request the server may have acted on repeats only on proof that it did not.
        (_status(500), False, False),
        (_status(503), False, False),
        (_status(429), False, True),
        (_status(408), False, True),
        (_partial(), False, False),
        (_partial(), True, False),
        # The server's own verdict wins.
        (_status(500, should_retry=False), True, False),
        (_status(400, should_retry=True), True, True),
        # A wait longer than we are willing to honour goes back to the caller.
        (_status(429, retry_after=600.0), True, False),
        (_status(429, retry_after=5.0), True, True),
        (APIConnectionError("reset", method="GET", path="/", request_sent=True), True, True),
        (APIConnectionError("reset", method="POST", path="/", request_sent=True), False, False),
        (APIConnectionError("refused", method="POST", path="/", request_sent=False), False, True),
        (APITimeoutError("slow", method="GET", path="/"), True, True),
        (APITimeoutError("slow", method="POST", path="/"), False, False),
        (ValueError("not ours"), True, False),
    ],
)
def test_should_retry(exc: BaseException, idempotent: bool, expected: bool) -> None:
    assert should_retry(exc, idempotent=idempotent) is expected


# -- the exporter's batch policy ------------------------------------------------------------


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        # The exporter re-sends what the client would not: ids are the client's, the server
        # upserts by them, so a repeated batch stores nothing twice.
        (_status(500), True),
        (_status(502), True),
        (_status(503), True),
        (_status(408), True),
        (_status(429), True),
        (_partial(), True),
        (APIConnectionError("reset", method="POST", path="/", request_sent=True), True),
        (APITimeoutError("slow", method="POST", path="/"), True),
        (_status(400), False),
        (_status(401), False),
        (_status(404), False),
        (_status(409), False),
        (_status(413), False),
        (_status(422), False),
        (ValueError("not ours"), False),
    ],
)
def test_batch_should_retry(exc: BaseException, expected: bool) -> None:
    assert batch_should_retry(exc) is expected


class _Recorder:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)


async def _run(
    max_attempts: int, failures: list[Callable[[], BaseException]]
) -> tuple[int, list[float]]:
    """Run the batch policy over an attempt that raises `failures` in turn, then succeeds."""
    recorder = _Recorder()
    calls = 0

    async def attempt() -> str:
        nonlocal calls
        calls += 1
        if calls <= len(failures):
            raise failures[calls - 1]()
        return "sent"

    retrying = build_batch_retrying(max_attempts=max_attempts, sleep=recorder.sleep)
    assert await retrying(attempt) == "sent"
    return calls, recorder.waits


async def test_batch_retrying_honours_retry_after_capped_at_60_s() -> None:
    calls, waits = await _run(
        4,
        [
            lambda: _status(429, retry_after=2.5),
            lambda: _status(503, retry_after=600.0),
            lambda: _status(503, retry_after=0.0),
        ],
    )
    assert calls == 4
    assert waits == [2.5, 60.0, 0.0]


async def test_batch_retrying_backs_off_without_retry_after() -> None:
    calls, waits = await _run(3, [_partial, lambda: _status(500)])
    assert calls == 3
    assert len(waits) == 2
    assert 0.375 <= waits[0] <= 0.5
    assert 0.75 <= waits[1] <= 1.0


async def test_batch_retrying_gives_up_after_max_attempts_with_the_last_error() -> None:
    recorder = _Recorder()
    calls = 0

    async def attempt() -> None:
        nonlocal calls
        calls += 1
        raise _status(503, retry_after=0.0)

    retrying = build_batch_retrying(max_attempts=3, sleep=recorder.sleep)
    with pytest.raises(HoneyHiveError) as caught:
        await retrying(attempt)
    assert getattr(caught.value, "status", None) == 503
    assert calls == 3
    assert recorder.waits == [0.0, 0.0]


async def test_batch_retrying_does_not_repeat_a_rejected_batch() -> None:
    recorder = _Recorder()
    calls = 0

    async def attempt() -> None:
        nonlocal calls
        calls += 1
        raise _status(422)

    with pytest.raises(HoneyHiveError):
        await build_batch_retrying(max_attempts=4, sleep=recorder.sleep)(attempt)
    assert calls == 1
    assert recorder.waits == []
