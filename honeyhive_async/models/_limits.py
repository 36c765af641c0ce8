"""Values and checks the client, the tracer and the local server share: one definition each."""

from __future__ import annotations

from typing import Literal, get_args

__all__ = [
    "DEFAULT_PAGE_LIMIT",
    "EVENT_TYPES",
    "EXPORT_MAX_LIMIT",
    "SEARCH_MAX_LIMIT",
    "SPAN_TYPES",
    "EventType",
    "SpanType",
    "check_event_type",
    "check_limit",
]

EventType = Literal["model", "tool", "chain", "session"]
SpanType = Literal["model", "tool", "chain"]
"""The event types a traced function or block may take (sessions are opened, not traced)."""

EVENT_TYPES: frozenset[str] = frozenset(get_args(EventType))
SPAN_TYPES: frozenset[str] = frozenset(get_args(SpanType))

SEARCH_MAX_LIMIT = 1000
"""Largest `limit` of `POST /v1/events/search` a page may ask for."""
EXPORT_MAX_LIMIT = 7500
"""Largest `limit` of the legacy `POST /v1/events/export`."""
DEFAULT_PAGE_LIMIT = 1000
"""The page size the server uses when a search or export gives no `limit`."""


def check_event_type(value: object, allowed: frozenset[str] = EVENT_TYPES) -> None:
    """Raise `ValueError` naming the allowed types unless `value` is one of them."""
    if value not in allowed:
        choices = ", ".join(repr(t) for t in sorted(allowed))
        raise ValueError(f"event_type must be one of {choices}, got {value!r}")


def check_limit(name: str, value: int | None, maximum: int) -> None:
    """Raise `ValueError` unless `value` is None or between 1 and `maximum`."""
    if value is not None and not 1 <= value <= maximum:
        raise ValueError(f"{name} must be between 1 and {maximum}, got {value!r}")
