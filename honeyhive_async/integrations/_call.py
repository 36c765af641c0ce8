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
from collections.abc import Callable
from types import TracebackType
from typing import Any

from ..tracing._span import Span
from ..tracing._tracer import Tracer
from ..tracing._wrapping import open_span
from ._adapter import NO_STATIC, Accumulator, Adapter, record_error
from ._stream import StreamState, instrument_async_stream, instrument_stream

__all__ = [
    "closing_raw_stream",
    "traced_copies",
    "traced_method",
    "traced_stream_method",
]


log = logging.getLogger("honeyhive_async.integrations")


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


def traced_stream_method(
    method: Callable[..., Any],
    adapter: Adapter,
    tracer: Tracer | None,
    name: str,
    create: Callable[..., Any],
) -> Callable[..., Any]:
    """Wrap a `.stream(...)` helper that returns a context manager (given its resource's `create`)."""
    kind = _AsyncManager if inspect.iscoroutinefunction(inspect.unwrap(create)) else _Manager

    @functools.wraps(method)
    def stream(*args: Any, **kwargs: Any) -> Any:
        return kind(method(*args, **kwargs), kwargs, tracer, adapter, name)

    return stream


class _Manager:
    """A `.stream(...)` helper's context manager: the span covers the `with` block's stream."""

    def __init__(
        self,
        manager: Any,
        kwargs: dict[str, Any],
        tracer: Tracer | None,
        adapter: Adapter,
        name: str,
    ) -> None:
        self._manager = manager
        self._kwargs = kwargs
        self._tracer = tracer
        self._adapter = adapter
        self._name = name

    def _open(self) -> tuple[Span, Accumulator | None] | None:
        span = open_span(self._tracer, "model", self._name, NO_STATIC)
        if span is None:
            return None
        try:
            self._adapter.request(span, self._kwargs)
            return span, self._adapter.stream(self._kwargs)
        except Exception:
            log.exception("honeyhive: could not record the request of %s", self._name)
            return span, None

    def __enter__(self) -> Any:
        opened = self._open()
        if opened is None:
            return self._manager.__enter__()
        span, accumulator = opened
        try:
            stream = self._manager.__enter__()
        except BaseException as exc:
            record_error(span, exc)
            raise
        if accumulator is None:
            span.finish()
            return stream
        return instrument_stream(stream, StreamState(span, accumulator, stream))

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> Any:
        return self._manager.__exit__(exc_type, exc, tb)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._manager, name)


class _AsyncManager(_Manager):
    """`_Manager` for the async clients: `async with client....stream(...)`."""

    async def __aenter__(self) -> Any:
        opened = self._open()
        if opened is None:
            return await self._manager.__aenter__()
        span, accumulator = opened
        try:
            stream = await self._manager.__aenter__()
        except BaseException as exc:
            record_error(span, exc)
            raise
        if accumulator is None:
            span.finish()
            return stream
        return instrument_async_stream(stream, StreamState(span, accumulator, stream))

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> Any:
        return await self._manager.__aexit__(exc_type, exc, tb)


def closing_raw_stream(
    method: Callable[..., Any], create: Callable[..., Any]
) -> Callable[..., Any]:
    """Wrap a `.stream(...)` helper that streams through the traced `create`.

    Such a helper (openai's `responses.stream`) closes the HTTP response on exit, not the
    stream `create` returned: closing that too ends its span at once, as stopped early when
    chunks were left, rather than whenever the collector gets to it.
    """
    kind = _AsyncClosing if inspect.iscoroutinefunction(inspect.unwrap(create)) else _Closing

    @functools.wraps(method)
    def stream(*args: Any, **kwargs: Any) -> Any:
        return kind(method(*args, **kwargs))

    return stream


class _Closing:
    def __init__(self, manager: Any) -> None:
        self._manager = manager
        self._stream: Any = None

    def __enter__(self) -> Any:
        self._stream = self._manager.__enter__()
        return self._stream

    def __exit__(self, *exc: Any) -> Any:
        try:
            return self._manager.__exit__(*exc)
        finally:
            raw = getattr(self._stream, "_raw_stream", None)
            if raw is not None:
                raw.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._manager, name)


class _AsyncClosing(_Closing):
    async def __aenter__(self) -> Any:
        self._stream = await self._manager.__aenter__()
        return self._stream

    async def __aexit__(self, *exc: Any) -> Any:
        try:
            return await self._manager.__aexit__(*exc)
        finally:
            raw = getattr(self._stream, "_raw_stream", None)
            if raw is not None:
                await raw.close()
