"""Spans and sessions as the tracer holds them while they run, and the context that links them."""

from __future__ import annotations

import time
import traceback
from collections import deque
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import msgspec

from . import _ids
from ._ids import format_id
from ._record import Enriched, SessionRef, SpanRecord, bind_inputs, wall_offset

if TYPE_CHECKING:
    from ..models import EventType
    from ._capture import Binder

__all__ = ["Session", "Span", "SpanSink", "open_child"]

T = TypeVar("T")

_perf = time.perf_counter


MAX_FRAMES = 32
"""Innermost traceback frames recorded with an error."""

MAX_CHILDREN = 10_000
"""`children_ids` kept per span: a long-lived default session must not grow without bound."""


class _Extra(Enriched[T]):
    """A rarely set span field, kept in the span's `_extra` dict (absent: None)."""

    store = "_extra"

    def __set__(self, span: Span, value: T | None) -> None:
        extra = span._extra
        if extra is None:
            span._extra = {self.name: value}
        else:
            extra[self.name] = value  # a key at a time: the exporter only reads keys


class Span(msgspec.Struct, eq=False):
    """One traced call or block: a HoneyHive event while it runs.

    Fields hold references to the user's values; binding the arguments, making the values
    JSON-safe, bounding and redacting them all happen in the exporter, off the caller's path.
    Spans are created by the tracer (`@trace`, `trace_span`, `Tracer.session`), never directly.
    """

    # A Struct built in C (one call, no __init__ frame). A running span is GC-tracked: it holds
    # the caller's values, and a cycle through it (an abandoned generator stored on its owner)
    # must stay collectable. What the exporter queues is a `SpanRecord` copy that is not tracked:
    # thousands of them wait at a time, and tracked they made the application's own
    # collections slower. Ids are integers until the exporter formats them (see `_ids`); times
    # are perf_counter floats.
    session: Session
    _parent: int | str | None
    event_type: EventType
    event_name: str
    _id: int | str
    _t0: float
    # Set by @trace (read only when `_binder` is set): the call's arguments, bound to
    # parameter names by the exporter.
    _binder: Binder | None = None
    _args: tuple[Any, ...] = ()
    _kwargs: dict[str, Any] | None = None
    _children: list[int | str] | None = None
    outputs: Any = None
    _t1: float = 0.0
    _extra: dict[str, Any] | None = None

    inputs = _Extra[dict[str, Any]]()
    config = _Extra[dict[str, Any]]()
    metadata = _Extra[dict[str, Any]]()
    metrics = _Extra[dict[str, Any]]()
    feedback = _Extra[dict[str, Any]]()
    user_properties = _Extra[dict[str, Any]]()
    error = _Extra[str]()
    _traceback = _Extra[list[tuple[str, int, str]]]()

    @property
    def event_id(self) -> str:
        """This span's id (a UUID string)."""
        return format_id(self._id)

    @property
    def parent_id(self) -> str | None:
        """The id of the span this one was started in, if any."""
        parent = self._parent
        return None if parent is None else format_id(parent)

    @property
    def children_ids(self) -> list[str]:
        """Ids of the spans started inside this one so far."""
        return [format_id(child) for child in self._children or ()]

    @property
    def session_id(self) -> str:
        """The session this span belongs to."""
        return self.session.event_id

    @property
    def ended(self) -> bool:
        """True once the span has finished."""
        return self._t1 != 0.0

    @property
    def start_time(self) -> float:
        """Unix milliseconds."""
        return (self._t0 + wall_offset()) * 1e3

    @property
    def duration(self) -> float | None:
        """Milliseconds, once the span has finished."""
        return (self._t1 - self._t0) * 1e3 if self._t1 else None

    @property
    def end_time(self) -> float | None:
        """Unix milliseconds, once the span has finished."""
        return (self._t1 + wall_offset()) * 1e3 if self._t1 else None

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(event_type={self.event_type!r}, event_name={self.event_name!r}, "
            f"event_id={self.event_id!r}, parent_id={self.parent_id!r})"
        )

    def bound_inputs(self) -> dict[str, Any] | None:
        """The inputs: bound call arguments merged with what `update(inputs=...)` added.

        @trace's sync and async wrappers hand a call's arguments straight to the exporter's
        copy when the call ends: on their running spans, only the enriched inputs show.
        """
        return bind_inputs(self._binder, self._args, self._kwargs, self._extra)

    def record_exception(self, exc: BaseException) -> None:
        """Record `exc` as this span's error; its traceback goes to metadata on export."""
        try:
            message = str(exc)
        except Exception:  # an exception whose __str__ fails must not replace the user's
            message = "<unprintable message>"
        self.error = f"{type(exc).__name__}: {message}"
        # Frames only, no source lines: reading files is the exporter's job, off this path.
        self._traceback = [
            (frame.f_code.co_filename, lineno, frame.f_code.co_name)
            for frame, lineno in deque(traceback.walk_tb(exc.__traceback__), maxlen=MAX_FRAMES)
        ]
        self.update(metadata={"error_type": type(exc).__qualname__})

    def finish(self) -> None:
        """End the span and hand it to the exporter; a second call does nothing.

        The exporter gets a copy that takes over the captured arguments and outputs: a span
        kept by the caller afterwards holds none of them, and what is set on it afterwards
        (`update`, `enrich_span`) is not exported.
        """
        if self._t1:
            return
        # The payload goes with the copy: a span kept by the caller holds none of it.
        outputs, binder, args, kwargs = self.outputs, self._binder, self._args, self._kwargs
        self.outputs = None
        self._binder = None
        self._args = ()
        self._kwargs = None
        self._end_call(outputs, binder, args, kwargs)

    def _end_call(
        self,
        outputs: Any,
        binder: Binder | None,
        args: tuple[Any, ...],
        kwargs: dict[str, Any] | None,
    ) -> None:
        """`finish()`, with the call's values given rather than read from the span.

        @trace's sync and async wrappers never put them on the span: they go straight into
        the exporter's copy. They have their own copies of the first two branches
        (`_calls.py`): change all three.
        """
        if self._t1:
            return
        self._t1 = t1 = _perf()
        session = self.session
        sink = session._sink
        if sink is None:
            return
        # The record reaches the session only through its untracked `SessionRef` (never the
        # sink, which would make a loop the collector cannot see), and owns its enriched
        # fields and children: what changes here later is not exported.
        children, extra = self._children, self._extra
        if kwargs is None and children is None and extra is None:
            # Most spans (leaves called with positional arguments, nothing enriched): the
            # three fields left out keep their defaults. Positional arguments in the record's
            # field order: ~20 % cheaper for msgspec's constructor than keywords.
            sink.enqueue_span(
                SpanRecord(
                    session._ref,
                    self.event_type,
                    self.event_name,
                    self._id,
                    self._parent,
                    self._t0,
                    t1,
                    outputs,
                    binder,
                    args,
                )
            )
            return
        if kwargs is None and extra is None and children is not None:
            # A span that started others (a chain's links): one field left out, as above.
            sink.enqueue_span(
                SpanRecord(
                    session._ref,
                    self.event_type,
                    self.event_name,
                    self._id,
                    self._parent,
                    self._t0,
                    t1,
                    outputs,
                    binder,
                    args,
                    None,
                    children.copy(),
                )
            )
            return
        sink.enqueue_span(
            SpanRecord(
                session=session._ref,
                event_type=self.event_type,
                event_name=self.event_name,
                id=self._id,
                parent=self._parent,
                perf_start=self._t0,
                perf_end=t1,
                outputs=outputs,
                binder=binder,
                args=args,
                kwargs=kwargs,
                children=None if children is None else children.copy(),
                extra=None if extra is None else extra.copy(),
            )
        )

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
        """Merge values into the span, key by key (`outputs` too).

        Only what is set before the span finishes is exported.
        """
        # New dicts rather than in-place updates: the exporter thread may be reading the old.
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


class SpanSink(Protocol):
    """Where a session's finished spans, its start and its updates go: the tracer's exporter.

    Spans and sessions know only this, never the tracer.
    """

    def enqueue_span(self, record: SpanRecord) -> None:
        """Take a finished span; never blocks, never raises."""

    def enqueue_session_start(self, session: Session) -> None:
        """Take the start of `session` (`POST /v1/sessions`)."""

    def enqueue_session_update(self, session: Session) -> None:
        """Take the update that closes `session` or sends what it was enriched with since."""


class Session(Span, gc=True):
    """A HoneyHive session: the root event (its `event_id` is the `session_id`)."""

    # Tracked by the collector: the user's values it holds (inputs, outputs) may point back at it.
    _sink: SpanSink | None = None
    """Where this session's spans, its start and its updates go."""
    session_name: str = ""
    source: str = ""
    remote: bool = False
    """A session owned by another process (distributed tracing): never started or closed here."""
    _ref: SessionRef = SessionRef("", "", "")
    """What the records of this session's spans point at: its id, name and source only."""
    _dropped: bool = False
    """Given up on by the exporter: its later updates are not sent (they could only 404)."""

    # A read-only property over the inherited field (which stays None): mypy sees an override.
    @property  # type: ignore[misc]
    def session(self) -> Session:  # type: ignore[override]
        """The session itself.

        Not a field pointing at itself: that cycle left every ended session to the cyclic
        collector, and a web service's per-request sessions (held by the exporter until sent,
        long enough to reach the oldest generation) then made its full collections frequent.
        """
        return self

    @classmethod
    def open(
        cls,
        sink: SpanSink,
        session_name: str,
        *,
        session_id: str | None = None,
        source: str,
        remote: bool = False,
    ) -> Session:
        """Create a session (its start is queued by the caller, not here)."""
        if session_id is not None:
            session_id = str(session_id)  # a uuid.UUID is welcome too
            if not session_id.strip():
                raise ValueError("session_id must be a non-empty string")
        session = cls(
            None,  # type: ignore[arg-type]  # unused: the `session` property is the session itself
            None,
            "session",
            session_name,
            # Formatted once: every span of the session sends it.
            format_id(_ids.next_id()) if session_id is None else session_id,
            _perf(),
            _sink=sink,
            session_name=session_name,
            source=source,
            remote=remote,
        )
        session._ref = SessionRef(
            event_id=session.event_id, session_name=session_name, source=source
        )
        return session

    def finish(self) -> None:
        """Close the session: its closing update goes to the exporter (not for a remote one)."""
        if self._t1:
            return
        self._t1 = _perf()
        if not self.remote and self._sink is not None:
            self._sink.enqueue_session_update(self)


def open_child(
    parent: Span, event_type: EventType, event_name: str, event_id: str | None = None
) -> Span:
    """Start a span inside `parent`: the one constructor call on `@trace`'s hot path.

    @trace's sync and async wrappers have their own copies of these lines (`_calls.py`):
    change all three.
    """
    eid: int | str = _ids.next_id() if event_id is None else event_id
    span = Span(parent.session, parent._id, event_type, event_name, eid, _perf())
    siblings = parent._children
    if siblings is None:
        parent._children = [eid]
    elif len(siblings) < MAX_CHILDREN:
        siblings.append(eid)
    return span
