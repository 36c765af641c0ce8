"""What every wrapped provider call shares: one `model` span a call, streams observed in passing.

A provider module describes its calls with an `Adapter` (what the request and the response say
in event fields, and how a stream's chunks add up); the wrappers here open the span under the
current one, record a failure as `@trace` does, and hand the provider's own result back: the
same object, and for a stream the same stream object, whose iterator is swapped for one that
sees each chunk on its way to the caller.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator, Iterator
from typing import Any, Protocol

from ..tracing import _span as _clock
from ..tracing._span import Span
from ..tracing._tracer import Tracer
from ..tracing._wrapping import Static, fail, open_span

__all__ = [
    "NO_STATIC",
    "REQUEST_FIELDS",
    "Accumulator",
    "Adapter",
    "StreamState",
    "instrument_async_stream",
    "instrument_stream",
    "record_error",
    "request_config",
    "traced_copies",
    "traced_method",
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


def _record(adapter: Adapter, span: Span, result: Any) -> None:
    try:
        adapter.response(span, result)
    except Exception:  # a response shape we do not know: the call's result wins
        log.exception("honeyhive: could not record the result of %s", adapter.name)
    span.finish()


def _prepare(
    adapter: Adapter, span: Span, kwargs: dict[str, Any]
) -> tuple[dict[str, Any], Accumulator | None]:
    try:
        sent = adapter.request(span, kwargs)
        return sent, adapter.stream(kwargs) if kwargs.get("stream") is True else None
    except Exception:
        log.exception("honeyhive: could not record the request of %s", adapter.name)
        return kwargs, None


def traced_method(method: Callable[..., Any], adapter: Adapter, tracer: Tracer | None) -> Any:
    """Wrap a provider's bound method (sync or async): one `model` span a call."""
    # The SDKs wrap their async methods in sync-looking decorators: look through them.
    if inspect.iscoroutinefunction(inspect.unwrap(method)):

        @functools.wraps(method)
        async def traced_async(*args: Any, **kwargs: Any) -> Any:
            span = open_span(tracer, "model", adapter.name, NO_STATIC)
            if span is None:
                return await method(*args, **kwargs)
            sent, accumulator = _prepare(adapter, span, kwargs)
            try:
                result = await method(*args, **sent)
            except BaseException as exc:
                record_error(span, exc)
                raise
            if accumulator is not None:
                return instrument_async_stream(result, StreamState(span, accumulator, result))
            _record(adapter, span, result)
            return result

        return traced_async

    @functools.wraps(method)
    def traced(*args: Any, **kwargs: Any) -> Any:
        span = open_span(tracer, "model", adapter.name, NO_STATIC)
        if span is None:
            return method(*args, **kwargs)
        sent, accumulator = _prepare(adapter, span, kwargs)
        try:
            result = method(*args, **sent)
        except BaseException as exc:
            record_error(span, exc)
            raise
        if accumulator is not None:
            return instrument_stream(result, StreamState(span, accumulator, result))
        _record(adapter, span, result)
        return result

    return traced


def traced_copies(client: Any, wrap: Callable[[Any], Any]) -> None:
    """Make `client.with_options(...)` and `client.copy(...)` return traced clients too."""
    copy = getattr(client, "copy", None)
    if copy is None:
        return

    @functools.wraps(copy)
    def traced_copy(*args: Any, **kwargs: Any) -> Any:
        return wrap(copy(*args, **kwargs))

    # The SDKs alias `with_options = copy` on the class: shadow both on this client.
    client.copy = client.with_options = traced_copy


class StreamState:
    """One stream's span, until the stream ends, fails or is closed early."""

    __slots__ = ("accumulator", "chunks", "ended", "first", "span")

    def __init__(self, span: Span, accumulator: Accumulator, stream: Any) -> None:
        self.span = span
        self.accumulator = accumulator
        self.first = 0.0
        self.chunks = 0
        self.ended = False
        try:
            # The request id of a stream is only in its headers (openai's, then anthropic's).
            headers = stream.response.headers
            request_id = headers.get("x-request-id") or headers.get("request-id")
            if request_id:
                span.metadata = {**(span.metadata or {}), "request_id": request_id}
        except Exception:
            log.debug("honeyhive: no request id on the stream of %s", span.event_name)

    def take(self, chunk: Any) -> bool:
        """Observe one chunk; whether the caller gets it."""
        if not self.chunks:
            self.first = _clock._perf()
        self.chunks += 1
        try:
            return self.accumulator.add(chunk)
        except Exception:
            log.exception("honeyhive: could not read a chunk of %s", self.span.event_name)
            return True

    def end(self, *, stopped_early: bool = False, error: BaseException | None = None) -> None:
        """End the span once: joined output, usage, time to first token, how it ended."""
        if self.ended:
            return
        self.ended = True
        span = self.span
        try:
            self.accumulator.finish(span)
            metrics: dict[str, Any] = {"chunk_count": self.chunks}
            if self.first:
                metrics["time_to_first_token_ms"] = (self.first - span._t0) * 1e3
            span.update(metrics=metrics)
            if stopped_early:
                span.update(metadata={"stopped_early": True})
        except Exception:
            log.exception("honeyhive: could not record the stream of %s", span.event_name)
        if error is not None:
            record_error(span, error)
        else:
            span.finish()


def _chunks(inner: Iterator[Any], state: StreamState) -> Generator[Any, None, None]:
    try:
        for chunk in inner:
            if state.take(chunk):
                yield chunk
    except GeneratorExit:
        state.end(stopped_early=True)
        raise
    except BaseException as exc:
        state.end(error=exc)
        raise
    state.end()


async def _achunks(inner: AsyncIterator[Any], state: StreamState) -> AsyncGenerator[Any, None]:
    try:
        async for chunk in inner:
            if state.take(chunk):
                yield chunk
    except GeneratorExit:
        state.end(stopped_early=True)
        raise
    except BaseException as exc:
        state.end(error=exc)
        raise
    state.end()


def instrument_stream(stream: Any, state: StreamState) -> Any:
    """Make a provider's sync stream report to `state`; return the same stream object.

    The SDKs' streams (openai's `Stream`, anthropic's `Stream` and `MessageStream`) read every
    chunk through `_iterator`, so swapping it sees each chunk as it arrives, unbuffered.
    `close()` (also what `with` calls) ends the span as stopped early when chunks were left.
    """
    chunks: Generator[Any, None, None] = _chunks(stream._iterator, state)
    stream._iterator = chunks
    close = stream.close

    def close_traced() -> None:
        chunks.close()
        state.end(stopped_early=True)
        close()

    stream.close = close_traced
    return stream


def instrument_async_stream(stream: Any, state: StreamState) -> Any:
    """`instrument_stream` for the SDKs' async streams."""
    chunks: AsyncGenerator[Any, None] = _achunks(stream._iterator, state)
    stream._iterator = chunks
    close = stream.close

    async def close_traced() -> None:
        await chunks.aclose()
        state.end(stopped_early=True)
        await close()

    stream.close = close_traced
    return stream
