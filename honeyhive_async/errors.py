"""Every error the client raises.

    HoneyHiveError
    ├── MissingAPIKeyError          no key passed and none in HH_API_KEY / HONEYHIVE_API_KEY
    ├── ClientClosedError           the client was used after `aclose()`
    └── APIError                    a request went wrong; carries `method` and `path`
        ├── APIConnectionError      no usable HTTP response (refused, reset, DNS, ...)
        │   └── APITimeoutError     the request or the overall deadline timed out
        ├── APIResponseDecodeError  a 2xx body that is not the documented JSON
        └── APIStatusError          a non-2xx reply: `status`, `body`, `message`, `error_code`, `request_id`
            ├── BadRequestError             400
            ├── AuthenticationError         401
            ├── PermissionDeniedError       403
            ├── NotFoundError               404
            ├── ConflictError               409
            ├── UnprocessableEntityError    422
            ├── RateLimitError              429
            └── InternalServerError         5xx
                └── PartialBatchError       500 "Events partially created" on a batch

No message, repr or attribute holds the API key or the Authorization header.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import msgspec

if TYPE_CHECKING:
    from .models import CreateEventRequest

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseDecodeError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ClientClosedError",
    "ConflictError",
    "HoneyHiveError",
    "InternalServerError",
    "MissingAPIKeyError",
    "NotFoundError",
    "PartialBatchError",
    "PermissionDeniedError",
    "RateLimitError",
    "UnprocessableEntityError",
    "error_for_status",
]

_BODY_PREVIEW = 200


class HoneyHiveError(Exception):
    """Base of every error raised by honeyhive_async."""


class MissingAPIKeyError(HoneyHiveError):
    """No API key was given and none was found in the environment."""

    def __init__(self) -> None:
        super().__init__(
            "no HoneyHive API key: pass api_key=... or set HH_API_KEY (or HONEYHIVE_API_KEY)"
        )


class ClientClosedError(HoneyHiveError):
    """The client was used after it was closed."""


class APIError(HoneyHiveError):
    """A request to the API failed."""

    def __init__(self, message: str, *, method: str, path: str) -> None:
        super().__init__(message)
        self.message = message
        self.method = method
        self.path = path


class APIConnectionError(APIError):
    """The request got no usable HTTP response (refused, reset, DNS failure, ...)."""

    def __init__(
        self,
        message: str,
        *,
        method: str,
        path: str,
        request_sent: bool = True,
    ) -> None:
        super().__init__(message, method=method, path=path)
        self.request_sent = request_sent
        """False when the failure came before any byte was sent, so a retry is always safe."""


class APITimeoutError(APIConnectionError):
    """The request, or the overall deadline of a call with its retries, timed out."""


class APIResponseDecodeError(APIError):
    """A 2xx response body was not the JSON the API documents (truncated, HTML, wrong type)."""

    def __init__(self, *, method: str, path: str, status: int, body: bytes, reason: str) -> None:
        preview = body[:_BODY_PREVIEW]
        super().__init__(
            f"{method} {path} returned {status} with a body that could not be decoded: {reason}; "
            f"first bytes: {preview!r}",
            method=method,
            path=path,
        )
        self.status = status
        self.body = body
        self.reason = reason


class APIStatusError(APIError):
    """The API answered with a non-2xx status."""

    status_code: ClassVar[int | None] = None

    def __init__(
        self,
        message: str,
        *,
        method: str,
        path: str,
        status: int,
        body: object,
        request_id: str | None = None,
        retry_after: float | None = None,
        should_retry: bool | None = None,
    ) -> None:
        super().__init__(message, method=method, path=path)
        self.status = status
        self.body = body
        """The decoded JSON body, or the raw text when it was not JSON."""
        self.request_id = request_id
        self.retry_after = retry_after
        """Seconds the server asked us to wait (Retry-After / retry-after-ms), if any."""
        self.should_retry = should_retry
        """The server's own `x-should-retry` verdict, if it sent one."""
        server = body if isinstance(body, dict) else {}
        self.server_message: str | None = _str_or_none(server.get("message"))
        self.error_code: str | None = _str_or_none(server.get("errorCode"))


class BadRequestError(APIStatusError):
    """400: the request was malformed or had unknown fields."""

    status_code = 400


class AuthenticationError(APIStatusError):
    """401: the API key is missing or wrong."""

    status_code = 401


class PermissionDeniedError(APIStatusError):
    """403: the key may not do this."""

    status_code = 403


class NotFoundError(APIStatusError):
    """404: no such session or event."""

    status_code = 404


class ConflictError(APIStatusError):
    """409."""

    status_code = 409


class UnprocessableEntityError(APIStatusError):
    """422."""

    status_code = 422


class RateLimitError(APIStatusError):
    """429: too many requests; `retry_after` says how long to wait when the server told us."""

    status_code = 429


class InternalServerError(APIStatusError):
    """5xx."""


class PartialBatchError(InternalServerError):
    """`POST /v1/events/batch` created only some events.

    Re-send `uncreated` (their `event_id`s are already set, so the server cannot duplicate
    the ones it did create).
    """

    def __init__(
        self,
        message: str,
        *,
        method: str,
        path: str,
        status: int,
        body: object,
        request_id: str | None,
        created_ids: list[str],
        uncreated: list[CreateEventRequest],
    ) -> None:
        super().__init__(
            message, method=method, path=path, status=status, body=body, request_id=request_id
        )
        self.created_ids = created_ids
        self.uncreated = uncreated


_STATUS_CLASSES: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def decode_error_body(content: bytes) -> object:
    """Return an error body as JSON when it is JSON, else as (lossy) text."""
    try:
        return msgspec.json.decode(content)
    except msgspec.DecodeError:
        return content.decode("utf-8", "replace")


def error_for_status(
    *,
    method: str,
    path: str,
    status: int,
    body: object,
    request_id: str | None = None,
    retry_after: float | None = None,
    should_retry: bool | None = None,
) -> APIStatusError:
    """Build the `APIStatusError` subclass that matches `status`."""
    cls = _STATUS_CLASSES.get(status)
    if cls is None:
        cls = InternalServerError if status >= 500 else APIStatusError
    detail = ""
    if isinstance(body, dict):
        parts = [str(body[k]) for k in ("errorCode", "message", "error") if body.get(k)]
        detail = ": " + " - ".join(parts) if parts else ""
    elif isinstance(body, str) and body:
        detail = ": " + body[:_BODY_PREVIEW]
    rid = f" (request id {request_id})" if request_id else ""
    return cls(
        f"{method} {path} failed with status {status}{detail}{rid}",
        method=method,
        path=path,
        status=status,
        body=body,
        request_id=request_id,
        retry_after=retry_after,
        should_retry=should_retry,
    )
