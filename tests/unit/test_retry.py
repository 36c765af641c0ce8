from __future__ import annotations

import email.utils

import pytest

from honeyhive_async._retry import backoff_delay, parse_retry_after, should_retry
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
