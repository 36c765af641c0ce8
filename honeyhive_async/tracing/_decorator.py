"""`@trace` and `trace_span`: turn calls and blocks into spans.

One wrapper per kind of callable (sync, coroutine, generator, async generator), each kept
short: the traced call pays for an id, two clock reads, a contextvar set/reset and an append.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import logging
from collections.abc import AsyncGenerator, Callable, Generator
from types import TracebackType
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar, cast, overload

from ..models import SPAN_TYPES, SpanType, check_event_type
from ._capture import Binder, wrap_output
from ._context import _current
from ._span import Span, _perf, open_child
from ._tracer import Tracer, detached_session, get_default_tracer

if TYPE_CHECKING:
    from contextvars import Token

__all__ = ["trace", "trace_span"]

log = logging.getLogger("honeyhive_async.tracing")

P = ParamSpec("P")
R = TypeVar("R")

MAX_STREAM_CHUNKS = 10_000
"""Chunks of a traced generator kept for its outputs; all of them are counted."""

_warned_no_tracer = False


def _warn_no_tracer(name: str) -> None:
    global _warned_no_tracer
    if not _warned_no_tracer:
        _warned_no_tracer = True
        log.warning("honeyhive: %s ran untraced: no Tracer has been created", name)


_get = _current.get
_set = _current.set
_reset = _current.reset


def _root(tracer: Tracer | None, name: str) -> Span | None:
    """The parent of a call made outside any span: the tracer's default session."""
    try:
        tracer = tracer or get_default_tracer()
        if tracer is None:
            _warn_no_tracer(name)
            return None
        return tracer._root_parent()
    except Exception:
        log.exception("honeyhive: no session for %s; running it untraced", name)
        return None


def _parent(tracer: Tracer | None, name: str) -> Span | None:
    parent = _get()
    return _root(tracer, name) if parent is None else parent


def _apply(span: Span, static: _Static) -> None:
    if static.config is not None:
        span.config = dict(static.config)
    if static.metadata is not None:
        span.metadata = dict(static.metadata)


def _child(parent: Span, event_type: SpanType, name: str, static: _Static) -> Span:
    span = open_child(parent, event_type, name)
    _apply(span, static)
    return span


def _open(tracer: Tracer | None, event_type: SpanType, name: str, static: _Static) -> Span | None:
    """Start a span under the current one, or None when there is no tracer or opening fails."""
    try:
        parent = _parent(tracer, name)
        return None if parent is None else _child(parent, event_type, name, static)
    except Exception:  # tracing must never break the call it wraps
        log.exception("honeyhive: could not open a span for %s; running it untraced", name)
        return None


class _Static:
    """What the decorator knows before any call."""

    __slots__ = ("config", "metadata")

    def __init__(self, config: dict[str, Any] | None, metadata: dict[str, Any] | None) -> None:
        self.config = config
        self.metadata = metadata


def _snapshot(value: Any) -> Any:
    # A caller that mutates a list or dict after the call (`messages.append(reply)`) must not
    # change what was recorded: top-level containers are copied, shallowly, at call time.
    cls = type(value)
    return value.copy() if cls is list or cls is dict else value


def _snapshot_args(args: tuple[Any, ...]) -> tuple[Any, ...]:
    for arg in args:
        cls = type(arg)
        if cls is list or cls is dict:
            return tuple(map(_snapshot, args))
    return args


def _snapshot_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {k: _snapshot(v) for k, v in kwargs.items()}


def _bind(span: Span, binder: Binder, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    span._binder = binder
    span._args = _snapshot_args(args)
    span._kwargs = _snapshot_kwargs(kwargs) if kwargs else None


def _reset_closing(token: Token[Span | None]) -> None:
    # A coroutine abandoned while suspended (its task garbage-collected) is closed outside
    # the context it ran in, where the token cannot be reset: nothing is left to restore.
    with contextlib.suppress(ValueError):
        _reset(token)


def _fail(span: Span, exc: BaseException) -> None:
    # Runs on the caller's error path: whatever goes wrong here, the user's exception wins.
    try:
        span.record_exception(exc)
        if isinstance(exc, (asyncio.CancelledError, GeneratorExit, KeyboardInterrupt)):
            span.update(metadata={"cancelled": True})
    except Exception:
        span.error = type(exc).__name__


def _merged(result: Any, enriched: Any) -> dict[str, Any]:
    # Outputs set with enrich_span inside the call win over the return value's keys.
    return {**wrap_output(result), **wrap_output(enriched)}


def _capture_failed(value: Any) -> dict[str, Any]:
    # What a span records when the tracer could not read a returned value (a mapping whose
    # keys() raises, an object lying about its class): the call's result is returned unchanged.
    return {"result": f"[capture failed: {type(value).__name__}]"}


def _end_quietly(
    span: Span,
    outputs: Any,
    binder: Binder | None,
    args: tuple[Any, ...],
    kwargs: dict[str, Any] | None,
) -> None:
    # On the caller's way out: whatever goes wrong here, the user's result or exception wins.
    try:
        span._end_call(outputs, binder, args, kwargs)
    except Exception:
        log.exception("honeyhive: could not end the span of %s", span.event_name)


def _close_stream(
    span: Span,
    chunks: list[Any] | None,
    count: int,
    first: float,
    stopped_early: bool,
) -> None:
    """End a generator's span from its `finally`: never raises, the generator's outcome wins."""
    try:
        _end_stream(span, chunks, count, first, stopped_early)
    except Exception:  # enriched outputs that cannot be merged (a broken mapping)
        span.outputs = _capture_failed(span.outputs)
    try:
        span.finish()
    except Exception:
        log.exception("honeyhive: could not end the span of %s", span.event_name)


def _stream_outputs(chunks: list[Any]) -> Any:
    if chunks and all(type(chunk) is str for chunk in chunks):
        return {"result": "".join(chunks)}
    return {"result": chunks}


def _end_stream(
    span: Span,
    chunks: list[Any] | None,
    count: int,
    first: float,
    stopped_early: bool,
) -> None:
    if chunks is not None:
        outputs = _stream_outputs(chunks)
        if span.outputs is not None:
            outputs.update(wrap_output(span.outputs))
        span.outputs = outputs
    metrics: dict[str, Any] = {"chunk_count": count}
    if first:
        metrics["time_to_first_chunk_ms"] = (first - span._t0) * 1e3
    span.update(metrics=metrics)
    if stopped_early:
        span.update(metadata={"stopped_early": True})
    if chunks is not None and count > len(chunks):
        span.update(metadata={"chunks_truncated": count - len(chunks)})


def _wrap(
    func: Callable[..., Any],
    *,
    tracer: Tracer | None,
    event_type: SpanType,
    event_name: str | None,
    static: _Static,
    capture_inputs: bool,
    capture_outputs: bool,
    is_method: bool | None,
) -> Callable[..., Any]:
    name = event_name or getattr(func, "__qualname__", None) or repr(func)
    binder = Binder(func, is_method=is_method) if capture_inputs else None
    has_static = static.config is not None or static.metadata is not None

    if inspect.isasyncgenfunction(func):
        # The wrappers of generator functions are generator functions themselves (so that
        # inspect, FastAPI and pytest still see one); their span opens at the first iteration.

        @functools.wraps(func)
        async def agen_wrapper(*args: Any, **kwargs: Any) -> AsyncGenerator[Any, Any]:
            span = _open(tracer, event_type, name, static)
            if span is not None and binder is not None:
                _bind(span, binder, args, kwargs)
            agen = func(*args, **kwargs)
            chunks: list[Any] | None = [] if capture_outputs and span is not None else None
            count = 0
            first = 0.0
            stopped_early = False
            to_send: Any = None
            to_throw: BaseException | None = None
            try:
                while True:
                    token = _set(span)
                    try:
                        if to_throw is None:
                            item = await agen.asend(to_send)
                        else:
                            exc, to_throw = to_throw, None
                            item = await agen.athrow(exc)
                    except StopAsyncIteration:
                        return
                    finally:
                        _reset(token)
                    count += 1
                    if count == 1:
                        first = _perf()
                    if chunks is not None and count <= MAX_STREAM_CHUNKS:
                        # Streamed tokens are mostly str, which need no snapshot: skip the call.
                        chunks.append(item if type(item) is str else _snapshot(item))
                    try:
                        to_send = yield item
                    except GeneratorExit:
                        stopped_early = True
                        token = _set(span)
                        try:
                            await agen.aclose()
                        finally:
                            _reset(token)
                        raise
                    except BaseException as exc:
                        to_throw = exc
            except GeneratorExit:
                raise
            except BaseException as exc:
                if span is not None:
                    _fail(span, exc)
                raise
            finally:
                if span is not None:
                    _close_stream(span, chunks, count, first, stopped_early)

        return agen_wrapper

    if inspect.isgeneratorfunction(func):

        @functools.wraps(func)
        def gen_wrapper(*args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:
            span = _open(tracer, event_type, name, static)
            gen = func(*args, **kwargs)
            if span is None:
                return (yield from gen)
            if binder is not None:
                _bind(span, binder, args, kwargs)
            return (yield from _traced_gen(gen, span, capture_outputs))

        return gen_wrapper

    if inspect.iscoroutinefunction(func):

        @functools.wraps(func)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            parent = _get()
            if parent is None:
                parent = _root(tracer, name)
                if parent is None:
                    return await func(*args, **kwargs)
            call_args: tuple[Any, ...] = ()
            call_kwargs: dict[str, Any] | None = None
            try:
                span = open_child(parent, event_type, name)
                if binder is not None:  # the values as they are now: the call may change them
                    call_args = _snapshot_args(args)
                    call_kwargs = _snapshot_kwargs(kwargs) if kwargs else None
                if has_static:
                    _apply(span, static)
            except Exception:  # tracing must never break the call it wraps
                log.exception("honeyhive: could not open a span for %s; running it untraced", name)
                return await func(*args, **kwargs)
            token = _set(span)
            try:
                result = await func(*args, **kwargs)
            except BaseException as exc:
                _reset_closing(token)
                _fail(span, exc)
                _end_quietly(span, span.outputs, binder, call_args, call_kwargs)
                raise
            _reset(token)
            # Nothing below may raise: the call succeeded, its result goes back unchanged.
            try:
                outputs = span.outputs  # set by enrich_span during the call, if anything
                if capture_outputs:
                    outputs = result if outputs is None else _merged(result, outputs)
                span._end_call(outputs, binder, call_args, call_kwargs)
            except Exception:  # a result or enriched outputs the tracer cannot read
                _end_quietly(span, _capture_failed(result), binder, call_args, call_kwargs)
            return result

        return async_wrapper

    @functools.wraps(func)
    def sync_wrapper(*args: Any, **kwargs: Any) -> Any:
        # _open() inlined: this is the hottest path of the package.
        parent = _get()
        if parent is None:
            parent = _root(tracer, name)
            if parent is None:
                return func(*args, **kwargs)
        call_args: tuple[Any, ...] = ()
        call_kwargs: dict[str, Any] | None = None
        try:
            span = open_child(parent, event_type, name)
            if binder is not None:  # the values as they are now: the call may change them
                call_args = _snapshot_args(args)
                call_kwargs = _snapshot_kwargs(kwargs) if kwargs else None
            if has_static:
                _apply(span, static)
        except Exception:  # tracing must never break the call it wraps
            log.exception("honeyhive: could not open a span for %s; running it untraced", name)
            return func(*args, **kwargs)
        token = _set(span)
        try:
            result = func(*args, **kwargs)
        except BaseException as exc:
            _reset(token)
            _fail(span, exc)
            _end_quietly(span, span.outputs, binder, call_args, call_kwargs)
            raise
        _reset(token)
        # Nothing below may raise: the call succeeded, its result goes back unchanged.
        try:
            outputs = span.outputs  # set by enrich_span during the call, if anything
            if capture_outputs:
                outputs = result if outputs is None else _merged(result, outputs)
            span._end_call(outputs, binder, call_args, call_kwargs)
        except Exception:  # a result or enriched outputs the tracer cannot read
            _end_quietly(span, _capture_failed(result), binder, call_args, call_kwargs)
        return result

    return sync_wrapper


def _traced_gen(
    gen: Generator[Any, Any, Any], span: Span, capture: bool
) -> Generator[Any, Any, Any]:
    chunks: list[Any] | None = [] if capture else None
    count = 0
    first = 0.0
    stopped_early = False
    to_send: Any = None
    to_throw: BaseException | None = None
    try:
        while True:
            token = _set(span)
            try:
                if to_throw is None:
                    item = gen.send(to_send)
                else:
                    exc, to_throw = to_throw, None
                    item = gen.throw(exc)
            except StopIteration as stop:
                if capture and stop.value is not None and span.outputs is None:
                    span.outputs = {"return": stop.value}
                return stop.value
            finally:
                _reset(token)
            count += 1
            if count == 1:
                first = _perf()
            if chunks is not None and count <= MAX_STREAM_CHUNKS:
                chunks.append(item if type(item) is str else _snapshot(item))
            try:
                to_send = yield item
            except GeneratorExit:
                stopped_early = True
                token = _set(span)
                try:
                    gen.close()
                finally:
                    _reset(token)
                raise
            except BaseException as exc:
                to_throw = exc
    except GeneratorExit:
        raise
    except BaseException as exc:
        _fail(span, exc)
        raise
    finally:
        _close_stream(span, chunks, count, first, stopped_early)


@overload
def trace(func: Callable[P, R], /) -> Callable[P, R]: ...


@overload
def trace(
    *,
    event_type: SpanType = "tool",
    event_name: str | None = None,
    config: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
    capture_inputs: bool = True,
    capture_outputs: bool = True,
    tracer: Tracer | None = None,
) -> Callable[[Callable[P, R]], Callable[P, R]]: ...


def trace(
    func: Callable[P, R] | None = None,
    /,
    *,
    event_type: SpanType = "tool",
    event_name: str | None = None,
    config: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
    capture_inputs: bool = True,
    capture_outputs: bool = True,
    tracer: Tracer | None = None,
) -> Callable[P, R] | Callable[[Callable[P, R]], Callable[P, R]]:
    """Trace every call of a function as a HoneyHive event; bare or with options.

    Works on functions, coroutine functions, generators, async generators, methods,
    classmethods and staticmethods, and keeps their signature for type checkers. The call runs
    exactly once; an exception is recorded (``"TypeName: message"`` plus the traceback in
    metadata) and re-raised unchanged. A generator's span stays open until it is exhausted,
    closed or fails; its outputs are the chunks it yielded.

    Args:
        func: The function, when used bare (``@trace``).
        event_type: ``"model"``, ``"tool"`` (default) or ``"chain"``.
        event_name: Defaults to the function's qualified name.
        config: Static `config` of every event (model, temperature, template, ...).
        metadata: Static `metadata` of every event.
        capture_inputs: Record the arguments by parameter name (self/cls dropped, defaults
            applied).
        capture_outputs: Record the return value (wrapped as ``{"result": ...}`` unless it is
            a dict) or the yielded chunks.
        tracer: The tracer to use for root calls; by default the last `Tracer` created, or
            the one whose session the call runs in.
    """
    check_event_type(event_type, SPAN_TYPES)
    static = _Static(config, metadata)

    def decorate(target: Callable[P, R]) -> Callable[P, R]:
        options: dict[str, Any] = {
            "tracer": tracer,
            "event_type": event_type,
            "event_name": event_name,
            "static": static,
            "capture_inputs": capture_inputs,
            "capture_outputs": capture_outputs,
        }
        if isinstance(target, classmethod):
            inner = _wrap(target.__func__, is_method=True, **options)
            return cast(Callable[P, R], classmethod(inner))
        if isinstance(target, staticmethod):
            inner = _wrap(target.__func__, is_method=False, **options)
            return cast(Callable[P, R], staticmethod(inner))
        if not callable(target):
            raise TypeError(f"@trace needs a callable, got {type(target).__name__}")
        return cast(Callable[P, R], _wrap(target, is_method=None, **options))

    if func is not None:
        return decorate(func)
    return decorate


class trace_span:
    """Trace a block that is not a function: ``with`` or ``async with``.

    Usage::

        with trace_span("retrieve", event_type="tool", inputs={"query": q}) as span:
            docs = index.search(q)
            span.update(outputs={"docs": docs})
    """

    def __init__(
        self,
        name: str,
        *,
        event_type: SpanType = "chain",
        inputs: dict[str, Any] | None = None,
        config: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
        tracer: Tracer | None = None,
    ) -> None:
        check_event_type(event_type, SPAN_TYPES)
        self._name = name
        self._event_type: SpanType = event_type
        self._inputs = inputs
        self._static = _Static(config, metadata)
        self._tracer = tracer
        self._span: Span | None = None
        self._token: Token[Span | None] | None = None

    def __enter__(self) -> Span:
        span = _open(self._tracer, self._event_type, self._name, self._static)
        if span is None:
            # No tracer: the block still runs, with a span that goes nowhere.
            span = _child(detached_session(), self._event_type, self._name, self._static)
        if self._inputs is not None:
            try:
                span.inputs = dict(self._inputs)
            except Exception:  # the block must run whatever was passed as its inputs
                span.inputs = _capture_failed(self._inputs)
        self._span = span
        self._token = _current.set(span)
        return span

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        span, token = self._span, self._token
        if span is None or token is None:
            raise RuntimeError("trace_span was not entered")
        _current.reset(token)
        if exc is not None:
            _fail(span, exc)
        try:
            span.finish()
        except Exception:  # the block's own outcome wins
            log.exception("honeyhive: could not end the span of %s", self._name)

    async def __aenter__(self) -> Span:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc, tb)
