"""Spans and sessions as the tracer holds them while they run, and the context that links them."""

from __future__ import annotations

import time
import traceback
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from ._ids import new_id

if TYPE_CHECKING:
    from ..models import EventType
    from ._tracer import Tracer

__all__ = ["Session", "Span", "current_span", "enrich_session", "enrich_span"]

_current: ContextVar[Span | None] = ContextVar("honeyhive_current_span", default=None)

_perf_ns = time.perf_counter_ns
_now = time.time


class Span:
    """One traced call or block: a HoneyHive event while it runs.

    Fields hold references to the user's values; they are made JSON-safe, bounded and redacted
    by the exporter, off the caller's path.
    """

    __slots__ = (
        "_t0",
        "children_ids",
        "config",
        "duration",
        "end_time",
        "error",
        "event_id",
        "event_name",
        "event_type",
        "feedback",
        "inputs",
        "metadata",
        "metrics",
        "outputs",
        "parent_id",
        "session",
        "start_time",
        "user_properties",
    )

    def __init__(
        self,
        session: Session,
        parent: Span | None,
        event_type: EventType,
        event_name: str,
        *,
        event_id: str | None = None,
    ) -> None:
        self.event_id = new_id() if event_id is None else event_id
        self.session = session
        self.event_type = event_type
        self.event_name = event_name
        self.children_ids: list[str] = []
        self.inputs: Any = None
        self.outputs: Any = None
        self.config: dict[str, Any] | None = None
        self.metadata: dict[str, Any] | None = None
        self.metrics: dict[str, Any] | None = None
        self.feedback: dict[str, Any] | None = None
        self.user_properties: dict[str, Any] | None = None
        self.error: str | None = None
        self.end_time: float | None = None
        self.duration: float | None = None
        if parent is None:
            self.parent_id: str | None = None
        else:
            self.parent_id = parent.event_id
            parent.children_ids.append(self.event_id)
        self.start_time = _now() * 1000.0
        self._t0 = _perf_ns()

    @property
    def session_id(self) -> str:
        """The session this span belongs to."""
        return self.session.event_id

    @property
    def ended(self) -> bool:
        """True once the span has finished."""
        return self.end_time is not None

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(event_type={self.event_type!r}, event_name={self.event_name!r}, "
            f"event_id={self.event_id!r}, parent_id={self.parent_id!r})"
        )

    def record_exception(self, exc: BaseException) -> None:
        """Record `exc` as this span's error, with its structured traceback in metadata."""
        self.error = f"{type(exc).__name__}: {exc}"
        frames = traceback.extract_tb(exc.__traceback__)
        meta = self.metadata if self.metadata is not None else {}
        meta["error_type"] = type(exc).__qualname__
        meta["error_traceback"] = [
            {"filename": f.filename, "lineno": f.lineno, "name": f.name, "line": f.line}
            for f in frames
        ]
        self.metadata = meta

    def finish(self) -> None:
        """End the span and hand it to the exporter; a second call does nothing."""
        if self.end_time is not None:
            return
        self.duration = (_perf_ns() - self._t0) / 1e6
        self.end_time = self.start_time + self.duration
        self.session.tracer._export_span(self)

    def update(
        self,
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
    ) -> None:
        """Merge values into the span (dicts are merged key by key; `outputs` too)."""
        if inputs:
            self.inputs = {**(self.inputs or {}), **inputs}
        if outputs:
            current = self.outputs if isinstance(self.outputs, dict) else {}
            self.outputs = {**current, **outputs}
        if config:
            self.config = {**(self.config or {}), **config}
        if metadata:
            self.metadata = {**(self.metadata or {}), **metadata}
        if metrics:
            self.metrics = {**(self.metrics or {}), **metrics}
        if feedback:
            self.feedback = {**(self.feedback or {}), **feedback}
        if user_properties:
            self.user_properties = {**(self.user_properties or {}), **user_properties}
        if error is not None:
            self.error = error
        if event_name is not None:
            self.event_name = event_name


class Session(Span):
    """A HoneyHive session: the root event (its `event_id` is the `session_id`)."""

    __slots__ = ("remote", "session_name", "source", "tracer")

    def __init__(
        self,
        tracer: Tracer,
        session_name: str,
        *,
        session_id: str | None = None,
        source: str,
        remote: bool = False,
    ) -> None:
        self.tracer = tracer
        self.session_name = session_name
        self.source = source
        self.remote = remote
        """A session owned by another process (distributed tracing): never started or closed here."""
        super().__init__(self, None, "session", session_name, event_id=session_id)


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
    if session.ended:
        session.tracer._export_session_update(session)
    return True
