"""Whether a failed request may still have been acted on: its answer was lost, not its effect."""

from __future__ import annotations

import contextlib
from functools import partial
from typing import TYPE_CHECKING

from ..errors import (
    APIConnectionError,
    APIResponseDecodeError,
    APIStatusError,
    APITimeoutError,
    HoneyHiveError,
)
from ._turns import gather_limited

if TYPE_CHECKING:
    from .._client import AsyncHoneyHive

__all__ = ["batch_may_be_stored", "held_by_server", "may_have_acted"]


def batch_may_be_stored(exc: Exception) -> bool:
    """Whether a batch's last attempt may have been stored though it failed.

    A connection lost after the request went out, a 2xx whose body did not decode, a gateway
    error (502, 504). Not a 503 or 429: the server said it did nothing, and asking an
    overloaded server about every event would only load it more. Not a timeout either.
    """
    if isinstance(exc, APITimeoutError):
        return False  # a server that does not answer would stall the exporter on each look-up
    if isinstance(exc, APIConnectionError):
        return exc.request_sent
    if isinstance(exc, APIStatusError):
        return exc.status in (502, 504)
    return isinstance(exc, APIResponseDecodeError)


def may_have_acted(exc: HoneyHiveError) -> bool:
    """Whether the server may have done what a failed request asked (its answer was lost)."""
    if isinstance(exc, APIConnectionError):
        return exc.request_sent
    return isinstance(exc, APIStatusError) and exc.status >= 500


async def held_by_server(client: AsyncHoneyHive, event_ids: list[str]) -> set[str]:
    """The ids of `event_ids` the server holds (`GET /v1/events/{id}`, a few at a time)."""
    held: set[str] = set()

    async def look_up(event_id: str) -> None:
        with contextlib.suppress(HoneyHiveError):
            await client.events.get(event_id)
            held.add(event_id)

    await gather_limited([partial(look_up, event_id) for event_id in event_ids])
    return held
