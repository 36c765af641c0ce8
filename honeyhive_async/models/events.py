"""Event models: the wire shapes of `/v1/events*` and of the event returned by `GET /session/{id}`."""

from __future__ import annotations

from typing import Any, Literal, TypeVar

import msgspec
from msgspec import UNSET, UnsetType

from ._base import JSONObject, Model, RequestModel, field_ms
from ._decode import on_decode
from ._free_form import (
    FREE_FORM,
    REPLACED,
    FreeFormField,
    adopt_events,
    field_error,
    safe_repr,
)
from ._limits import EventType

__all__ = [
    "CreateEventBatchRequest",
    "CreateEventBatchResponse",
    "CreateEventRequest",
    "CreateEventResponse",
    "DateRange",
    "Event",
    "EventFilter",
    "EventType",
    "EventsPage",
    "ExportDateRange",
    "ExportEventsRequest",
    "ExportFilter",
    "FilterOperator",
    "FilterType",
    "FilterValue",
    "GetEventResponse",
    "SearchEventsRequest",
    "SessionProperties",
    "UpdateEventRequest",
]

FilterOperator = Literal[
    "exists",
    "not exists",
    "is",
    "is not",
    "contains",
    "not contains",
    "greater than",
    "less than",
    "after",
    "before",
]
FilterType = Literal["string", "number", "boolean", "datetime"]
FilterValue = str | int | float | bool | None


_ABSENT = msgspec.Raw(b"")
E = TypeVar("E", bound="Event")


def _raw_field(name: str) -> Any:
    return msgspec.field(name=name, default=_ABSENT)


_RAW_NAMES = {name + "_json": name for name in FREE_FORM}


class Event(Model, dict=True):
    """An event (span) as HoneyHive returns it; a session is the event whose id is the session id.

    The free-form fields (`config`, `inputs`, `outputs`, `metadata`, `feedback`, `metrics`,
    `user_properties`) are kept as raw JSON when the response is decoded and turned into dicts
    on first access (then plain attributes): a 10,000-event page decodes several times faster,
    and events whose payloads are never read never pay for them. A page whose events are read
    whole decodes the rest of them in one pass (see `models._free_form`). `to_dict()` gives
    plain data.
    """

    event_id: str
    session_id: str | None = None
    parent_id: str | None = None
    """The enclosing event; root events hang off the session event."""
    children_ids: list[str] = []
    event_type: EventType | None = None
    event_name: str | None = None
    source: str | None = None
    project_id: str | None = None
    org_id: str | None = None
    workspace_id: str | None = None
    error: str | None = None
    start_time: float | str | None = None
    """Unix milliseconds; old responses carry a string such as ``"2024-04-01 22:38:19"`` (UTC)."""
    end_time: float | str | None = None
    """Unix milliseconds, or a legacy string like `start_time`."""
    duration: float | None = None
    """Milliseconds."""
    config_json: msgspec.Raw = _raw_field("config")
    """`config` as the raw JSON the server sent (empty when absent)."""
    inputs_json: msgspec.Raw = _raw_field("inputs")
    outputs_json: msgspec.Raw = _raw_field("outputs")
    metadata_json: msgspec.Raw = _raw_field("metadata")
    feedback_json: msgspec.Raw = _raw_field("feedback")
    metrics_json: msgspec.Raw = _raw_field("metrics")
    user_properties_json: msgspec.Raw = _raw_field("user_properties")

    config = FreeFormField("Model parameters, prompt template, ... (decoded on first access).")
    inputs = FreeFormField("The event's inputs (decoded on first access).")
    outputs = FreeFormField("The event's outputs (decoded on first access).")
    metadata = FreeFormField(
        "Metadata: tokens, cost, and for a session tree the server's aggregates."
    )
    feedback = FreeFormField("Ratings, ground truth, ... (decoded on first access).")
    metrics = FreeFormField("Metric values (decoded on first access).")
    user_properties = FreeFormField("Properties of the end user (decoded on first access).")

    def __setattr__(self, name: str, value: Any) -> None:
        # The free-form fields read as attributes but follow their `*_json` field.
        if name in FREE_FORM:
            raise AttributeError(
                f"{type(self).__name__}.{name} is read-only (set {name}_json to change it)"
            )
        super().__setattr__(name, value)
        if name in _RAW_NAMES:
            # The field follows its new JSON: forget a value decoded from the old one, and
            # keep the page's bulk decode from filling it in from the body.
            field = _RAW_NAMES[name]
            cache = self.__dict__
            cache.pop(field, None)
            cache[REPLACED] = cache.get(REPLACED, frozenset()) | {field}

    @property
    def start_time_ms(self) -> float | None:
        """`start_time` as Unix milliseconds, whichever form the server sent."""
        return field_ms(self.start_time, "start_time", self.event_id)

    @property
    def end_time_ms(self) -> float | None:
        """`end_time` as Unix milliseconds, whichever form the server sent."""
        return field_ms(self.end_time, "end_time", self.event_id)

    @classmethod
    def from_dict(cls: type[E], data: dict[str, Any]) -> E:
        """Build an event from plain data shaped like the API's JSON."""
        return msgspec.json.decode(msgspec.json.encode(data), type=cls)

    def to_dict(self) -> dict[str, Any]:
        """Return the event as plain JSON-like data (free-form fields decoded, absent ones left out).

        Raises:
            APIResponseDecodeError: a free-form field is not a JSON object (or null), is not
                valid UTF-8, or nests too deeply; the error names the field and the event.
        """
        for name in FREE_FORM:
            raw: msgspec.Raw = getattr(self, name + "_json")
            if raw and name not in self.__dict__:
                getattr(self, name)  # validates, so a bad field is named, not a bare error
        try:
            return msgspec.json.decode(msgspec.json.encode(self))  # type: ignore[no-any-return]
        except (msgspec.DecodeError, RecursionError) as exc:
            raise field_error(self.event_id, None, msgspec.Raw(b""), exc) from None

    def __repr__(self) -> str:
        # Never raises: a repr is what a traceback or a log line shows of a broken event.
        shown = [f"event_id={self.event_id!r}"]
        for name in ("session_id", "parent_id", "event_type", "event_name", "error", "duration"):
            value = getattr(self, name)
            if value is not None:
                shown.append(f"{name}={value!r}")
        for name in FREE_FORM:
            raw = getattr(self, name + "_json")
            if raw:
                shown.append(f"{name}={safe_repr(self, name, raw)}")
        return f"{type(self).__name__}({', '.join(shown)})"


class GetEventResponse(Model):
    """Body of `GET /v1/events/{event_id}`."""

    event: Event


class CreateEventRequest(RequestModel, gc=False):
    """Body of `POST /v1/events` (`PostEventRequest`); also one item of a batch.

    Not tracked by the cyclic GC (the tracer makes one per span and holds them until sent):
    its fields are JSON data, which cannot lead back to the request.
    """

    event_type: EventType
    inputs: JSONObject
    event_id: str | None = None
    session_id: str | None = None
    parent_id: str | None = None
    children_ids: list[str] | None = None
    event_name: str | None = None
    source: str | None = None
    project_id: str | None = None
    config: JSONObject | None = None
    outputs: JSONObject | None = None
    error: str | UnsetType | None = UNSET
    """`None` is sent as null; left unset it is not sent."""
    start_time: float | None = None
    """Unix milliseconds."""
    end_time: float | None = None
    """Unix milliseconds."""
    duration: float | None = None
    """Milliseconds."""
    metadata: JSONObject | None = None
    feedback: JSONObject | None = None
    metrics: JSONObject | None = None
    user_properties: JSONObject | None = None


class CreateEventResponse(Model):
    """Body returned by `POST /v1/events`."""

    event_id: str
    success: bool = True


class UpdateEventRequest(RequestModel):
    """Body of `PUT /v1/events/{event_id}`: only the updatable fields.

    A field left `UNSET` is not sent; an explicit `None` is sent as null (for `outputs`, null
    keeps the stored outputs; the spec types the other fields as non-null, so HoneyHive may
    answer 400 to a null there). `metadata`, `feedback`, `metrics`, `config` and
    `user_properties` are merged by the server; `outputs` is replaced.
    """

    metadata: JSONObject | UnsetType | None = UNSET
    feedback: JSONObject | UnsetType | None = UNSET
    metrics: JSONObject | UnsetType | None = UNSET
    outputs: JSONObject | UnsetType | None = UNSET
    config: JSONObject | UnsetType | None = UNSET
    user_properties: JSONObject | UnsetType | None = UNSET
    duration: float | UnsetType | None = UNSET
    """Milliseconds."""
    end_time: float | UnsetType | None = UNSET
    """Unix milliseconds."""
    children_ids: list[str] | UnsetType | None = UNSET
    """The server ignores an empty list."""


class SessionProperties(RequestModel):
    """Session fields used by a batch with `single_session=True`."""

    session_name: str | None = None
    start_time: float | None = None
    """Unix milliseconds."""
    user_properties: JSONObject | None = None
    metadata: JSONObject | None = None


class CreateEventBatchRequest(RequestModel):
    """Body of `POST /v1/events/batch`."""

    events: list[CreateEventRequest]
    single_session: bool | None = None
    session_properties: SessionProperties | None = None


class CreateEventBatchResponse(Model):
    """Body returned by `POST /v1/events/batch`; on a 500 it lists the ids that were created."""

    event_ids: list[str] = []
    session_id: str | None = None
    success: bool = False
    errors: list[Any] | None = None


class EventFilter(RequestModel):
    """One filter of `POST /v1/events/search`, e.g. ``EventFilter("session_id", "is", sid)``."""

    field: str
    """A top-level field (``event_type``) or a dotted path (``metadata.cost``)."""
    operator: FilterOperator
    value: FilterValue
    type: FilterType | UnsetType = UNSET


class DateRange(RequestModel):
    """Inclusive ISO 8601 range for `POST /v1/events/search`."""

    start_time: str
    end_time: str


class SearchEventsRequest(RequestModel):
    """Body of `POST /v1/events/search`: one page of events, newest `start_time` first."""

    filters: list[EventFilter] | None = None
    dateRange: DateRange | None = None
    limit: int | None = None
    """1 to 1000 (server default 1000)."""
    page: int | None = None
    """1-based."""
    ignore_order: bool | None = None
    """Deprecated by HoneyHive: accepted and ignored (results are always newest first)."""
    evaluation_id: str | None = None


class ExportFilter(RequestModel):
    """One filter of the legacy `POST /v1/events/export` (`type` is required there)."""

    field: str
    operator: FilterOperator
    value: FilterValue
    type: FilterType


class ExportDateRange(RequestModel):
    """Inclusive ISO 8601 range of the legacy export route."""

    gte: str = msgspec.field(name="$gte")
    lte: str = msgspec.field(name="$lte")


class ExportEventsRequest(RequestModel):
    """Body of the legacy `POST /v1/events/export` (up to 7500 events a page)."""

    filters: list[ExportFilter] | None = None
    dateRange: ExportDateRange | None = None
    projections: list[str] | None = None
    limit: int | None = None
    """1 to 7500 (server default 1000)."""
    page: int | None = None
    """1-based."""
    ignore_order: bool | None = None
    evaluation_id: str | None = None


class EventsPage(Model):
    """One page of events from `/v1/events/search` (`count`) or `/v1/events/export` (`totalEvents`)."""

    events: list[Event]
    count: int | None = None
    totalEvents: int | None = None

    @property
    def total(self) -> int | None:
        """The number of matching events across all pages, whichever key the server used."""
        return self.count if self.count is not None else self.totalEvents


def _adopt_page(page: EventsPage, body: bytes) -> None:
    page.events = adopt_events(page.events, body)


on_decode(EventsPage, _adopt_page)
