"""A provider's stream observed in passing: each chunk seen on its way to the caller, unbuffered.

The SDKs' streams (openai's `Stream`, anthropic's `Stream` and `MessageStream`) read every
chunk through `_iterator`: the stream object the provider returned stays the caller's, its
iterator swapped for one that hands each chunk to the adapter's `Accumulator`, and the span
ends once, when the stream ends, fails or is closed early.
"""

from __future__ import annotations

import inspect
import logging
import weakref
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator, Iterator
from typing import Any

from ..tracing import _span as _clock
from ..tracing._span import Span
from ._adapter import Accumulator, record_error

__all__ = ["StreamState", "instrument_async_stream", "instrument_stream"]

log = logging.getLogger("honeyhive_async.integrations")


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
    # The per-chunk path of every traced stream: no call beyond the accumulator's own `add`.
    add = state.accumulator.add
    try:
        for chunk in inner:
            if not state.chunks:
                state.first = _clock._perf()
            state.chunks += 1
            try:
                keep = add(chunk)
            except Exception:
                log.exception("honeyhive: could not read a chunk of %s", state.span.event_name)
                keep = True
            if keep:
                yield chunk
    except GeneratorExit:
        state.end(stopped_early=True)
        raise
    except BaseException as exc:
        state.end(error=exc)
        raise
    state.end()


async def _achunks(inner: AsyncIterator[Any], state: StreamState) -> AsyncGenerator[Any, None]:
    add = state.accumulator.add
    try:
        async for chunk in inner:
            if not state.chunks:
                state.first = _clock._perf()
            state.chunks += 1
            try:
                keep = add(chunk)
            except Exception:
                log.exception("honeyhive: could not read a chunk of %s", state.span.event_name)
                keep = True
            if keep:
                yield chunk
    except GeneratorExit:
        state.end(stopped_early=True)
        raise
    except BaseException as exc:
        state.end(error=exc)
        raise
    state.end()


def _held_back(
    events: Iterator[Any], hold_back: Callable[[Any], bool], state: StreamState
) -> Generator[Any, None, None]:
    for event in events:
        if hold_back(event):
            state.chunks += 1
        else:
            yield event


async def _aheld_back(
    events: AsyncIterator[Any], hold_back: Callable[[Any], bool], state: StreamState
) -> AsyncGenerator[Any, None]:
    # One more async-generator step an event (~1 us) against building the usage chunk.
    async for event in events:
        if hold_back(event):
            state.chunks += 1
        else:
            yield event


def _hold_back_events(stream: Any, state: StreamState) -> None:
    """Keep the raw events the accumulator holds back from the SDK's stream of `stream`.

    The SDK builds an object from every event it decodes, which costs far more than the event
    itself (~0.1 ms for an openai chunk): an event the caller never gets (the usage asked for
    by us) is better read raw and never built. The SDKs' streams call `_iter_events()` once,
    when their iterator starts: shadowing it on the stream object is enough. A stream
    without one goes as it is, its held-back chunks dropped in `add`.
    """
    hold_back = state.accumulator.hold_back
    events = getattr(stream, "_iter_events", None)
    if hold_back is None or events is None:
        return
    if inspect.isgeneratorfunction(events):
        wrap: Callable[[Any, Callable[[Any], bool], StreamState], Any] = _held_back
    elif inspect.isasyncgenfunction(events):
        wrap = _aheld_back
    else:
        return

    def held_back_events() -> Any:
        # The shadow goes once used: left on the stream, it (holding the stream's own bound
        # method) would tie the stream to itself, garbage only the cyclic collector frees.
        vars(stream).pop("_iter_events", None)
        return wrap(events(), hold_back, state)

    stream._iter_events = held_back_events


def _original_close(stream: Any) -> Callable[[], Any]:
    """Return a callable that returns `stream.close` as it is now, without holding the stream.

    The traced `close` lives on the stream: holding the stream's bound `close` would make a
    cycle (stream -> its `close` -> the stream), so every traced stream, read to the end or
    not, would outlive its last reference until the cyclic collector ran (~0.1-0.2 ms of
    collections a streamed call, measured, and a longer life for the response it holds).
    """
    close = stream.close
    if getattr(close, "__self__", None) is stream:
        return weakref.WeakMethod(close)
    return lambda: close  # not the stream's own method: it may be all that holds its owner


def instrument_stream(stream: Any, state: StreamState) -> Any:
    """Make a provider's sync stream report to `state`; return the same stream object.

    The SDKs' streams (openai's `Stream`, anthropic's `Stream` and `MessageStream`) read every
    chunk through `_iterator`, so swapping it sees each chunk as it arrives, unbuffered.
    `close()` (also what `with` calls) ends the span as stopped early when chunks were left.
    """
    _hold_back_events(stream, state)
    chunks: Generator[Any, None, None] = _chunks(stream._iterator, state)
    stream._iterator = chunks
    close = _original_close(stream)

    def close_traced() -> None:
        chunks.close()
        state.end(stopped_early=True)
        original = close()
        if original is not None:  # the caller holds the stream: it is alive
            original()

    stream.close = close_traced
    return stream


def instrument_async_stream(stream: Any, state: StreamState) -> Any:
    """`instrument_stream` for the SDKs' async streams."""
    _hold_back_events(stream, state)
    chunks: AsyncGenerator[Any, None] = _achunks(stream._iterator, state)
    stream._iterator = chunks
    close = _original_close(stream)

    async def close_traced() -> None:
        await chunks.aclose()
        state.end(stopped_early=True)
        original = close()
        if original is not None:
            await original()

    stream.close = close_traced
    return stream
