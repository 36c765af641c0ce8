"""`@trace` and `trace_span`: turn calls and blocks into spans.

One wrapper per kind of callable: functions and coroutine functions (`_calls.py`), generators
and async generators (`_streams.py`). The traced call pays for an id, two clock reads, a
contextvar set/reset and an append.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar, cast, overload

from ..models import SPAN_TYPES, SpanType, check_event_type
from ._calls import wrap_coroutine, wrap_function
from ._capture import Binder
from ._context import _current
from ._span import Span
from ._streams import wrap_async_generator, wrap_generator
from ._tracer import Tracer, detached_session
from ._wrapping import Static, capture_failed, child, fail, open_span

if TYPE_CHECKING:
    from contextvars import Token

__all__ = ["trace", "trace_span"]

log = logging.getLogger("honeyhive_async.tracing")

P = ParamSpec("P")
R = TypeVar("R")


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

    wrap: Callable[..., Callable[..., Any]]
    if inspect.isasyncgenfunction(func):
        wrap = wrap_async_generator
    elif inspect.isgeneratorfunction(func):
        wrap = wrap_generator
    elif inspect.iscoroutinefunction(func):
        wrap = wrap_coroutine
    else:
        wrap = wrap_function
    return wrap(
        func,
        tracer=tracer,
        event_type=event_type,
        name=name,
        static=static,
        binder=binder,
        capture_outputs=capture_outputs,
    )


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
