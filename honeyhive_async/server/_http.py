"""What every group's route handlers share: app keys, the error type, body decoding, replies.

A handler decodes its body with `decode_body` (a strict request Struct: unknown fields are a
400, as on HoneyHive's v1 routes), raises `ServerError` for a 4xx, and answers with `json_response`.
The app's middleware turns a `ServerError` into ``{"message": str, "errorCode": str}``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, TypeVar

import msgspec
from aiohttp import web

from .faults import FaultSwitch, status_code_name
from .store import Store

__all__ = [
    "FAULTS_KEY",
    "STORE_KEY",
    "ServerError",
    "bounded",
    "decode_body",
    "error_response",
    "json_response",
    "page_number",
    "path_id",
]

_T = TypeVar("_T")

STORE_KEY = web.AppKey("store", Store)
FAULTS_KEY = web.AppKey("faults", FaultSwitch)

_encoder = msgspec.json.Encoder()


class ServerError(Exception):
    """An error reply: turned into ``{"message", "errorCode"}`` with `status` by the middleware."""

    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code or status_code_name(status)


def json_response(body: object, status: int = 200) -> web.Response:
    """Return `body` encoded as a JSON response."""
    return web.Response(body=_encoder.encode(body), status=status, content_type="application/json")


def error_response(
    status: int, message: str, code: str, headers: Mapping[str, str] | None = None
) -> web.Response:
    """Return the JSON error shape ``{"message", "errorCode"}``."""
    response = json_response({"message": message, "errorCode": code}, status)
    if headers:
        response.headers.update(headers)
    return response


async def decode_body(request: web.Request, decoder: msgspec.json.Decoder[_T]) -> _T:
    """Decode the request body, or raise a 400 naming the field (or the JSON error)."""
    body = await request.read()
    try:
        return decoder.decode(body)
    except msgspec.ValidationError as exc:
        fixed = _with_integral_floats(body, decoder.type, exc)
        if fixed is None:
            raise ServerError(400, f"Invalid request body: {exc}", "VALIDATION_ERROR") from None
        result: _T = fixed
        return result
    except msgspec.DecodeError as exc:
        raise ServerError(400, f"Request body is not valid JSON: {exc}", "INVALID_JSON") from None
    except RecursionError:  # deeper than msgspec's decoder goes: a 400, never a 500
        raise ServerError(400, "Request body is nested too deeply", "INVALID_JSON") from None


# A body is JSON Schema, where 10.0 is an integer; msgspec takes only 10 for an `int`.
_FLOAT_FOR_INT = re.compile(
    r"Expected `[^`]*\bint\b[^`]*`, got `float` - at `\$((?:\.\w+|\[\d+\])*)`"
)
_PATH_STEP = re.compile(r"\.(\w+)|\[(\d+)\]")
_MAX_FIXES = 1000


def _with_integral_floats(body: bytes, type_: Any, error: msgspec.ValidationError) -> Any:
    """Decode `body` again with each integer-valued float an int rejected is made an int.

    Returns None when `error` is not about such a float (the caller answers 400 with it).
    """
    if _FLOAT_FOR_INT.fullmatch(str(error)) is None:
        return None
    try:
        data: Any = msgspec.json.decode(body)
    except RecursionError:  # deeper than Python's stack: the first error stands
        return None
    for _ in range(_MAX_FIXES):
        match = _FLOAT_FOR_INT.fullmatch(str(error))
        if match is None:
            return None
        parent: Any = None
        key: Any = None
        value: Any = data
        for name, index in _PATH_STEP.findall(match.group(1)):
            parent, key = value, (name if name else int(index))
            value = value[key]
        if not (isinstance(value, float) and value.is_integer()) or parent is None:
            return None
        parent[key] = int(value)
        try:
            return msgspec.convert(data, type_)
        except msgspec.ValidationError as exc:
            error = exc
    return None


def path_id(request: web.Request, name: str) -> str:
    """Return the path parameter `name`, or raise a 400 if it is blank."""
    value = request.match_info.get(name, "")
    if not value.strip():
        raise ServerError(400, f"{name} must be a non-empty string", "VALIDATION_ERROR")
    return value


def bounded(name: str, value: int | None, default: int, maximum: int) -> int:
    """Return `value` (`default` if None), or raise a 400 unless it is in 1..`maximum`."""
    if value is None:
        return default
    if not 1 <= value <= maximum:
        raise ServerError(
            400, f"{name} must be between 1 and {maximum}, got {value}", "VALIDATION_ERROR"
        )
    return value


def page_number(value: int | None) -> int:
    """Return a 1-based page number (1 if None), or raise a 400 if it is below 1."""
    if value is None:
        return 1
    if value < 1:
        raise ServerError(400, f"page must be at least 1, got {value}", "VALIDATION_ERROR")
    return value
