"""When to retry and how long to wait: the client's policy and the exporter's batch policy.

Two policies sit side by side because they answer for different senders:

* The client's (`should_retry`, `build_retrying`) retries one API call for its caller. A call
  that is unsafe to repeat (`POST /v1/events/batch`, whose 500 means "partly created") is
  retried only on proof that the server did nothing.
* The exporter's (`batch_should_retry`, `build_batch_retrying`) re-sends a whole batch of
  traced events, on any transient failure, a 500 and a partial batch included. It may,
  because the client makes every `event_id` and the server upserts events by it: a batch
  sent twice stores nothing twice, and a partial batch is completed by re-sending only the
  events the server did not create. (The exporter's client runs with `max_retries=0`, so
  the two policies never multiply.)

The first attempt of every client call runs outside tenacity (its per-call wrapper costs tens
of microseconds); tenacity takes over only after a failure (see `AsyncHoneyHive._request`).
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_any,
)
from tenacity.stop import stop_base

from ._constants import INITIAL_RETRY_DELAY, MAX_RETRY_AFTER, MAX_RETRY_DELAY
from .errors import APIConnectionError, APIStatusError, PartialBatchError

__all__ = [
    "Sleep",
    "backoff_delay",
    "batch_should_retry",
    "build_batch_retrying",
    "build_retrying",
    "parse_retry_after",
    "should_retry",
]

log = logging.getLogger("honeyhive_async")

_UNSAFE_RETRY_STATUSES = frozenset({408, 429})
"""Statuses that prove the server did not act on the request, so even an unsafe call may repeat."""


def parse_retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Return the wait in seconds the server asked for, or None.

    `retry-after-ms` (milliseconds) wins over `Retry-After`, which is either seconds or an
    HTTP date. A date in the past means "now" (0).
    """
    raw_ms = headers.get("retry-after-ms")
    if raw_ms is not None:
        try:
            return max(float(raw_ms) / 1000.0, 0.0)
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if raw is None:
        return None
    try:
        return max(float(raw), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    current = time.time() if now is None else now
    return max(when.timestamp() - current, 0.0)


def backoff_delay(attempt: int, *, rand: Callable[[], float] = random.random) -> float:
    """Return the jittered exponential wait before retry number `attempt` (1-based)."""
    base = min(INITIAL_RETRY_DELAY * 2.0 ** (attempt - 1), MAX_RETRY_DELAY)
    return base * (1.0 - 0.25 * rand())


def should_retry(exc: BaseException, *, idempotent: bool) -> bool:
    """Tell whether a failed attempt may be repeated.

    Idempotent calls retry connection errors, timeouts, 408, 429 and 5xx. A call that is unsafe
    to repeat (a batch the server may have partly created) retries only when the failure proves
    nothing was done: the connection failed before sending, or the server said 408/429.
    The server's `x-should-retry` header overrides the status rule either way.
    """
    if isinstance(exc, PartialBatchError):
        return False
    if isinstance(exc, APIStatusError):
        if exc.retry_after is not None and exc.retry_after > MAX_RETRY_AFTER:
            return False
        if exc.should_retry is not None:
            return exc.should_retry
        if not idempotent:
            return exc.status in _UNSAFE_RETRY_STATUSES
        return exc.status in (408, 429) or exc.status >= 500
    if isinstance(exc, APIConnectionError):
        return idempotent or not exc.request_sent
    return False


def _wait(state: RetryCallState) -> float:
    exc = state.outcome.exception() if state.outcome is not None else None
    if isinstance(exc, APIStatusError) and exc.retry_after is not None:
        # The server knows its own load better than our backoff does.
        return exc.retry_after
    return backoff_delay(state.attempt_number)


def _log_retry(state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome is not None else None
    wait = state.upcoming_sleep
    log.info("retrying after %s (attempt %d, waiting %.3fs)", exc, state.attempt_number, wait)


class _stop_at_deadline(stop_base):
    def __init__(self, deadline: float, clock: Callable[[], float]) -> None:
        self._deadline = deadline
        self._clock = clock

    def __call__(self, retry_state: RetryCallState) -> bool:
        return self._clock() + retry_state.upcoming_sleep >= self._deadline


Sleep = Callable[[float], Awaitable[None]]
"""How a wait between attempts is spent: `asyncio.sleep`, or a test's recorder."""


def build_retrying(
    *,
    max_retries: int,
    idempotent: bool,
    deadline: float | None,
    clock: Callable[[], float],
    sleep: Sleep = asyncio.sleep,
) -> AsyncRetrying:
    """Build the tenacity policy for one call.

    `deadline` is a `clock()` value: no retry starts whose wait would end past it. Every wait
    goes through `sleep`, so a test can record the waits asked for instead of timing them.
    """
    stop: stop_base = stop_after_attempt(max_retries + 1)
    if deadline is not None:
        stop = stop | _stop_at_deadline(deadline, clock)
    return AsyncRetrying(
        stop=stop,
        wait=_wait,
        retry=retry_if_exception(lambda exc: should_retry(exc, idempotent=idempotent)),
        before_sleep=_log_retry,
        reraise=True,
        sleep=sleep,
    )


# -- the exporter's batch policy ------------------------------------------------------------


def batch_should_retry(exc: BaseException) -> bool:
    """Tell whether the exporter may send a batch again after `exc`.

    Connection errors, partial batches, 408, 429 and 5xx are transient. Re-sending is safe
    whatever the server did: every event carries its client-made `event_id`, and the server
    upserts by it (see the module docstring).
    """
    if isinstance(exc, (APIConnectionError, PartialBatchError)):
        return True
    if isinstance(exc, APIStatusError):
        return exc.status in (408, 429) or exc.status >= 500
    return False


def _batch_wait(state: RetryCallState) -> float:
    exc = state.outcome.exception() if state.outcome is not None else None
    if isinstance(exc, APIStatusError) and exc.retry_after is not None:
        # Honoured, but capped: a background exporter must not park a batch for an hour.
        return min(exc.retry_after, MAX_RETRY_AFTER)
    return backoff_delay(state.attempt_number)


def build_batch_retrying(
    *,
    max_attempts: int | None,
    deadline: float | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Sleep = asyncio.sleep,
) -> AsyncRetrying:
    """Build the exporter's policy: sends of one batch until `max_attempts` or `deadline`.

    Waits follow `Retry-After` (at most `MAX_RETRY_AFTER`, 60 s), else `backoff_delay`.
    `deadline` is a `clock()` value: no retry starts whose wait would end past it. With both
    given, whichever comes first ends the retries; at least one must be given.
    """
    stops: list[stop_base] = []
    if max_attempts is not None:
        stops.append(stop_after_attempt(max_attempts))
    if deadline is not None:
        stops.append(_stop_at_deadline(deadline, clock))
    if not stops:
        raise ValueError("build_batch_retrying needs max_attempts or a deadline")
    return AsyncRetrying(
        stop=stops[0] if len(stops) == 1 else stop_any(*stops),
        wait=_batch_wait,
        retry=retry_if_exception(batch_should_retry),
        reraise=True,
        sleep=sleep,
    )
