"""`SpanRecord`: a finished span as the exporter holds it until the event is sent or dropped."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

import msgspec

from ._ids import format_id

if TYPE_CHECKING:
    from ..models import EventType
    from ._capture import Binder

__all__ = ["Enriched", "SessionRef", "SpanRecord", "bind_inputs", "wall_offset"]

T = TypeVar("T")

_perf = time.perf_counter
_time = time.time
_NO_KWARGS: dict[str, Any] = {}  # shared and never written: binding only reads it


def wall_offset() -> float:
    """Seconds to add to a `time.perf_counter()` reading to get Unix time, as of now."""
    return _time() - _perf()


def bind_inputs(
    binder: Binder | None,
    args: tuple[Any, ...],
    kwargs: dict[str, Any] | None,
    extra: dict[str, Any] | None,
) -> dict[str, Any] | None:
    """A span's inputs: its call's arguments bound to names, merged with its enriched inputs.

    Args:
        binder: Set by @trace; without it the inputs are the enriched ones alone.
        args: The call's positional arguments.
        kwargs: The call's keyword arguments.
        extra: The span's rarely set fields (`inputs` among them).
    """
    inputs: dict[str, Any] | None = None if extra is None else extra.get("inputs")
    if binder is None:
        return inputs
    bound = binder.bind(args, kwargs or _NO_KWARGS)
    if inputs:
        bound.update(inputs)
    return bound


class Enriched(Generic[T]):
    """A rarely set field, read by name from its owner's dict of such fields (absent: None).

    One dict instead of a slot each: most spans set none of them. `SpanRecord` keeps the dict
    in `extra` and only reads it; `Span` keeps it in `_extra` and writes it too (`_span._Extra`).
    """

    store = "extra"
    """The owner's attribute that holds the dict."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, owner_obj: None, owner: type) -> Enriched[T]: ...
    @overload
    def __get__(self, owner_obj: object, owner: type) -> T | None: ...
    def __get__(self, owner_obj: object | None, owner: type) -> Enriched[T] | T | None:
        if owner_obj is None:
            return self
        fields: dict[str, Any] | None = getattr(owner_obj, self.store)
        return None if fields is None else fields.get(self.name)


class SessionRef(msgspec.Struct, gc=False, frozen=True):
    """The session a record belongs to: its id, name and source, and never its tracer.

    Not GC-tracked and pointing at nothing tracked, so a record kept anywhere (an `on_drop`
    handler's list, a queue left behind) never holds the tracer or its exporter.
    """

    event_id: str
    """The session id."""
    session_name: str
    source: str


class SpanRecord(msgspec.Struct, gc=False):
    """A finished span as the exporter holds it, and as `on_drop(reason, record)` sees it.

    Not GC-tracked: thousands wait at a time, and tracked they made the application's own
    collections slower. So that a cycle through the caller's values never outlives it, a
    record lets go of what it holds in two steps, each done in one place:

    * the payload (the call's arguments and outputs) once the event is encoded and buffered
      (`drop_payload`, by the exporter's encoding loop);
    * everything else once the event is settled, sent or dropped (`release`, by the ledger,
      after `on_drop` has seen it).

    A record that never reaches an exporter (no tracer) is simply freed with its last
    reference: untracked or not, nothing else points at it.

    Its fields hold references, not copies, of the caller's values: binding the arguments,
    making the values JSON-safe, bounding and redacting them happen in the exporter.
    """

    session: SessionRef
    event_type: EventType
    event_name: str
    id: int | str
    """The event id as `_ids.next_id` made it (an int until formatted, see `event_id`)."""
    parent: int | str | None
    """The parent's id, as `id`; None for a span started right in its session."""
    perf_start: float
    """`time.perf_counter()` when the span started (Unix time: `start_time`)."""
    perf_end: float
    """`time.perf_counter()` when the span ended."""
    outputs: Any = None
    """What the call returned (or was enriched with), not yet wrapped or made JSON-safe."""
    binder: Binder | None = None
    """Set by @trace: binds `args` and `kwargs` to parameter names (see `bound_inputs`)."""
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] | None = None
    children: list[int | str] | None = None
    """Ids of the spans started inside this one, as `id`."""
    extra: dict[str, Any] | None = None
    """The rarely set fields by name: inputs (enriched), config, metadata, metrics,
    feedback, user_properties, error, and `_traceback` (frames of a recorded exception)."""

    # -- the ids and times as the event has them -----------------------------------------------

    @property
    def event_id(self) -> str:
        """This event's id (a UUID string)."""
        return format_id(self.id)

    @property
    def parent_id(self) -> str | None:
        """The id of the span this one was started in, if any."""
        parent = self.parent
        return None if parent is None else format_id(parent)

    @property
    def children_ids(self) -> list[str]:
        """Ids of the spans started inside this one."""
        return [format_id(child) for child in self.children or ()]

    @property
    def session_id(self) -> str:
        """The session this span belongs to."""
        return self.session.event_id

    @property
    def ended(self) -> bool:
        """Always True: a record is a finished span (as `Span.ended` reads once it finished)."""
        return True

    @property
    def start_time(self) -> float:
        """Unix milliseconds."""
        return (self.perf_start + wall_offset()) * 1e3

    @property
    def end_time(self) -> float:
        """Unix milliseconds."""
        return (self.perf_end + wall_offset()) * 1e3

    @property
    def duration(self) -> float:
        """Milliseconds."""
        return (self.perf_end - self.perf_start) * 1e3

    # -- the enriched fields, as the span had them --------------------------------------------

    inputs = Enriched[dict[str, Any]]()
    """Inputs added with `update(inputs=...)`; with the call's arguments: `bound_inputs()`."""
    config = Enriched[dict[str, Any]]()
    metadata = Enriched[dict[str, Any]]()
    metrics = Enriched[dict[str, Any]]()
    feedback = Enriched[dict[str, Any]]()
    user_properties = Enriched[dict[str, Any]]()
    error = Enriched[str]()
    """``"TypeName: message"`` of a recorded exception, or what `update(error=...)` set."""

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(event_type={self.event_type!r}, event_name={self.event_name!r}, "
            f"event_id={self.event_id!r}, parent_id={self.parent_id!r})"
        )

    # -- what the exporter does with it --------------------------------------------------------

    def bound_inputs(self) -> dict[str, Any] | None:
        """The inputs: bound call arguments merged with what `update(inputs=...)` added."""
        return bind_inputs(self.binder, self.args, self.kwargs, self.extra)

    def drop_payload(self) -> None:
        """Let go of the call's arguments and outputs: the encoded event carries them now.

        The enriched fields stay: `on_drop` still sees them if the send fails.
        """
        self.outputs = None
        self.binder = None
        self.args = ()
        self.kwargs = None

    def release(self) -> None:
        """Let go of what the caller gave: the event is settled (sent, or dropped after `on_drop`)."""
        # `drop_payload`'s stores, not a call to it: the ledger releases every record sent.
        self.outputs = None
        self.binder = None
        self.args = ()
        self.kwargs = None
        self.extra = None
