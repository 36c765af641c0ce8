"""The free-form fields of an event (`inputs`, `outputs`, ...): raw JSON, decoded on demand.

An event decodes each field on first access and keeps the value as a plain instance attribute.
That is the cheap path when a caller reads a few fields, and the slow one when it reads them
all: seven decodes an event, each a Python call with the GC running. So a page decoded from a
body (`EventsPage` through `models._decode.decode`) keeps that body, and once its events show
whole-event reads (an event's second field read, `WIDE_READS_PER_EVENT` times per event of
the page), it decodes every event's free-form fields in one pass over the body with the GC
paused. The values are the ones the per-field path gives (same decoder semantics; a value
already read is never replaced); a page whose pass fails (a field that is not an object,
nesting too deep) stays on the per-field path, which names the bad field.
"""

from __future__ import annotations

import operator
import weakref
from collections import deque
from itertools import compress, repeat
from typing import Any, TypedDict, overload

import msgspec

from ..errors import APIResponseDecodeError
from ._decode import gc_paused, promote_all

__all__ = [
    "FREE_FORM",
    "EventList",
    "FreeFormField",
    "adopt_events",
    "decode_field",
    "field_error",
    "safe_repr",
]

FREE_FORM = ("config", "inputs", "outputs", "metadata", "feedback", "metrics", "user_properties")

WIDE_READS_PER_EVENT = 1 / 16
"""Reads of an event's second, third, ... field, per event of the page, that switch the page
to one bulk decode: a few events inspected in full (a repr, a debugger) stay per-field."""

MIN_WIDE_READS = 64

REPLACED = "\x00replaced"
"""Key, in an event's ``__dict__``, of the free-form fields whose ``*_json`` the caller set:
the bulk decode must not fill those from the page's body."""

_object_decoder = msgspec.json.Decoder(dict[str, Any] | None)


class _FreeForm(TypedDict, total=False):
    # Decoded straight into a dict holding only these keys: it becomes the event's __dict__.
    config: dict[str, Any] | None
    inputs: dict[str, Any] | None
    outputs: dict[str, Any] | None
    metadata: dict[str, Any] | None
    feedback: dict[str, Any] | None
    metrics: dict[str, Any] | None
    user_properties: dict[str, Any] | None


class _FreeFormPage(msgspec.Struct, gc=False):
    events: list[_FreeForm]


_page_decoder = msgspec.json.Decoder(_FreeFormPage)


class FreeFormField:
    """`event.inputs` and its kin: decoded on first access, then a plain instance attribute.

    A non-data descriptor: once the value sits in the instance ``__dict__``, attribute lookup
    finds it there without running Python code (functools.cached_property without its lock).
    """

    def __init__(self, doc: str) -> None:
        self.__doc__ = doc
        self.name = ""
        self.raw_name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        self.raw_name = name + "_json"

    @overload
    def __get__(self, event: None, owner: type | None = None) -> FreeFormField: ...
    @overload
    def __get__(self, event: object, owner: type | None = None) -> dict[str, Any] | None: ...
    def __get__(
        self, event: object | None, owner: type | None = None
    ) -> FreeFormField | dict[str, Any] | None:
        if event is None:
            return self
        return decode_field(event, self.name, getattr(event, self.raw_name))


# The pages that still hold a body to decode in bulk, by id; an entry leaves when its page
# decodes or when the caller drops the page's list.
_pending_pages: dict[int, weakref.ref[EventList]] = {}


class EventList(list[Any]):
    """The events of a page decoded from a body: a plain list that can decode them in bulk.

    It keeps the body and the events as decoded (the caller may reorder or edit the list),
    released once the bulk decode has run. Pickles and copies as a plain list.
    """

    __slots__ = ("__weakref__", "_ids", "_pending", "_wide_reads", "_wide_reads_max")

    _ids: frozenset[int] | None
    _pending: list[tuple[bytes, tuple[Any, ...]]]
    _wide_reads: int
    _wide_reads_max: int

    def __reduce__(self) -> tuple[Any, ...]:
        return (list, (list(self),))

    def holds(self, event: object) -> bool:
        """Whether `event` is one this page decoded and has not decoded in bulk yet."""
        ids = self._ids
        if ids is None:
            try:
                _, events = self._pending[0]
            except IndexError:
                return False
            # Built on the first whole-event read, so pages read a field at a time never pay.
            # The ids stay valid: `_pending` keeps the events alive.
            ids = self._ids = frozenset(map(id, events))
        return id(event) in ids

    def note_wide_read(self) -> None:
        """Count one read of an event's second or later field; decode in bulk past the bar."""
        self._wide_reads += 1
        if self._wide_reads >= self._wide_reads_max:
            self._decode_all()

    def _decode_all(self) -> None:
        try:
            # list.pop is atomic: of two threads crossing the bar together, one decodes.
            body, events = self._pending.pop()
        except IndexError:
            return
        _pending_pages.pop(id(self), None)
        self._ids = frozenset()
        try:
            with gc_paused():
                decoded = _page_decoder.decode(body).events
                if len(decoded) == len(events):
                    _fill(events, decoded)
                promote_all()
        except (msgspec.DecodeError, RecursionError):
            pass  # some field is bad: the per-field path raises the typed error on its read


_get_dict = operator.attrgetter("__dict__")
_set_attr = msgspec.Struct.__setattr__  # the C setter: Event's own __setattr__ guards names


def _fill(events: tuple[Any, ...], decoded: list[_FreeForm]) -> None:
    caches = list(map(_get_dict, events))
    unread = list(map(operator.not_, caches))
    # Events with nothing read yet (nearly all) take their decoded fields as their __dict__,
    # in C-level loops: a Python loop over 10,000 events costs as much as the GC pause saves.
    deque(
        map(_set_attr, compress(events, unread), repeat("__dict__"), compress(decoded, unread)),
        maxlen=0,
    )
    # Events read already keep their values: a caller may hold (and have changed) those dicts.
    for cache, fields in compress(zip(caches, decoded, strict=True), caches):
        replaced = cache.get(REPLACED, ())
        for name, value in fields.items():
            if name not in replaced:
                cache.setdefault(name, value)


def adopt_events(events: list[Any], body: bytes) -> EventList:
    """Return `events` (just decoded from `body`) as an `EventList` that may decode them in bulk."""
    page = EventList(events)
    page._ids = None
    page._pending = [(body, tuple(events))]
    page._wide_reads = 0
    page._wide_reads_max = max(MIN_WIDE_READS, int(len(events) * WIDE_READS_PER_EVENT))
    key = id(page)
    _pending_pages[key] = weakref.ref(page, lambda _: _pending_pages.pop(key, None))
    return page


def _page_of(event: object) -> EventList | None:
    for link in tuple(_pending_pages.values()):
        page = link()
        if page is not None and page.holds(event):
            return page
    return None


def decode_field(event: Any, name: str, raw: msgspec.Raw) -> dict[str, Any] | None:
    """Decode `event`'s free-form field `name` from `raw` and keep it in ``event.__dict__``.

    Raises:
        APIResponseDecodeError: the field is not a JSON object or null, is not valid UTF-8,
            or nests too deeply; the error names the field and the event.
    """
    cache: dict[str, Any] = event.__dict__
    if cache and _pending_pages:  # another field of this event was read: a whole-event read
        page = _page_of(event)
        if page is not None:
            page.note_wide_read()
            if name in cache:
                return cache[name]  # type: ignore[no-any-return]
    value: dict[str, Any] | None = None
    if raw:
        try:
            value = _object_decoder.decode(raw)
        except (msgspec.DecodeError, RecursionError) as exc:
            # The page decoded (Raw only checks the JSON's shape); this field did not.
            raise field_error(event.event_id, name, raw, exc) from None
    cache[name] = value
    return value


def safe_repr(event: Any, name: str, raw: msgspec.Raw) -> str:
    """`repr` of a free-form field's value, or a marker when it does not decode."""
    try:
        return repr(getattr(event, name))
    except (APIResponseDecodeError, RecursionError):
        return f"<undecodable: {bytes(raw)[:60]!r}>"


def field_error(
    event_id: str, name: str | None, raw: msgspec.Raw, exc: BaseException
) -> APIResponseDecodeError:
    """The typed error for a free-form field (or, `name` None, the event) that does not decode."""
    reason = "nested too deeply to decode" if isinstance(exc, RecursionError) else str(exc)
    return APIResponseDecodeError(
        method="",
        path="",
        status=0,
        body=bytes(raw),
        reason=reason,
        field=name,
        event_id=event_id,
    )
