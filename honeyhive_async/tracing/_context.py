"""The current span, and what reads or changes it: enrichment, and threads that carry it.

Every traced call and block sets `_current` for the code it runs; nothing else writes it.
"""

from __future__ import annotations

import concurrent.futures
import contextvars
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, TypeVar

from ._span import Span

__all__ = ["ContextExecutor", "current_span", "enrich_session", "enrich_span"]

T = TypeVar("T")

_current: ContextVar[Span | None] = ContextVar("honeyhive_current_span", default=None)


def current_span() -> Span | None:
    """Return the span (or session) that traced code is running in, if any."""
    return _current.get()


def enrich_span(
    *,
    inputs: dict[str, Any] | None = None,
    outputs: dict[str, Any] | None = None,
    config: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
    metrics: dict[str, Any] | None = None,
    feedback: dict[str, Any] | None = None,
    user_properties: dict[str, Any] | None = None,
    error: str | None = None,
    event_name: str | None = None,
) -> bool:
    """Add values to the current span; returns False (and does nothing) outside any span."""
    span = _current.get()
    if span is None:
        return False
    span.update(
        inputs=inputs,
        outputs=outputs,
        config=config,
        metadata=metadata,
        metrics=metrics,
        feedback=feedback,
        user_properties=user_properties,
        error=error,
        event_name=event_name,
    )
    return True


def enrich_session(
    *,
    inputs: dict[str, Any] | None = None,
    outputs: dict[str, Any] | None = None,
    config: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
    metrics: dict[str, Any] | None = None,
    feedback: dict[str, Any] | None = None,
    user_properties: dict[str, Any] | None = None,
) -> bool:
    """Add values to the current session; returns False outside any session.

    Values added after the session closed are sent as an update of their own.
    """
    span = _current.get()
    if span is None:
        return False
    session = span.session
    if session.remote:
        return False
    session.update(
        inputs=inputs,
        outputs=outputs,
        config=config,
        metadata=metadata,
        metrics=metrics,
        feedback=feedback,
        user_properties=user_properties,
    )
    if session.ended and session._sink is not None:
        session._sink.enqueue_session_update(session)
    return True


class ContextExecutor(concurrent.futures.Executor):
    """Wraps an executor so every task runs in a copy of the context that submitted it."""

    def __init__(self, executor: concurrent.futures.Executor) -> None:
        self._executor = executor

    def submit(
        self, fn: Callable[..., T], /, *args: Any, **kwargs: Any
    ) -> concurrent.futures.Future[T]:
        """Schedule `fn(*args, **kwargs)` in a copy of the current context."""
        context = contextvars.copy_context()
        return self._executor.submit(context.run, fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Shut the wrapped executor down."""
        self._executor.shutdown(wait=wait, cancel_futures=cancel_futures)
