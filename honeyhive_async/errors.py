"""Every error the client raises.

    HoneyHiveError
    ├── MissingAPIKeyError          no key passed and none in HH_API_KEY / HONEYHIVE_API_KEY
    ├── ClientClosedError           the client was used after `aclose()`
    └── APIError                    a request went wrong; carries `method` and `path`
        ├── APIConnectionError      no usable HTTP response (refused, reset, DNS, ...)
        │   └── APITimeoutError     the request or the overall deadline timed out
        ├── APIResponseDecodeError  a 2xx body that is not the documented JSON (also raised when
        │   │                       a lazily decoded event field is read; names field and event)
        │   └── APIResponseTooLargeError  a body larger than `max_response_bytes` once inflated
        └── APIStatusError          a non-2xx reply: `status`, `body`, `message`, `error_code`, `request_id`
            ├── BadRequestError             400
            ├── AuthenticationError         401
            ├── PermissionDeniedError       403
            ├── NotFoundError               404
            ├── ConflictError               409
            ├── UnprocessableEntityError    422
            │   └── Metric*Error            422 of a metric run, one per `errorCode`
            ├── RateLimitError              429
            └── InternalServerError         5xx
                └── PartialBatchError       500 "Events partially created" on a batch

No message, repr or attribute holds the API key or the Authorization header: every text taken
from a response (body, server message, request id) has the client's own key replaced by
`[REDACTED]`, since a proxy may echo the request's headers back. An exception keeps at most the
first 64 KiB of a body (`ERROR_BODY_LIMIT`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import msgspec

from ._constants import ERROR_BODY_LIMIT
from ._scrub import scrub, scrub_decoded, scrub_text, secret_forms

if TYPE_CHECKING:
    from .models import CreateEventRequest

__all__ = [
    "ERROR_BODY_LIMIT",
    "APIConnectionError",
    "APIError",
    "APIResponseDecodeError",
    "APIResponseTooLargeError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ClientClosedError",
    "ConflictError",
    "HoneyHiveError",
    "InternalServerError",
    "MetricCompilationError",
    "MetricExecutionError",
    "MetricLLMResponseParseError",
    "MetricTemplateRenderError",
    "MissingAPIKeyError",
    "NotFoundError",
    "PartialBatchError",
    "PermissionDeniedError",
    "RateLimitError",
    "UnprocessableEntityError",
    "decode_error_body",
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
    """A 2xx response body was not the JSON the API documents (truncated, HTML, wrong type, too deep).

    Also raised when a lazily read field (`Event.inputs`, `Event.to_dict()`, a `*_ms` time)
    meets malformed data: `field` (and `event_id`, for an event) then name it, and `method`
    and `path` are empty (a model does not remember the call that brought it).

    Attributes:
        body: The first `ERROR_BODY_LIMIT` bytes of the body (`body_truncated` says if cut).
        body_size: The body's full size in bytes, when known.
    """

    def __init__(
        self,
        *,
        method: str,
        path: str,
        status: int,
        body: bytes,
        reason: str,
        field: str | None = None,
        event_id: str | None = None,
        body_size: int | None = None,
    ) -> None:
        size = len(body) if body_size is None else body_size
        self.body_truncated = len(body) > ERROR_BODY_LIMIT or size > len(body)
        body = body[:ERROR_BODY_LIMIT]
        preview = body[:_BODY_PREVIEW]
        if field is not None or event_id is not None:
            owner = "a response" if event_id is None else f"event {event_id!r}"
            where = f"{owner}{'' if field is None else f': field `{field}`'} could not be decoded"
        else:
            where = f"{method} {path} returned {status} with a body that could not be decoded"
        super().__init__(f"{where}: {reason}; first bytes: {preview!r}", method=method, path=path)
        self.status = status
        self.body = body
        self.body_size: int | None = size
        self.reason = reason
        self.field = field
        self.event_id = event_id


class APIResponseTooLargeError(APIResponseDecodeError):
    """A response body exceeded the client's `max_response_bytes` (counted after gzip inflation).

    Not retried: the same request would bring the same body. Raise the cap with
    ``client.with_options(max_response_bytes=...)`` or ask for smaller pages.

    Attributes:
        limit: The cap that was exceeded, in bytes.
        body_size: The announced size (Content-Length of an uncompressed body), or None when
            the body was cut off while being read.
    """

    def __init__(
        self, *, method: str, path: str, status: int, limit: int, size: int | None, head: bytes
    ) -> None:
        size_text = f"{size} bytes" if size is not None else "more than that"
        super().__init__(
            method=method,
            path=path,
            status=status,
            body=head,
            reason=f"the body exceeds max_response_bytes={limit} ({size_text})",
        )
        self.limit = limit
        self.body_size = size
        self.body_truncated = True


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
        body_size: int | None = None,
        body_truncated: bool = False,
    ) -> None:
        super().__init__(message, method=method, path=path)
        self.status = status
        self.body = body
        """The decoded JSON body, or the raw text when it was not JSON (or was cut short)."""
        self.body_truncated = body_truncated
        """True when the body was longer than `ERROR_BODY_LIMIT` and `body` holds its start."""
        self.body_size = body_size
        """The full size of the body in bytes, when known."""
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


class MetricExecutionError(UnprocessableEntityError):
    """422 ``execution_error``: the metric's code raised or could not run."""


class MetricCompilationError(UnprocessableEntityError):
    """422 ``compilation_error``: the metric's code does not compile."""


class MetricTemplateRenderError(UnprocessableEntityError):
    """422 ``template_render_error``: the LLM metric's prompt template could not be filled in."""


class MetricLLMResponseParseError(UnprocessableEntityError):
    """422 ``llm_response_parse_error``: the judge model's answer could not be read."""


class RateLimitError(APIStatusError):
    """429: too many requests; `retry_after` says how long to wait when the server told us."""

    status_code = 429


class InternalServerError(APIStatusError):
    """5xx."""


class PartialBatchError(InternalServerError):
    """A batch create (`/v1/events/batch`, `/v1/sessions/{id}/events/batch`) made only some events.

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


# A 422's `errorCode` picks a subclass; an unknown code stays a plain UnprocessableEntityError.
_UNPROCESSABLE_CODES: dict[str, type[UnprocessableEntityError]] = {
    "execution_error": MetricExecutionError,
    "compilation_error": MetricCompilationError,
    "template_render_error": MetricTemplateRenderError,
    "llm_response_parse_error": MetricLLMResponseParseError,
}


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def decode_error_body(content: bytes, *, secret: str | None = None) -> object:
    """Return an error body as JSON when it is JSON, else as (lossy) text; `secret` scrubbed."""
    content = scrub(content, secret)
    try:
        body: object = msgspec.json.decode(content)
    except (msgspec.DecodeError, RecursionError):
        # RecursionError: a body nested deeper than the decoder's stack allows.
        return scrub_text(content.decode("utf-8", "replace"), secret)
    if not secret:
        return body
    try:
        encoded = msgspec.json.encode(body)
        if any(form in encoded for form in secret_forms(secret)):
            # The key hid behind JSON escapes (\u0041...) that the byte scrub cannot see.
            return scrub_decoded(body, secret)
    except RecursionError:
        return "[body withheld: too deeply nested to scrub]"
    return body


def error_for_status(
    *,
    method: str,
    path: str,
    status: int,
    body: object,
    request_id: str | None = None,
    retry_after: float | None = None,
    should_retry: bool | None = None,
    body_size: int | None = None,
    body_truncated: bool = False,
) -> APIStatusError:
    """Build the `APIStatusError` subclass that matches `status`."""
    cls = _STATUS_CLASSES.get(status)
    if cls is UnprocessableEntityError and isinstance(body, dict):
        cls = _UNPROCESSABLE_CODES.get(_str_or_none(body.get("errorCode")) or "", cls)
    if cls is None:
        cls = InternalServerError if status >= 500 else APIStatusError
    detail = ""
    if isinstance(body, dict):
        parts = [
            str(body[k])[:_BODY_PREVIEW] for k in ("errorCode", "message", "error") if body.get(k)
        ]
        detail = ": " + " - ".join(parts) if parts else ""
    elif isinstance(body, str) and body:
        detail = ": " + body[:_BODY_PREVIEW]
    if body_truncated:
        of = f" of {body_size}" if body_size is not None else ""
        detail += f" (body truncated to its first {ERROR_BODY_LIMIT}{of} bytes)"
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
        body_size=body_size,
        body_truncated=body_truncated,
    )
