"""Event routes: create, batch, search, export (legacy), get, update and delete."""

from __future__ import annotations

from typing import Any

import msgspec
from aiohttp import web

from ...models import (
    DEFAULT_PAGE_LIMIT,
    EXPORT_MAX_LIMIT,
    SEARCH_MAX_LIMIT,
    CreateEventBatchRequest,
    CreateEventRequest,
    ExportEventsRequest,
    SearchEventsRequest,
    SessionProperties,
    UpdateEventRequest,
    parse_timestamp_ms,
)
from .._http import (
    FAULTS_KEY,
    STORE_KEY,
    ServerError,
    bounded,
    decode_body,
    json_response,
    page_number,
    path_id,
)
from ..filters import FilterError, project_fields
from ..legacy_bodies import integer_times
from ..store import EventDict, EventQuery, Store

__all__ = [
    "ROUTES",
    "create_batch",
    "create_event",
    "delete_event",
    "export_events",
    "get_event",
    "search_events",
    "timestamp",
    "update_event",
]


class _OpenUpdate(UpdateEventRequest, forbid_unknown_fields=False):
    """`UpdateEventRequest` sets no `additionalProperties`: extra fields are accepted, ignored."""


class _OpenSessionProperties(SessionProperties, forbid_unknown_fields=False):
    """`SessionProperties` is ``additionalProperties: {}``: extra fields are accepted, ignored."""


class _BatchBody(CreateEventBatchRequest):
    session_properties: _OpenSessionProperties | None = None


class _ExportBody(ExportEventsRequest):
    """The legacy export: `project`, which HoneyHive's SDKs still send, is accepted and ignored.

    Any other unknown field stays a 400, so a misspelt filter is not silently dropped.
    """

    project: str | None = None


_create_event_decoder = msgspec.json.Decoder(CreateEventRequest)
_update_event_decoder = msgspec.json.Decoder(_OpenUpdate)
_batch_decoder = msgspec.json.Decoder(_BatchBody)
_search_decoder = msgspec.json.Decoder(SearchEventsRequest)
_export_decoder = msgspec.json.Decoder(_ExportBody)


def timestamp(name: str, value: str) -> float:
    """A `dateRange` bound as Unix ms, or a 400 naming it."""
    try:
        parsed = parse_timestamp_ms(value)
    except ValueError:
        parsed = None
    if parsed is None:
        raise ServerError(
            400, f"dateRange.{name} is not a timestamp: {value!r}", "VALIDATION_ERROR"
        )
    return parsed


def _search(store: Store, query: EventQuery) -> tuple[list[EventDict], int]:
    try:
        return store.events.search(query)
    except FilterError as exc:
        raise ServerError(400, f"Invalid filter: {exc}", "VALIDATION_ERROR") from None


async def create_event(request: web.Request) -> web.Response:
    """``POST /v1/events``: store one event (upsert by `event_id`)."""
    req = await decode_body(request, _create_event_decoder)
    event = request.app[STORE_KEY].events.create(req)
    return json_response({"success": True, "event_id": event["event_id"]})


async def get_event(request: web.Request) -> web.Response:
    """``GET /v1/events/{event_id}``: ``{"event": {...}}``."""
    event_id = path_id(request, "event_id")
    event = request.app[STORE_KEY].events.get(event_id)
    if event is None:
        raise ServerError(404, f"Event {event_id} not found", "NOT_FOUND")
    return json_response({"event": event})


async def update_event(request: web.Request) -> web.Response:
    """``PUT /v1/events/{event_id}``: merge/replace the updatable fields."""
    event_id = path_id(request, "event_id")
    req = await decode_body(request, _update_event_decoder)
    if request.app[STORE_KEY].events.update(event_id, req) is None:
        raise ServerError(404, f"Event {event_id} not found", "NOT_FOUND")
    return json_response({"success": True})


async def delete_event(request: web.Request) -> web.Response:
    """``DELETE /v1/events/{event_id}`` (preview spec): ``{"success": true, "deleted": "1"}``.

    The spec answers 200 or 400 ("invalid event ID"): an id that names no event is a 400.
    """
    event_id = path_id(request, "event_id")
    if not request.app[STORE_KEY].events.delete(event_id):
        raise ServerError(400, f"Invalid event ID: no event {event_id}", "NOT_FOUND")
    return json_response({"success": True, "deleted": "1"})


async def create_batch(request: web.Request) -> web.Response:
    """``POST /v1/events/batch``: store many events, optionally in one new session."""
    req = await decode_body(request, _batch_decoder)
    partial = request.app[FAULTS_KEY].take(request.method, request.path, partial=True)
    created = None if partial is None else partial.partial_batch
    result = request.app[STORE_KEY].events.create_batch(req, max_created=created)
    body: dict[str, Any] = {"event_ids": result.event_ids}
    if result.session_id is not None:
        body["session_id"] = result.session_id
    if created is None:
        return json_response({**body, "success": True})
    return json_response(
        {
            **body,
            "errors": result.errors,
            "success": False,
            "message": "Events partially created",
            "errorCode": "PARTIAL",
        },
        status=500,
    )


async def search_events(request: web.Request) -> web.Response:
    """``POST /v1/events/search``: ``{"events": [...], "count": total}``, newest first."""
    req = await decode_body(request, _search_decoder)
    date_range = req.dateRange
    query = EventQuery(
        filters=req.filters or (),
        start_ms=timestamp("start_time", date_range.start_time) if date_range else None,
        end_ms=timestamp("end_time", date_range.end_time) if date_range else None,
        evaluation_id=req.evaluation_id,
        limit=bounded("limit", req.limit, DEFAULT_PAGE_LIMIT, SEARCH_MAX_LIMIT),
        page=page_number(req.page),
    )
    events, total = _search(request.app[STORE_KEY], query)
    return json_response({"events": events, "count": total})


async def export_events(request: web.Request) -> web.Response:
    """``POST /v1/events/export`` (legacy): ``{"events": [...], "count", "totalEvents"}``.

    `project` is accepted and ignored (``honeyhive==1.7.0``'s ``events.export`` sends it).
    """
    req = await decode_body(request, _export_decoder)
    date_range = req.dateRange
    query = EventQuery(
        filters=req.filters or (),
        start_ms=timestamp("$gte", date_range.gte) if date_range else None,
        end_ms=timestamp("$lte", date_range.lte) if date_range else None,
        evaluation_id=req.evaluation_id,
        limit=bounded("limit", req.limit, DEFAULT_PAGE_LIMIT, EXPORT_MAX_LIMIT),
        page=page_number(req.page),
    )
    events, total = _search(request.app[STORE_KEY], query)
    if req.projections:
        events = [project_fields(event, req.projections) for event in events]
    events = [integer_times(event) for event in events]  # a legacy route: whole-ms times
    # The spec names the total `count`; clients (the official SDK too) read `totalEvents`.
    return json_response({"events": events, "count": total, "totalEvents": total})


ROUTES = [
    web.post("/v1/events", create_event),
    # The fixed paths go before `{event_id}` so that they win the match.
    web.post("/v1/events/batch", create_batch),
    web.post("/v1/events/search", search_events),
    web.post("/v1/events/export", export_events),
    web.get("/v1/events/{event_id}", get_event),
    web.put("/v1/events/{event_id}", update_event),
    web.delete("/v1/events/{event_id}", delete_event),
]
