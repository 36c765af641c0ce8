"""What every traced call shares, sync or async, function or stream.

Finding the parent, opening the span, snapshotting the arguments, recording a failure, and
ending the span without ever raising into the caller.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any

from ..models import SpanType
from . import _tracer as _tracers
from ._capture import Binder, wrap_output
from ._context import _current
from ._span import Span, open_child
from ._tracer import Tracer

if TYPE_CHECKING:
    from contextvars import Token

__all__ = [
    "Static",
    "apply_static",
    "bind",
    "capture_failed",
    "child",
    "end_quietly",
    "fail",
    "merged",
    "open_span",
    "parent_of_call",
    "reset_closing",
    "root_parent",
    "snapshot",
    "snapshot_args",
    "snapshot_kwargs",
]

log = logging.getLogger("honeyhive_async.tracing")

_get = _current.get
_reset = _current.reset

_warned_no_tracer = False


def _warn_no_tracer(name: str) -> None:
    global _warned_no_tracer
    if not _warned_no_tracer:
        _warned_no_tracer = True
        log.warning("honeyhive: %s ran untraced: no Tracer has been created", name)


def root_parent(tracer: Tracer | None, name: str) -> Span | None:
    """The parent of a call made outside any span: the tracer's default session."""
    try:
        # Its common case first, read in place (two calls fewer on every root span's path);
        # @trace's sync and async wrappers have their own copies of these lines (`_calls.py`).
        root = tracer or _tracers._default_tracer
        session = None if root is None else root._default_session
        if session is not None:
            return session
        if root is None:
            _warn_no_tracer(name)
            return None
        return root._root_parent()  # opens the default session
    except Exception:
        log.exception("honeyhive: no session for %s; running it untraced", name)
        return None


def parent_of_call(tracer: Tracer | None, name: str) -> Span | None:
    parent = _get()
    return root_parent(tracer, name) if parent is None else parent


def apply_static(span: Span, static: Static) -> None:
    if static.config is not None:
        span.config = dict(static.config)
    if static.metadata is not None:
        span.metadata = dict(static.metadata)


def child(parent: Span, event_type: SpanType, name: str, static: Static) -> Span:
    span = open_child(parent, event_type, name)
    apply_static(span, static)
    return span


def open_span(
    tracer: Tracer | None, event_type: SpanType, name: str, static: Static
) -> Span | None:
    """Start a span under the current one, or None when there is no tracer or opening fails."""
    try:
        parent = _get()
        if parent is None:
            parent = root_parent(tracer, name)
            if parent is None:
                return None
        span = open_child(parent, event_type, name)
        if static.config is not None or static.metadata is not None:
            apply_static(span, static)
        return span
    except Exception:  # tracing must never break the call it wraps
        log.exception("honeyhive: could not open a span for %s; running it untraced", name)
        return None


class Static:
    """What the decorator knows before any call."""

    __slots__ = ("config", "metadata")

    def __init__(self, config: dict[str, Any] | None, metadata: dict[str, Any] | None) -> None:
        self.config = config
        self.metadata = metadata


def snapshot(value: Any) -> Any:
    # A caller that mutates a list or dict after the call (`messages.append(reply)`) must not
    # change what was recorded: top-level containers are copied, shallowly, at call time.
    cls = type(value)
    return value.copy() if cls is list or cls is dict else value


def snapshot_args(args: tuple[Any, ...]) -> tuple[Any, ...]:
    for arg in args:
        cls = type(arg)
        if cls is list or cls is dict:
            return tuple(map(snapshot, args))
    return args


def snapshot_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {k: snapshot(v) for k, v in kwargs.items()}


def bind(span: Span, binder: Binder, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    span._binder = binder
    span._args = snapshot_args(args)
    span._kwargs = snapshot_kwargs(kwargs) if kwargs else None


def reset_closing(token: Token[Span | None]) -> None:
    # A coroutine abandoned while suspended (its task garbage-collected) is closed outside
    # the context it ran in, where the token cannot be reset: nothing is left to restore.
    with contextlib.suppress(ValueError):
        _reset(token)


def fail(span: Span, exc: BaseException) -> None:
    # Runs on the caller's error path: whatever goes wrong here, the user's exception wins.
    try:
        span.record_exception(exc)
        if isinstance(exc, (asyncio.CancelledError, GeneratorExit, KeyboardInterrupt)):
            span.update(metadata={"cancelled": True})
    except Exception:
        span.error = type(exc).__name__


def merged(result: Any, enriched: Any) -> dict[str, Any]:
    # Outputs set with enrich_span inside the call win over the return value's keys.
    return {**wrap_output(result), **wrap_output(enriched)}


def capture_failed(value: Any) -> dict[str, Any]:
    # What a span records when the tracer could not read a returned value (a mapping whose
    # keys() raises, an object lying about its class): the call's result is returned unchanged.
    return {"result": f"[capture failed: {type(value).__name__}]"}


def end_quietly(
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
