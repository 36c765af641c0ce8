"""The base Structs and the timestamp helper shared by every model."""

from __future__ import annotations

import datetime as _dt
from typing import Any

import msgspec

from ..errors import APIResponseDecodeError

__all__ = ["JSONObject", "Model", "RequestModel", "field_ms", "parse_timestamp_ms"]

JSONObject = dict[str, Any]
"""A JSON object as HoneyHive stores it in `inputs`, `outputs`, `metadata`, ..."""


class Model(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Base of every response model.

    Unknown fields are ignored so that a new server field never breaks an old client.
    """


class RequestModel(Model, forbid_unknown_fields=True):
    """Base of every request body.

    HoneyHive's v1 routes reject unknown fields, so request Structs carry only the fields the
    spec names; `omit_defaults` keeps unset fields off the wire. Decoding one (the local server
    does) rejects unknown fields the way HoneyHive does.
    """


_LEGACY_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S.%f")


def parse_timestamp_ms(value: float | str | None) -> float | None:
    """Return a HoneyHive timestamp as Unix milliseconds.

    Current responses carry numbers (Unix ms); older ones carry strings such as
    ``"2024-04-01 22:38:19"`` (UTC) or ISO 8601. Numeric strings are taken as ms.

    Raises:
        ValueError: the string is not a timestamp format HoneyHive has used.
    """
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    text = value.strip()
    try:
        return float(text)
    except ValueError:
        pass
    for fmt in _LEGACY_FORMATS:
        try:
            parsed = _dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
        return parsed.replace(tzinfo=_dt.timezone.utc).timestamp() * 1000.0
    try:
        parsed = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"not a HoneyHive timestamp: {value!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=_dt.timezone.utc)
    return parsed.timestamp() * 1000.0


def field_ms(value: float | str | None, field: str, event_id: str | None = None) -> float | None:
    """`parse_timestamp_ms` for a field of a response model (`created_at_ms`, ...).

    Raises:
        APIResponseDecodeError: the server sent a value that is no timestamp; `field` (and
            `event_id`, for an event) name it. A server's bad field is a typed error, as a
            bad body is, not a bare `ValueError`.
    """
    try:
        return parse_timestamp_ms(value)
    except (ValueError, OverflowError) as exc:  # OverflowError: a date out of range
        raise APIResponseDecodeError(
            method="",
            path="",
            status=0,
            body=msgspec.json.encode(value),
            reason=str(exc),
            field=field,
            event_id=event_id,
        ) from None
