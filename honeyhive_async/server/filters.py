"""The search filter engine of the local server: pure functions over decoded event dicts.

A filter is an `EventFilter` or `ExportFilter` Struct: a field (a dotted path such as
``metadata.cost``), an operator and a value, with an optional `type` that says how both sides
are compared. Without a `type`, ``after``/``before`` compare datetimes and the value's own JSON
type decides otherwise. Nothing here touches SQLite or HTTP: the store pushes the filters it
can into SQL and asks `matches` about the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import msgspec

from ..models import EventFilter, ExportFilter, parse_timestamp_ms

__all__ = [
    "MISSING",
    "Filter",
    "FilterError",
    "as_number",
    "coerce",
    "filter_kind",
    "matches",
    "project_fields",
    "resolve",
    "validate_filter",
]

Filter = EventFilter | ExportFilter
"""A filter of `POST /v1/events/search` or of the legacy export route."""

MISSING: Final[Any] = object()
"""What `resolve` returns for a path the event does not have (unlike a stored ``null``)."""

_encoder = msgspec.json.Encoder()
_NEGATED = {"is not": "is", "not contains": "contains"}


class FilterError(ValueError):
    """A search filter or date range that cannot be evaluated (bad value for its type)."""


def filter_kind(item: Filter) -> str | None:
    """Return the type both sides of `item` are compared as; None compares values as stored."""
    if isinstance(item.type, str):
        return item.type
    if item.operator in ("after", "before"):
        return "datetime"
    value = item.value
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return None if value is None else "string"


def validate_filter(item: Filter) -> None:
    """Raise `FilterError` unless the filter's value converts to its type."""
    if item.operator in ("exists", "not exists") or item.value is None:
        return
    try:
        coerce(item.value, filter_kind(item))
    except (TypeError, ValueError):
        raise FilterError(
            f"filter on {item.field!r}: {item.value!r} is not a valid {filter_kind(item)}"
        ) from None


def resolve(event: dict[str, Any], path: str) -> Any:
    """Return the value at a dotted `path` of `event`, or `MISSING`."""
    current: Any = event
    for part in path.split("."):
        if not isinstance(current, dict) or part not in current:
            return MISSING
        current = current[part]
    return current


def as_number(value: Any) -> float | None:
    """Return `value` as a float, or None for null, booleans, non-numbers and huge ints."""
    try:
        return float(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError, OverflowError):
        return None


def coerce(value: Any, kind: str | None) -> Any:
    """Convert a value to a filter type (None: unchanged).

    Raises:
        TypeError: the value's JSON type cannot be that type (a boolean as a number).
        ValueError: the value's text does not parse as that type, or it is an integer too
            large for a float (JSON allows any size, and msgspec decodes it whole).
    """
    if kind == "number":
        if isinstance(value, bool):
            raise TypeError("boolean is not a number")
        try:
            return float(value)
        except OverflowError:
            raise ValueError(f"out of range for a number: {value!r}") from None
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("true", "1"):
            return True
        if text in ("false", "0"):
            return False
        raise ValueError(f"not a boolean: {value!r}")
    if kind == "datetime":
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise TypeError("not a timestamp")
        try:
            return parse_timestamp_ms(value)
        except OverflowError:
            raise ValueError(f"out of range for a timestamp: {value!r}") from None
    if kind == "string":
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            return str(value)
        return _encoder.encode(value).decode()
    return value


def _try_coerce(value: Any, kind: str | None) -> Any:
    try:
        return coerce(value, kind)
    except (TypeError, ValueError):
        return MISSING


def matches(event: dict[str, Any], item: Filter) -> bool:
    """Return whether `event` passes the filter; call `validate_filter` on it first.

    A stored ``null`` counts as absent. A negated operator (``is not``, ``not contains``)
    passes exactly the events its positive form rejects, absent fields included.
    """
    stored = resolve(event, item.field)
    present = stored is not MISSING and stored is not None
    op = item.operator
    if op == "exists":
        return present
    if op == "not exists":
        return not present
    if op in _NEGATED:
        return not _matches_positive(stored, present, _NEGATED[op], item)
    return _matches_positive(stored, present, op, item)


def _matches_positive(stored: Any, present: bool, op: str, item: Filter) -> bool:
    if item.value is None:
        return op == "is" and not present
    if not present:
        return False
    kind = filter_kind(item)
    wanted = coerce(item.value, kind)
    if op == "contains":
        if isinstance(stored, list):
            return any(_try_coerce(element, kind) == wanted for element in stored)
        text = _try_coerce(stored, "string")
        return text is not MISSING and str(wanted) in text
    actual = _try_coerce(stored, kind)
    if actual is MISSING:
        return False
    if op == "is":
        return bool(actual == wanted)
    try:
        if op in ("greater than", "after"):
            return bool(actual > wanted)
        if op in ("less than", "before"):
            return bool(actual < wanted)
    except TypeError:
        return False
    return False


def project_fields(event: dict[str, Any], projections: Sequence[str]) -> dict[str, Any]:
    """Return only the projected fields of `event` (dotted paths nest), plus `event_id`."""
    out: dict[str, Any] = {"event_id": event["event_id"]}
    for path in projections:
        value = resolve(event, path)
        if value is MISSING:
            continue
        *parents, leaf = path.split(".")
        target = out
        for part in parents:
            nested = target.get(part)
            if not isinstance(nested, dict):
                nested = target[part] = {}
            target = nested
        target[leaf] = value
    return out
