"""Turn what callers pass (mappings, datetimes) into request Structs before any I/O.

Shared by the resource groups, so that every group names a bad argument the same way.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

import msgspec

from .._resource import path_id
from ..models import CreateEventRequest

__all__ = ["id_list", "iso_utc", "struct_list", "to_struct", "with_event_id"]

S = TypeVar("S", bound=msgspec.Struct)


def to_struct(value: S | Mapping[str, Any], cls: type[S], what: str) -> S:
    """Return `value` as a `cls`; a mapping is validated, and `what` names it in the error."""
    if isinstance(value, cls):
        return value
    if not isinstance(value, Mapping):
        raise TypeError(f"{what} must be a {cls.__name__} or a mapping, got {type(value).__name__}")
    try:
        return msgspec.convert(value, cls)
    except msgspec.ValidationError as exc:
        raise ValueError(f"{what} is not a valid {cls.__name__}: {exc}") from None


def struct_list(
    values: Sequence[S | Mapping[str, Any]] | None, cls: type[S], what: str
) -> list[S] | None:
    """Return a list of `cls` from Structs or mappings; item `i` is named ``what[i]``."""
    if values is None:
        return None
    if isinstance(values, (str, bytes, Mapping)):
        raise TypeError(f"{what} must be a list of {what}")
    return [to_struct(value, cls, f"{what}[{i}]") for i, value in enumerate(values)]


def iso_utc(value: dt.datetime | str) -> str:
    """Return an ISO 8601 UTC time (``...Z``); a naive datetime is taken as UTC, a str is kept."""
    if isinstance(value, str):
        return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")


def id_list(what: str, ids: Sequence[str]) -> list[str]:
    """Return `ids` as a list, each checked to be a non-empty string (`what` names the error)."""
    # A str is a Sequence[str] too: sending it letter by letter is never what was meant.
    if isinstance(ids, str):
        raise TypeError(f"{what} must be a list of ids, not a str")
    listed = list(ids)
    for value in listed:
        path_id(what, value)  # the rule of an id in a path: a non-empty string
    return listed


def with_event_id(event: CreateEventRequest) -> CreateEventRequest:
    """Return `event`, given a new UUID4 `event_id` if it has none (a batch re-sends by id)."""
    if event.event_id is None:
        return msgspec.structs.replace(event, event_id=str(uuid.uuid4()))
    return event
