"""Events: create (one or a batch), read, update and search.

A search pushes the cheap, indexed conditions into SQL and evaluates the rest (dotted paths,
typed compares) in Python with the filter engine of `..filters`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec

from ...models import (
    DEFAULT_PAGE_LIMIT,
    CreateEventBatchRequest,
    CreateEventRequest,
    EventFilter,
    ExportFilter,
    StartSessionRequest,
    UpdateEventRequest,
)
from ..filters import Filter, as_number, matches, validate_filter
from ._db import INDEXED, EventDict, EventTable
from ._records import MERGED_ON_UPDATE, build_event, duration, merge_into, new_id, now_ms
from .sessions import Sessions

__all__ = ["BatchResult", "EventQuery", "Events"]


@dataclass(frozen=True, slots=True)
class EventQuery:
    """What to search for; `filters` are `EventFilter`/`ExportFilter` Structs."""

    filters: Sequence[EventFilter | ExportFilter] = ()
    start_ms: float | None = None
    """Inclusive lower bound on `start_time`."""
    end_ms: float | None = None
    """Inclusive upper bound on `start_time`."""
    evaluation_id: str | None = None
    """Keep events whose `metadata.run_id` is this id."""
    limit: int = DEFAULT_PAGE_LIMIT
    page: int = 1
    """1-based."""


@dataclass(slots=True)
class BatchResult:
    """Outcome of `Events.create_batch`."""

    event_ids: list[str]
    """Ids actually stored, in request order."""
    session_id: str | None
    errors: list[dict[str, Any]] = field(default_factory=list)
    """One entry per event that was not stored."""


class Events:
    """The events group: every event, sessions included, in the shared events table."""

    def __init__(self, table: EventTable, sessions: Sessions) -> None:
        """Store events in `table`; a single-session batch opens its session through `sessions`."""
        self._table = table
        self._sessions = sessions

    def get(self, event_id: str) -> EventDict | None:
        """Return the event with this id, or None."""
        return self._table.get(event_id)

    def count(self, session_id: str | None = None) -> int:
        """Return how many events are stored, in one session or in all."""
        if session_id is None:
            return self._table.count()
        return self._table.count(" WHERE session_id = ?", (session_id,))

    def create(self, req: CreateEventRequest) -> EventDict:
        """Store an event, replacing any event with the same id."""
        (event,) = self._sessions.onto_stored([_event_from_request(req, session_id=None)])
        self._table.put([event])
        return event

    def create_batch(
        self, req: CreateEventBatchRequest, *, max_created: int | None = None
    ) -> BatchResult:
        """Store a batch of events (upserted by id), optionally all in one new session.

        A session event (``event_type: "session"``) is a session as `POST /v1/sessions`
        makes it; one whose session is stored merges into it (`Sessions.onto_stored`).

        Args:
            req: The decoded batch body.
            max_created: Store only this many events (the rest are reported in `errors`);
                the partial-batch fault uses it.
        """
        session_id: str | None = None
        if req.single_session:
            props = req.session_properties
            session = self._sessions.start(
                StartSessionRequest(
                    session_name=props.session_name if props else None,
                    start_time=props.start_time if props else None,
                    metadata=props.metadata if props else None,
                    user_properties=props.user_properties if props else None,
                )
            )
            session_id = session["session_id"]
        events = [_event_from_request(item, session_id=session_id) for item in req.events]
        keep = events if max_created is None else events[: max(max_created, 0)]
        self._table.put(self._sessions.onto_stored(keep))
        errors = [
            {"index": index, "event_id": event["event_id"], "message": "Event not created"}
            for index, event in enumerate(events)
            if index >= len(keep)
        ]
        if session_id is None:
            session_ids = {event["session_id"] for event in events}
            session_id = session_ids.pop() if len(session_ids) == 1 else None
        return BatchResult([event["event_id"] for event in keep], session_id, errors)

    def add_to_session(self, session_id: str, events: Sequence[CreateEventRequest]) -> None:
        """Store events (upserted by id) in `session_id`, which replaces each event's own."""
        made = [_event_from_request(item, session_id=session_id) for item in events]
        self._table.put(self._sessions.onto_stored(made))

    def update(self, event_id: str, req: UpdateEventRequest) -> EventDict | None:
        """Apply an update and return the new event, or None if there is no such event.

        `metadata`, `feedback`, `metrics`, `config` and `user_properties` are merged;
        `outputs` is replaced (null keeps it); `children_ids` is set only when non-empty.
        """
        event = self._table.get(event_id)
        if event is None:
            return None
        patch: dict[str, Any] = msgspec.to_builtins(req)
        for name in MERGED_ON_UPDATE:
            merge_into(event, name, patch.get(name))
        if patch.get("outputs") is not None:
            event["outputs"] = patch["outputs"]
        if patch.get("children_ids"):
            event["children_ids"] = patch["children_ids"]
        if patch.get("end_time") is not None:
            event["end_time"] = patch["end_time"]
            span = duration(as_number(event.get("start_time")), event["end_time"])
            if span is not None:  # no start time: the key stays out rather than null
                event["duration"] = span
        if patch.get("duration") is not None:
            event["duration"] = patch["duration"]
        self._table.put([event])
        return event

    def delete(self, event_id: str) -> bool:
        """Delete one event (a session event leaves its session's other events); False if none."""
        return self._table.delete(event_id) > 0

    def matching(self, query: EventQuery) -> list[EventDict]:
        """Return every matching event, newest first, unpaged (`limit` and `page` are ignored).

        Raises:
            FilterError: a filter's value is not valid for its type.
        """
        where, params, residual = _compile(query)
        return [
            event
            for event in self._table.scan(where, params)
            if all(matches(event, item) for item in residual)
        ]

    def search(self, query: EventQuery) -> tuple[list[EventDict], int]:
        """Return one page of matching events, newest `start_time` first, and the total count.

        Raises:
            FilterError: a filter's value is not valid for its type.
        """
        where, params, residual = _compile(query)
        offset = (query.page - 1) * query.limit
        if not residual:
            total = self._table.count(where, params)
            return self._table.page(where, params, query.limit, offset), total
        matched = [
            event
            for event in self._table.scan(where, params)
            if all(matches(event, item) for item in residual)
        ]
        return matched[offset : offset + query.limit], len(matched)


def _compile(query: EventQuery) -> tuple[str, list[Any], list[Filter]]:
    """Split a query into an indexed SQL WHERE clause and the filters left for Python."""
    clauses: list[str] = []
    params: list[Any] = []
    residual: list[Filter] = []
    if query.start_ms is not None:
        clauses.append("start_time >= ?")
        params.append(query.start_ms)
    if query.end_ms is not None:
        clauses.append("start_time <= ?")
        params.append(query.end_ms)
    for item in query.filters:
        validate_filter(item)
        if (
            item.field in INDEXED
            and item.operator == "is"
            and isinstance(item.value, str)
            and item.type in ("string", msgspec.UNSET)
        ):
            clauses.append(f"{item.field} = ?")
            params.append(item.value)
        else:
            residual.append(item)
    if query.evaluation_id is not None:
        residual.append(
            EventFilter(
                field="metadata.run_id", operator="is", value=query.evaluation_id, type="string"
            )
        )
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    return where, params, residual


def _event_from_request(req: CreateEventRequest, *, session_id: str | None) -> EventDict:
    event_id = req.event_id or new_id()
    if session_id is None:
        # A session event posted without a session id is its own session.
        session_id = req.session_id or (event_id if req.event_type == "session" else new_id())
    parent_id = req.parent_id
    if parent_id is None and event_id != session_id:
        parent_id = session_id
    start = req.start_time if req.start_time is not None else now_ms()
    return build_event(
        event_id=event_id,
        session_id=session_id,
        parent_id=parent_id,
        children_ids=req.children_ids or [],
        event_type=req.event_type,
        event_name=req.event_name or "unknown",
        source=req.source,
        project_id=req.project_id,
        config=req.config,
        inputs=req.inputs,
        outputs=req.outputs,
        error=req.error if isinstance(req.error, str) else None,
        start_time=start,
        end_time=req.end_time,
        duration=req.duration if req.duration is not None else duration(start, req.end_time),
        metadata=req.metadata,
        feedback=req.feedback,
        metrics=req.metrics,
        user_properties=req.user_properties,
    )
