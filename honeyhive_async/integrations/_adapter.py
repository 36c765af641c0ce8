"""What a provider module tells the wrappers: a call's request and result in event fields.

Also what every wrapper shares before any call: the request parameters kept as config, the
error of a failed call recorded as `@trace` records it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

from ..tracing._span import Span
from ..tracing._wrapping import Static, fail

__all__ = [
    "NO_STATIC",
    "REQUEST_FIELDS",
    "Accumulator",
    "Adapter",
    "record_error",
    "request_config",
]

log = logging.getLogger("honeyhive_async.integrations")

NO_STATIC = Static(None, None)

REQUEST_FIELDS = frozenset(
    {
        # Carried in inputs, not config.
        "messages",
        "input",
        "instructions",
        "system",
        "prompt",
        # The transport's business: headers may carry credentials, and none of these is a
        # parameter of the model call.
        "stream",
        "stream_options",
        "extra_headers",
        "extra_query",
        "extra_body",
        "timeout",
    }
)


def request_config(provider: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    """Provider, model and the request's parameters (the inputs and transport options left out)."""
    config = {"provider": provider}
    for key, value in kwargs.items():
        if key not in REQUEST_FIELDS:
            config[key] = value
    return config


class Accumulator(Protocol):
    """How a stream's chunks add up to what the event records."""

    @property
    def hold_back(self) -> Callable[[Any], bool] | None:
        """A test of the raw events the SDK's stream decodes, before it builds objects of them.

        True keeps the event from the caller (the accumulator read it instead); None when
        nothing is held back: every chunk goes through `add`.
        """

    def add(self, chunk: Any) -> bool:
        """Take one chunk; False if the caller must not see it (usage asked for by us)."""

    def finish(self, span: Span) -> None:
        """Put the joined output, usage and finish reason on the span."""


class Adapter(Protocol):
    """One provider method, in event fields."""

    name: str

    def request(self, span: Span, kwargs: dict[str, Any]) -> dict[str, Any]:
        """Record the request on `span`; return the kwargs to call with (usage asked for)."""

    def response(self, span: Span, result: Any) -> None:
        """Record a non-streamed result on `span`."""

    def stream(self, original: dict[str, Any]) -> Accumulator:
        """The accumulator of a stream the caller requested with `original`."""


def record_error(span: Span, exc: BaseException) -> None:
    """Record a failed call as `@trace` does, with the provider's status and request id."""
    fail(span, exc)
    try:
        status = getattr(exc, "status_code", None)
        request_id = getattr(exc, "request_id", None)
        extra: dict[str, Any] = {}
        if isinstance(status, int):
            extra["status_code"] = status
        if isinstance(request_id, str):
            extra["request_id"] = request_id
        if extra:
            span.update(metadata=extra)
    except Exception:
        log.exception("honeyhive: could not read the error of %s", span.event_name)
    span.finish()
