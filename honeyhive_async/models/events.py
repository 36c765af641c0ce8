"""Event models: the wire shapes of `/v1/events*` and of the event returned by `GET /session/{id}`."""

from __future__ import annotations

from typing import Any, Literal, TypeVar

import msgspec
from msgspec import UNSET, UnsetType

from ..errors import APIResponseDecodeError
from ._base import JSONObject, Model, RequestModel, field_ms
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
_FREE_FORM = ("config", "inputs", "outputs", "metadata", "feedback", "metrics", "user_properties")


_object_decoder = msgspec.json.Decoder(dict[str, Any] | None)


def _raw_field(name: str) -> Any:
    return msgspec.field(name=name, default=_ABSENT)


class Event(Model, dict=True):
    """An event (span) as HoneyHive returns it; a session is the event whose id is the session id.

    The free-form fields (`config`, `inputs`, `outputs`, `metadata`, `feedback`, `metrics`,
    `user_properties`) are kept as raw JSON when the response is decoded and turned into dicts
    on first access (then cached): a 10,000-event page decodes several times faster, and
    events whose payloads are never read never pay for them. `to_dict()` gives plain data.
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

    @property
    def config(self) -> JSONObject | None:
        """Model parameters, prompt template, ... (decoded on first access)."""
        return self._field("config", self.config_json)

    @property
    def inputs(self) -> JSONObject | None:
        """The event's inputs (decoded on first access)."""
        return self._field("inputs", self.inputs_json)

    @property
    def outputs(self) -> JSONObject | None:
        """The event's outputs (decoded on first access)."""
        return self._field("outputs", self.outputs_json)

    @property
    def metadata(self) -> JSONObject | None:
        """Metadata: tokens, cost, and for a session tree the server's aggregates."""
        return self._field("metadata", self.metadata_json)

    @property
    def feedback(self) -> JSONObject | None:
        """Ratings, ground truth, ... (decoded on first access)."""
        return self._field("feedback", self.feedback_json)

    @property
    def metrics(self) -> JSONObject | None:
        """Metric values (decoded on first access)."""
        return self._field("metrics", self.metrics_json)

    @property
    def user_properties(self) -> JSONObject | None:
        """Properties of the end user (decoded on first access)."""
        return self._field("user_properties", self.user_properties_json)

    def _field(self, name: str, raw: msgspec.Raw) -> JSONObject | None:
        # A plain dict cache: functools.cached_property takes a lock on every first access.
        cache = self.__dict__
        try:
            return cache[name]  # type: ignore[no-any-return]
        except KeyError:
            pass
        value: JSONObject | None = None
        if raw:
            try:
                value = _object_decoder.decode(raw)
            except (msgspec.DecodeError, RecursionError) as exc:
                # The page decoded (Raw only checks the JSON's shape); this field did not.
                raise _field_error(self.event_id, name, raw, exc) from None
        cache[name] = value
        return value

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
        for name in _FREE_FORM:
            raw: msgspec.Raw = getattr(self, name + "_json")
            if raw and name not in self.__dict__:
                self._field(name, raw)  # validates, so a bad field is named, not a bare error
        try:
            return msgspec.json.decode(msgspec.json.encode(self))  # type: ignore[no-any-return]
        except (msgspec.DecodeError, RecursionError) as exc:
            raise _field_error(self.event_id, None, msgspec.Raw(b""), exc) from None

    def __repr__(self) -> str:
        # Never raises: a repr is what a traceback or a log line shows of a broken event.
        shown = [f"event_id={self.event_id!r}"]
        for name in ("session_id", "parent_id", "event_type", "event_name", "error", "duration"):
            value = getattr(self, name)
            if value is not None:
                shown.append(f"{name}={value!r}")
        for name in _FREE_FORM:
            raw = getattr(self, name + "_json")
            if raw:
                shown.append(f"{name}={_safe_repr(self, name, raw)}")
        return f"{type(self).__name__}({', '.join(shown)})"


def _safe_repr(event: Event, name: str, raw: msgspec.Raw) -> str:
    try:
        return repr(event._field(name, raw))
    except (APIResponseDecodeError, RecursionError):
        return f"<undecodable: {bytes(raw)[:60]!r}>"


def _field_error(
    event_id: str, name: str | None, raw: msgspec.Raw, exc: BaseException
) -> APIResponseDecodeError:
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
