"""Models a careful user would write, field for field equal to `honeyhive_async.models.Event`.

`Event`/`Page` are plain msgspec Structs (GC tracking on, the default); `EventModel`/`PageModel`
are their pydantic v2 twins. Unknown keys are ignored by all of them, as by the client's.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec
import pydantic

EventType = Literal["model", "tool", "chain", "session"]


class Event(msgspec.Struct, kw_only=True, omit_defaults=True):
    event_id: str
    session_id: str | None = None
    parent_id: str | None = None
    children_ids: list[str] = []
    event_type: EventType | None = None
    event_name: str | None = None
    source: str | None = None
    project_id: str | None = None
    org_id: str | None = None
    workspace_id: str | None = None
    config: dict[str, Any] | None = None
    inputs: dict[str, Any] | None = None
    outputs: dict[str, Any] | None = None
    error: str | None = None
    start_time: float | str | None = None
    end_time: float | str | None = None
    duration: float | None = None
    metadata: dict[str, Any] | None = None
    feedback: dict[str, Any] | None = None
    metrics: dict[str, Any] | None = None
    user_properties: dict[str, Any] | None = None


class Page(msgspec.Struct, kw_only=True, omit_defaults=True):
    events: list[Event]
    count: int | None = None
    totalEvents: int | None = None


class EventModel(pydantic.BaseModel):
    event_id: str
    session_id: str | None = None
    parent_id: str | None = None
    children_ids: list[str] = []
    event_type: EventType | None = None
    event_name: str | None = None
    source: str | None = None
    project_id: str | None = None
    org_id: str | None = None
    workspace_id: str | None = None
    config: dict[str, Any] | None = None
    inputs: dict[str, Any] | None = None
    outputs: dict[str, Any] | None = None
    error: str | None = None
    start_time: float | str | None = None
    end_time: float | str | None = None
    duration: float | None = None
    metadata: dict[str, Any] | None = None
    feedback: dict[str, Any] | None = None
    metrics: dict[str, Any] | None = None
    user_properties: dict[str, Any] | None = None


class PageModel(pydantic.BaseModel):
    events: list[EventModel]
    count: int | None = None
    totalEvents: int | None = None


# -- levers the client could use (decode.py's "levers" table; not contenders) ------------------


class EventNoGC(Event, gc=False):
    """`Event` whose instances the cyclic GC does not track."""


class PageNoGC(Page, gc=False):
    events: list[EventNoGC]  # type: ignore[assignment]


_NULL = msgspec.Raw(b"null")


class EventLazy(msgspec.Struct, kw_only=True, omit_defaults=True, gc=False):
    """`Event` whose free-form objects stay raw JSON until a caller decodes them."""

    event_id: str
    session_id: str | None = None
    parent_id: str | None = None
    children_ids: list[str] = []
    event_type: EventType | None = None
    event_name: str | None = None
    source: str | None = None
    project_id: str | None = None
    org_id: str | None = None
    workspace_id: str | None = None
    config: msgspec.Raw = _NULL
    inputs: msgspec.Raw = _NULL
    outputs: msgspec.Raw = _NULL
    error: str | None = None
    start_time: float | str | None = None
    end_time: float | str | None = None
    duration: float | None = None
    metadata: msgspec.Raw = _NULL
    feedback: msgspec.Raw = _NULL
    metrics: msgspec.Raw = _NULL
    user_properties: msgspec.Raw = _NULL


class PageLazy(msgspec.Struct, kw_only=True, omit_defaults=True, gc=False):
    events: list[EventLazy]
    count: int | None = None
    totalEvents: int | None = None
