"""What a fault answers: an error body with its `errorCode`, or a connection closed unanswered."""

from __future__ import annotations

import http

import msgspec
from aiohttp import web

__all__ = ["drop_connection", "fault_reply", "status_code_name"]

_encoder = msgspec.json.Encoder()

# Python 3.13 renamed these members (CONTENT_TOO_LARGE, ...); error codes must not change with it.
_STABLE_NAMES = {
    413: "PAYLOAD_TOO_LARGE",
    416: "RANGE_NOT_SATISFIABLE",
    422: "UNPROCESSABLE_ENTITY",
}


def status_code_name(status: int) -> str:
    """Return an `errorCode` for a status: ``503`` -> ``"SERVICE_UNAVAILABLE"``."""
    if status in _STABLE_NAMES:
        return _STABLE_NAMES[status]
    try:
        return http.HTTPStatus(status).name
    except ValueError:
        return f"HTTP_{status}"


def drop_connection(request: web.Request) -> web.StreamResponse:
    """Close the request's connection; the returned response never reaches the client."""
    if request.transport is not None:
        request.transport.close()
    # Nothing reaches the client; 444 (nginx's "no response") keeps the access log honest.
    return web.Response(status=444)


def fault_reply(
    status: int,
    *,
    retry_after: str | None = None,
    retry_after_ms: int | None = None,
    body: bytes | None = None,
    content_type: str = "application/json",
) -> web.Response:
    """Build a fault's response: `body` as given, else the JSON error shape for an error status."""
    headers: dict[str, str] = {}
    if retry_after is not None:
        headers["Retry-After"] = retry_after
    if retry_after_ms is not None:
        headers["retry-after-ms"] = str(retry_after_ms)
    if body is None and status >= 400:
        body = _encoder.encode(
            {"message": f"Injected fault: HTTP {status}", "errorCode": status_code_name(status)}
        )
    response = web.Response(status=status, body=body or b"", headers=headers)
    response.content_type = content_type
    return response
