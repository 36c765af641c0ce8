"""Query parameters and JSON values read by route handlers, each bad one a 400 that names it."""

from __future__ import annotations

import math
import re
from typing import Any

import msgspec
from aiohttp import web

from ..models import parse_timestamp_ms
from ._http import ServerError

__all__ = ["int_param", "invalid", "json_value", "timestamp_bound"]

_INTEGER = re.compile(r"-?[0-9]+").fullmatch


def invalid(message: str) -> ServerError:
    return ServerError(400, message, "VALIDATION_ERROR")


def int_param(request: web.Request, name: str) -> int | None:
    raw = request.query.get(name)
    if raw is None:
        return None
    text = raw.strip()
    # `int()` alone would also take "1_000" and "+1"; the API takes digits.
    if not _INTEGER(text):
        raise invalid(f"{name} must be an integer, got {raw!r}")
    try:
        return int(text)
    except ValueError:  # more digits than `int()` converts
        raise invalid(f"{name} is too large") from None


def json_value(name: str, raw: str, decoder: msgspec.json.Decoder[Any]) -> Any:
    try:
        return decoder.decode(raw)
    except (msgspec.DecodeError, RecursionError) as exc:  # ValidationError is a DecodeError
        raise invalid(f"{name} is not valid: {exc}") from None


def timestamp_bound(value: object) -> float | None:
    if value is None:
        return None
    parsed: float | None = None
    if isinstance(value, (int, float, str)) and not isinstance(value, bool):
        try:
            parsed = parse_timestamp_ms(value)
        except (ValueError, OverflowError):
            parsed = None
    if parsed is None or not math.isfinite(parsed):
        raise invalid(f"dateRange bound is not a timestamp: {value!r}")
    return parsed
