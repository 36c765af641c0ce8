"""Building the stored event dict: ids, clock, defaults and merges the stores share."""

from __future__ import annotations

import time
import uuid
from typing import Any

from ._db import EventDict

__all__ = [
    "LOCAL_ORG_ID",
    "LOCAL_PROJECT_ID",
    "LOCAL_WORKSPACE_ID",
    "MERGED_ON_UPDATE",
    "build_event",
    "duration",
    "merge_into",
    "new_id",
    "now_ms",
]

LOCAL_ORG_ID = "local-org"
LOCAL_WORKSPACE_ID = "local-workspace"
LOCAL_PROJECT_ID = "local-project"

MERGED_ON_UPDATE = ("metadata", "feedback", "metrics", "config", "user_properties")
"""The object fields an update or a repeated session start merges into, key by key."""
_OBJECT_FIELDS = ("inputs", "outputs", *MERGED_ON_UPDATE)


def new_id() -> str:
    """Return a new random UUID string, the id HoneyHive gives what the caller left unnamed."""
    return str(uuid.uuid4())


def now_ms() -> int:
    """Return the current time in Unix milliseconds."""
    return int(time.time() * 1000)


def duration(start: float | None, end: float | None) -> float | None:
    """Return ``end - start``, or None unless both are known."""
    if start is None or end is None:
        return None
    return end - start


def build_event(**fields: Any) -> EventDict:
    """Return a stored event from every field of the `Event` shape, with the server's defaults.

    A field without a value (a session's `parent_id`, an open event's `end_time` and
    `duration`) is left out: the spec types them string or number, not nullable. `error` is
    the exception: the event schemas type it string-or-null.
    """
    event = {name: value for name, value in fields.items() if value is not None or name == "error"}
    event["source"] = fields["source"] or "unknown"
    event["project_id"] = fields["project_id"] or LOCAL_PROJECT_ID
    for name in _OBJECT_FIELDS:
        if event.get(name) is None:
            event[name] = {}
    return event


def merge_into(event: EventDict, name: str, value: dict[str, Any] | None) -> None:
    """Merge `value` into the object field `name` of `event` (an empty or None value: no-op)."""
    if value:
        event[name] = {**(event.get(name) or {}), **value}
