"""Traced functions and coroutine functions: one span a call, the package's hottest path.

Both wrappers inline the common case of `root_parent`, `open_child`, the argument snapshot and
`Span._end_call` (each of those says so where it lives): a call fewer each, on every traced
call. The two wrappers are copies of each other but for `await`: a change to one is made to
the other, and to the function it inlines.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from ..models import SpanType
from . import _ids
from . import _tracer as _tracers
from ._capture import Binder
from ._context import _current
from ._record import SpanRecord
from ._span import MAX_CHILDREN, Span, _perf
from ._tracer import Tracer
from ._wrapping import (
    Static,
    apply_static,
    capture_failed,
    end_quietly,
    fail,
    merged,
    reset_closing,
    root_parent,
    snapshot_args,
    snapshot_kwargs,
)

__all__ = ["wrap_coroutine", "wrap_function"]

log = logging.getLogger("honeyhive_async.tracing")

_get = _current.get
_set = _current.set
_reset = _current.reset


def wrap_function(
    func: Callable[..., Any],
    *,
    tracer: Tracer | None,
    event_type: SpanType,
    name: str,
    static: Static,
    binder: Binder | None,
    capture_outputs: bool,
) -> Callable[..., Any]:
    """Wrap a plain function: a span a call."""
    has_static = static.config is not None or static.metadata is not None

    @functools.wraps(func)
    def sync_wrapper(*args: Any, **kwargs: Any) -> Any:
        # root_parent(), open_child() and snapshot_args() inlined for their common case (four
        # calls fewer for a root span: ~18 % of its added time in benchmarks.tracing's sync case).
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
            # Kept in locals for the record at the end: a local read is cheaper than the span's.
            session = parent.session
            parent_id = parent._id
            eid = _ids.next_id()
            span = Span(session, parent_id, event_type, name, eid, t0 := _perf())
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
                sink = session._sink
                if sink is not None:
                    # Positional (`SpanRecord`'s field order): ~20 % cheaper than keywords.
                    children = span._children
                    sink.enqueue_span(
                        SpanRecord(
                            session._ref,
                            span.event_type,
                            span.event_name,  # enrich_span may rename it
                            eid,
                            parent_id,
                            t0,
                            t1,
                            outputs,
                            binder,
                            call_args,
                        )
                        if children is None
                        # a chain's link: the record owns the ids of what it started
                        else SpanRecord(
                            session._ref,
                            span.event_type,
                            span.event_name,
                            eid,
                            parent_id,
                            t0,
                            t1,
                            outputs,
                            binder,
                            call_args,
                            None,
                            children.copy(),
                        )
                    )
            else:
                span._end_call(outputs, binder, call_args, call_kwargs)
        except Exception:  # a result or enriched outputs the tracer cannot read
            end_quietly(span, capture_failed(result), binder, call_args, call_kwargs)
        return result

    return sync_wrapper


def wrap_coroutine(
    func: Callable[..., Any],
    *,
    tracer: Tracer | None,
    event_type: SpanType,
    name: str,
    static: Static,
    binder: Binder | None,
    capture_outputs: bool,
) -> Callable[..., Any]:
    """Wrap a coroutine function: a span a call, from its first step to its end."""
    has_static = static.config is not None or static.metadata is not None

    @functools.wraps(func)
    async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
        # `sync_wrapper`'s lines, with `await`. Inlined, they cost 7-14 % less caller CPU per
        # span than the calls they replace (async and async depth-3 cases, A/B in one process,
        # `benchmarks.tracing --clock thread` measures the same).
        parent = _get()
        if parent is None:
            root = tracer or _tracers._default_tracer
            parent = None if root is None else root._default_session
            if parent is None:
                parent = root_parent(tracer, name)
                if parent is None:
                    return await func(*args, **kwargs)
        call_args = args
        call_kwargs: dict[str, Any] | None = None
        try:
            # Kept in locals for the record at the end: a local read is cheaper than the span's.
            session = parent.session
            parent_id = parent._id
            eid = _ids.next_id()
            span = Span(session, parent_id, event_type, name, eid, t0 := _perf())
            siblings = parent._children
            if siblings is None:
                parent._children = [eid]
            elif len(siblings) < MAX_CHILDREN:
                siblings.append(eid)
            if binder is None:
                call_args = ()
            else:
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
            return await func(*args, **kwargs)
        token = _set(span)
        try:
            result = await (func(*args, **kwargs) if kwargs else func(*args))
        except BaseException as exc:
            reset_closing(token)
            fail(span, exc)
            end_quietly(span, span.outputs, binder, call_args, call_kwargs)
            raise
        _reset(token)
        # Nothing below may raise: the call succeeded, its result goes back unchanged.
        try:
            outputs = span.outputs
            if capture_outputs:
                outputs = result if outputs is None else merged(result, outputs)
            if call_kwargs is None and span._extra is None and not span._t1:
                span._t1 = t1 = _perf()
                sink = session._sink
                if sink is not None:
                    # Positional (`SpanRecord`'s field order): ~20 % cheaper than keywords.
                    children = span._children
                    sink.enqueue_span(
                        SpanRecord(
                            session._ref,
                            span.event_type,
                            span.event_name,  # enrich_span may rename it
                            eid,
                            parent_id,
                            t0,
                            t1,
                            outputs,
                            binder,
                            call_args,
                        )
                        if children is None
                        # a chain's link: the record owns the ids of what it started
                        else SpanRecord(
                            session._ref,
                            span.event_type,
                            span.event_name,
                            eid,
                            parent_id,
                            t0,
                            t1,
                            outputs,
                            binder,
                            call_args,
                            None,
                            children.copy(),
                        )
                    )
            else:
                span._end_call(outputs, binder, call_args, call_kwargs)
        except Exception:  # a result or enriched outputs the tracer cannot read
            end_quietly(span, capture_failed(result), binder, call_args, call_kwargs)
        return result

    return async_wrapper
