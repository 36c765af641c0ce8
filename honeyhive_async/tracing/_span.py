"""Spans and sessions as the tracer holds them while they run, and the context that links them."""

from __future__ import annotations

import time
import traceback
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

import msgspec

from . import _ids
from ._ids import format_id

if TYPE_CHECKING:
    from ..models import EventType
    from ._capture import Binder
    from ._tracer import Tracer

__all__ = ["Session", "Span", "open_child", "wall_offset"]

T = TypeVar("T")

_perf = time.perf_counter
_time = time.time


def wall_offset() -> float:
    """Seconds to add to a `time.perf_counter()` reading to get Unix time, as of now.

    Spans read one monotonic clock (start and end); their Unix times are derived when they
    are encoded, which saves a clock read per span and keeps durations immune to clock steps.
    """
    return _time() - _perf()


_NO_KWARGS: dict[str, Any] = {}  # shared and never written: binding only reads it

MAX_FRAMES = 32
"""Innermost traceback frames recorded with an error."""

MAX_CHILDREN = 10_000
"""`children_ids` kept per span: a long-lived default session must not grow without bound."""


class _Extra(Generic[T]):
    """A rarely set span field, kept in the span's `_extra` dict (absent: None)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, span: None, owner: type) -> _Extra[T]: ...
    @overload
    def __get__(self, span: Span, owner: type) -> T | None: ...
    def __get__(self, span: Span | None, owner: type) -> _Extra[T] | T | None:
        if span is None:
            return self
        extra = span._extra
        return None if extra is None else extra.get(self.name)

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
    # must stay collectable. What the exporter queues is a `_Finished` copy that is not tracked:
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

        This is the exporter's view: `@trace` may hand a call's arguments straight to the
        exporter's copy when the call ends, so on a running span they can be missing.
        """
        binder = self._binder
        extra = self._extra  # read directly, not through the descriptor: the exporter's path
        inputs: dict[str, Any] | None = None if extra is None else extra.get("inputs")
        if binder is None:
            return inputs
        bound = binder.bind(self._args, self._kwargs or _NO_KWARGS)
        if inputs:
            bound.update(inputs)
        return bound

    def _release(self, *, everything: bool = True) -> None:
        # Called on the exporter's copy (`_Finished`): the call's payload once the copy is
        # encoded, everything once it is dropped (after `on_drop` saw it), at fork in the child
        # and when there is no exporter. The copy is not GC-tracked: what it lets go of can no
        # longer keep a cycle alive.
        self.outputs = None
        self._binder = None
        self._args = ()
        self._kwargs = None
        if everything:
            self._extra = None

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
        the exporter's copy.
        """
        if self._t1:
            return
        self._t1 = t1 = _perf()
        session = self.session
        sink = session._sink
        if sink is not None:
            # The copy reaches the session only through an untracked stand-in (never the
            # tracer and its exporter, which would make a loop the collector cannot see), and
            # owns its enriched fields and children: what changes here later is not exported.
            children, extra = self._children, self._extra
            sink(
                _Finished(
                    session._detached or session,
                    self._parent,
                    self.event_type,
                    self.event_name,
                    self._id,
                    self._t0,
                    binder,
                    args,
                    kwargs,
                    None if children is None else children.copy(),
                    outputs,
                    t1,
                    None if extra is None else extra.copy(),
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


class _Finished(Span, gc=False):
    """A finished span as the exporter queues it, not GC-tracked.

    So that it never keeps a cycle alive, it lets go of every captured value once encoded or
    dropped (`_release`), at fork in the child, and at once when there is no exporter.
    """


class Session(Span, gc=True):
    """A HoneyHive session: the root event (its `event_id` is the `session_id`)."""

    # A session is its own `session`: a cycle the collector sees (sessions are tracked too).
    tracer: Tracer | None = None
    _sink: Callable[[Span], None] | None = None
    session_name: str = ""
    source: str = ""
    remote: bool = False
    """A session owned by another process (distributed tracing): never started or closed here."""
    _detached: Session | None = None
    """What the exporter's copies of this session's spans point at: its id and source only."""

    @classmethod
    def open(
        cls,
        tracer: Tracer,
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
            None,  # type: ignore[arg-type]  # set just below: a session is its own session
            None,
            "session",
            session_name,
            # Formatted once: every span of the session sends it.
            format_id(_ids.next_id()) if session_id is None else session_id,
            _perf(),
            tracer=tracer,
            # Bound once: every span of the session hands itself to the exporter through it.
            _sink=tracer._exporter.enqueue_span,
            session_name=session_name,
            source=source,
            remote=remote,
        )
        session.session = session
        session._detached = _DetachedSession(
            None,  # type: ignore[arg-type]  # a stand-in points at nothing
            None,
            "session",
            session_name,
            session._id,
            session._t0,
            session_name=session_name,
            source=source,
            remote=remote,
        )
        return session

    def finish(self) -> None:
        """Close the session: its closing update goes to the exporter (not for a remote one)."""
        if self._t1:
            return
        self._t1 = _perf()
        if not self.remote and self.tracer is not None:
            self.tracer._exporter.enqueue_session_update(self)


class _DetachedSession(Session, gc=False):
    """A session's id, name and source, without its tracer: what `_Finished` copies point at.

    Not GC-tracked and pointing at nothing tracked, so a copy kept anywhere (an `on_drop`
    handler's list, a queue left behind) never holds the tracer or its exporter.
    """


def open_child(
    parent: Span, event_type: EventType, event_name: str, event_id: str | None = None
) -> Span:
    """Start a span inside `parent`: the one constructor call on `@trace`'s hot path."""
    eid: int | str = _ids.next_id() if event_id is None else event_id
    span = Span(parent.session, parent._id, event_type, event_name, eid, _perf())
    siblings = parent._children
    if siblings is None:
        parent._children = [eid]
    elif len(siblings) < MAX_CHILDREN:
        siblings.append(eid)
    return span
