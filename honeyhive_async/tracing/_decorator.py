"""`@trace` and `trace_span`: turn calls and blocks into spans.

One wrapper per kind of callable (sync, coroutine, generator, async generator), each kept
short: the traced call pays for an id, two clock reads, a contextvar set/reset and an append.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar, cast, overload

from ..models import SPAN_TYPES, SpanType, check_event_type
from . import _ids
from . import _tracer as _tracers
from ._capture import Binder
from ._context import _current
from ._record import SpanRecord
from ._span import MAX_CHILDREN, Span, _perf, open_child
from ._streams import wrap_async_generator, wrap_generator
from ._tracer import Tracer, detached_session
from ._wrapping import (
    Static,
    apply_static,
    capture_failed,
    child,
    end_quietly,
    fail,
    merged,
    open_span,
    reset_closing,
    root_parent,
    snapshot_args,
    snapshot_kwargs,
)

if TYPE_CHECKING:
    from contextvars import Token

__all__ = ["trace", "trace_span"]

log = logging.getLogger("honeyhive_async.tracing")

P = ParamSpec("P")
R = TypeVar("R")

_get = _current.get
_set = _current.set
_reset = _current.reset


def _wrap(
    func: Callable[..., Any],
    *,
    tracer: Tracer | None,
    event_type: SpanType,
    event_name: str | None,
    static: Static,
    capture_inputs: bool,
    capture_outputs: bool,
    is_method: bool | None,
) -> Callable[..., Any]:
    name = event_name or getattr(func, "__qualname__", None) or repr(func)
    binder = Binder(func, is_method=is_method) if capture_inputs else None
    has_static = static.config is not None or static.metadata is not None

    if inspect.isasyncgenfunction(func) or inspect.isgeneratorfunction(func):
        wrap_stream = wrap_async_generator if inspect.isasyncgenfunction(func) else wrap_generator
        return wrap_stream(
            func,
            tracer=tracer,
            event_type=event_type,
            name=name,
            static=static,
            binder=binder,
            capture_outputs=capture_outputs,
        )

    if inspect.iscoroutinefunction(func):

        @functools.wraps(func)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            parent = _get()
            if parent is None:
                parent = root_parent(tracer, name)
                if parent is None:
                    return await func(*args, **kwargs)
            call_args: tuple[Any, ...] = ()
            call_kwargs: dict[str, Any] | None = None
            try:
                span = open_child(parent, event_type, name)
                if binder is not None:  # the values as they are now: the call may change them
                    call_args = snapshot_args(args)
                    call_kwargs = snapshot_kwargs(kwargs) if kwargs else None
                if has_static:
                    apply_static(span, static)
            except Exception:  # tracing must never break the call it wraps
                log.exception("honeyhive: could not open a span for %s; running it untraced", name)
                return await func(*args, **kwargs)
            token = _set(span)
            try:
                result = await func(*args, **kwargs)
            except BaseException as exc:
                reset_closing(token)
                fail(span, exc)
                end_quietly(span, span.outputs, binder, call_args, call_kwargs)
                raise
            _reset(token)
            # Nothing below may raise: the call succeeded, its result goes back unchanged.
            try:
                outputs = span.outputs  # set by enrich_span during the call, if anything
                if capture_outputs:
                    outputs = result if outputs is None else merged(result, outputs)
                span._end_call(outputs, binder, call_args, call_kwargs)
            except Exception:  # a result or enriched outputs the tracer cannot read
                end_quietly(span, capture_failed(result), binder, call_args, call_kwargs)
            return result

        return async_wrapper

    @functools.wraps(func)
    def sync_wrapper(*args: Any, **kwargs: Any) -> Any:
        # The hottest path of the package: root_parent(), open_child() and snapshot_args() are
        # inlined for their common case (four calls fewer for a root span: ~18 % of its added
        # time in benchmarks.tracing's sync case).
        parent = _get()
        if parent is None:
            root = tracer or _tracers._default_tracer
            parent = None if root is None else root._default_session
            if parent is None:  # no tracer, or its first span: the slow path opens the session
                parent = root_parent(tracer, name)
                if parent is None:
                    return func(*args, **kwargs)
        call_args = args
        call_kwargs: dict[str, Any] | None = None
        try:
            eid = _ids.next_id()
            span = Span(parent.session, parent._id, event_type, name, eid, _perf())
            siblings = parent._children
            if siblings is None:
                parent._children = [eid]
            elif len(siblings) < MAX_CHILDREN:
                siblings.append(eid)
            if binder is None:
                call_args = ()
            else:  # the values as they are now: the call may change them
                for arg in args:
                    cls = type(arg)
                    if cls is list or cls is dict:
                        call_args = snapshot_args(args)
                        break
                if kwargs:
                    call_kwargs = snapshot_kwargs(kwargs)
            if has_static:
                apply_static(span, static)
        except Exception:  # tracing must never break the call it wraps
            log.exception("honeyhive: could not open a span for %s; running it untraced", name)
            return func(*args, **kwargs)
        token = _set(span)
        try:
            # Without keywords, no dict is built to pass them on (~20 ns).
            result = func(*args, **kwargs) if kwargs else func(*args)
        except BaseException as exc:
            _reset(token)
            fail(span, exc)
            end_quietly(span, span.outputs, binder, call_args, call_kwargs)
            raise
        _reset(token)
        # Nothing below may raise: the call succeeded, its result goes back unchanged.
        try:
            outputs = span.outputs  # set by enrich_span during the call, if anything
            if capture_outputs:
                outputs = result if outputs is None else merged(result, outputs)
            if call_kwargs is None and span._extra is None and not span._t1:
                # span._end_call() inlined for most spans, called with positional arguments and
                # nothing enriched: one call fewer (~50 ns; ~4 % of a depth-3 chain's time).
                span._t1 = t1 = _perf()
                session = span.session
                sink = session._sink
                if sink is not None:
                    children = span._children
                    if children is None:  # a leaf: the keyword left out saves ~8 ns
                        record = SpanRecord(
                            session=session._ref,
                            event_type=span.event_type,
                            event_name=span.event_name,  # enrich_span may rename it
                            id=eid,
                            parent=span._parent,
                            perf_start=span._t0,
                            perf_end=t1,
                            outputs=outputs,
                            binder=binder,
                            args=call_args,
                        )
                    else:  # a chain's link: the record owns the ids of what it started
                        record = SpanRecord(
                            session=session._ref,
                            event_type=span.event_type,
                            event_name=span.event_name,
                            id=eid,
                            parent=span._parent,
                            perf_start=span._t0,
                            perf_end=t1,
                            outputs=outputs,
                            binder=binder,
                            args=call_args,
                            children=children.copy(),
                        )
                    sink.enqueue_span(record)
            else:
                span._end_call(outputs, binder, call_args, call_kwargs)
        except Exception:  # a result or enriched outputs the tracer cannot read
            end_quietly(span, capture_failed(result), binder, call_args, call_kwargs)
        return result

    return sync_wrapper


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
    static = Static(config, metadata)

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
        self._static = Static(config, metadata)
        self._tracer = tracer
        self._span: Span | None = None
        self._token: Token[Span | None] | None = None

    def __enter__(self) -> Span:
        span = open_span(self._tracer, self._event_type, self._name, self._static)
        if span is None:
            # No tracer: the block still runs, with a span that goes nowhere.
            span = child(detached_session(), self._event_type, self._name, self._static)
        if self._inputs is not None:
            try:
                span.inputs = dict(self._inputs)
            except Exception:  # the block must run whatever was passed as its inputs
                span.inputs = capture_failed(self._inputs)
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
            fail(span, exc)
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
