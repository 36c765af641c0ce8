"""Traced generators and async generators: one span a stream, open until the stream ends.

The wrappers of generator functions are generator functions themselves (so that inspect,
FastAPI and pytest still see one); their span opens at the first iteration.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncGenerator, Callable, Generator
from typing import Any

from ..models import SpanType
from ._capture import Binder, wrap_output
from ._context import _current
from ._span import Span, _perf
from ._tracer import Tracer
from ._wrapping import Static, bind, capture_failed, fail, open_span, snapshot

__all__ = ["MAX_STREAM_CHUNKS", "wrap_async_generator", "wrap_generator"]

log = logging.getLogger("honeyhive_async.tracing")

MAX_STREAM_CHUNKS = 10_000
"""Chunks of a traced generator kept for its outputs; all of them are counted."""

_set = _current.set
_reset = _current.reset


def wrap_async_generator(
    func: Callable[..., Any],
    *,
    tracer: Tracer | None,
    event_type: SpanType,
    name: str,
    static: Static,
    binder: Binder | None,
    capture_outputs: bool,
) -> Callable[..., AsyncGenerator[Any, Any]]:
    """Wrap an async generator function: its span covers every iteration."""

    @functools.wraps(func)
    async def agen_wrapper(*args: Any, **kwargs: Any) -> AsyncGenerator[Any, Any]:
        span = open_span(tracer, event_type, name, static)
        if span is not None and binder is not None:
            bind(span, binder, args, kwargs)
        agen = func(*args, **kwargs)
        # Per chunk: a contextvar set/reset around the step, a count, and the append. The first
        # step is taken apart (it times the first chunk) and a value thrown in picks the next
        # step where it is caught, so the loop tests neither (~5 % of the added time a chunk).
        chunks: list[Any] = []
        keep = MAX_STREAM_CHUNKS if capture_outputs and span is not None else 0
        asend = agen.asend
        count = 0
        first = 0.0
        stopped_early = False
        mixed = False  # a chunk that is not a str was kept: the outputs are a list
        try:
            token = _set(span)
            try:
                item = await agen.__anext__()
            except StopAsyncIteration:
                return
            finally:
                _reset(token)
            first = _perf()
            while True:
                count += 1
                if count <= keep:
                    # Streamed tokens are mostly str, which need no snapshot: skip the call.
                    if type(item) is str:
                        chunks.append(item)
                    else:
                        chunks.append(snapshot(item))
                        mixed = True
                try:
                    step = asend((yield item))
                except GeneratorExit:
                    stopped_early = True
                    token = _set(span)
                    try:
                        await agen.aclose()
                    finally:
                        _reset(token)
                    raise
                except BaseException as exc:
                    step = agen.athrow(exc)
                token = _set(span)
                try:
                    item = await step
                except StopAsyncIteration:
                    return
                finally:
                    _reset(token)
        except GeneratorExit:
            raise
        except BaseException as exc:
            if span is not None:
                fail(span, exc)
            raise
        finally:
            if span is not None:
                _close_stream(span, chunks if keep else None, mixed, count, first, stopped_early)

    return agen_wrapper


def wrap_generator(
    func: Callable[..., Any],
    *,
    tracer: Tracer | None,
    event_type: SpanType,
    name: str,
    static: Static,
    binder: Binder | None,
    capture_outputs: bool,
) -> Callable[..., Generator[Any, Any, Any]]:
    """Wrap a generator function: its span covers every iteration."""

    @functools.wraps(func)
    def gen_wrapper(*args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:
        span = open_span(tracer, event_type, name, static)
        gen = func(*args, **kwargs)
        if span is None:
            return (yield from gen)
        if binder is not None:
            bind(span, binder, args, kwargs)
        # The loop of `agen_wrapper`, for a generator (see there why it is shaped so), here
        # rather than in a generator of its own that this one would `yield from`: a generator
        # resumed per chunk fewer.
        chunks: list[Any] = []
        keep = MAX_STREAM_CHUNKS if capture_outputs else 0
        send = gen.send
        count = 0
        first = 0.0
        stopped_early = False
        mixed = False  # a chunk that is not a str was kept: the outputs are a list
        try:
            token = _set(span)
            try:
                item = next(gen)
            except StopIteration as stop:
                return _returned(span, capture_outputs, stop.value)
            finally:
                _reset(token)
            first = _perf()
            while True:
                count += 1
                if count <= keep:
                    if type(item) is str:
                        chunks.append(item)
                    else:
                        chunks.append(snapshot(item))
                        mixed = True
                try:
                    sent = yield item
                except GeneratorExit:
                    stopped_early = True
                    token = _set(span)
                    try:
                        gen.close()
                    finally:
                        _reset(token)
                    raise
                except BaseException as exc:
                    token = _set(span)
                    try:
                        item = gen.throw(exc)
                    except StopIteration as stop:
                        return _returned(span, capture_outputs, stop.value)
                    finally:
                        _reset(token)
                    continue
                token = _set(span)
                try:
                    item = send(sent)
                except StopIteration as stop:
                    return _returned(span, capture_outputs, stop.value)
                finally:
                    _reset(token)
        except GeneratorExit:
            raise
        except BaseException as exc:
            fail(span, exc)
            raise
        finally:
            _close_stream(span, chunks if keep else None, mixed, count, first, stopped_early)

    return gen_wrapper


def _returned(span: Span, capture: bool, value: Any) -> Any:
    # A generator's return value (`return x`, seen by `yield from`) goes to its outputs.
    if capture and value is not None and span.outputs is None:
        span.outputs = {"return": value}
    return value


def _close_stream(
    span: Span,
    chunks: list[Any] | None,
    mixed: bool,
    count: int,
    first: float,
    stopped_early: bool,
) -> None:
    """End a generator's span from its `finally`: never raises, the generator's outcome wins."""
    try:
        _end_stream(span, chunks, mixed, count, first, stopped_early)
    except Exception:  # enriched outputs that cannot be merged (a broken mapping)
        span.outputs = capture_failed(span.outputs)
    try:
        span.finish()
    except Exception:
        log.exception("honeyhive: could not end the span of %s", span.event_name)


def _end_stream(
    span: Span,
    chunks: list[Any] | None,
    mixed: bool,
    count: int,
    first: float,
    stopped_early: bool,
) -> None:
    if chunks is not None:
        # Only str chunks (tracked as they came: a scan here cost ~0.05 us a chunk) are joined.
        outputs = {"result": chunks if mixed or not chunks else "".join(chunks)}
        if span.outputs is not None:
            outputs.update(wrap_output(span.outputs))
        span.outputs = outputs
    metrics: dict[str, Any] = {"chunk_count": count}
    if first:
        metrics["time_to_first_chunk_ms"] = (first - span._t0) * 1e3
    if span._extra is None and not stopped_early and (chunks is None or count <= len(chunks)):
        # Most streams: nothing enriched and nothing else to note, so `update()`'s merge has
        # nothing to merge with: skip its call and its copy.
        span.metrics = metrics
        return
    span.update(metrics=metrics)
    if stopped_early:
        span.update(metadata={"stopped_early": True})
    if chunks is not None and count > len(chunks):
        span.update(metadata={"chunks_truncated": count - len(chunks)})
