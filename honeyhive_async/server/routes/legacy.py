"""The legacy routes the official SDKs call: ``/session/start``, ``/events`` and friends.

``POST /session/start``, ``POST /session/{session_id}/traces``, ``POST``/``PUT /events``,
``POST /events/batch``, ``POST /events/model``, ``POST /events/model/batch`` and the old
``POST /events/export`` of ``honeyhive==0.2.57``. Bodies are wrapped and lenient (see
`..legacy_bodies`); what they store is what the v1 routes store, through the same store calls.
Every event they answer carries whole-millisecond times (`integer_times`). A batch is checked
whole before anything is stored: one bad event is a 400 naming it, and nothing is kept.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import msgspec
from aiohttp import web

from ...models import (
    DEFAULT_PAGE_LIMIT,
    EXPORT_MAX_LIMIT,
    CreateEventBatchRequest,
    CreateEventRequest,
    EventFilter,
    ExportDateRange,
    SessionProperties,
)
from .._http import (
    STORE_KEY,
    ServerError,
    bounded,
    decode_body,
    json_response,
    page_number,
    path_id,
)
from .._query import invalid
from ..filters import FilterError, project_fields
from ..legacy_bodies import (
    BodyError,
    LegacyBatch,
    LegacyUpdate,
    event_request,
    integer_times,
    model_event_request,
    session_request,
    update_request,
)
from ..store import EventQuery
from .events import timestamp
from .sessions import with_org

__all__ = [
    "ROUTES",
    "add_session_traces",
    "create_event_batch_legacy",
    "create_event_legacy",
    "create_model_event_batch",
    "create_model_event_legacy",
    "export_events_old",
    "start_session_legacy",
    "update_event_legacy",
]

_T = TypeVar("_T")


class _Body(msgspec.Struct, kw_only=True):
    """A legacy wrapper: unknown top-level fields (``project``) are accepted and ignored."""


class _SessionBody(_Body):
    session: Any


class _EventBody(_Body):
    event: Any


class _ModelEventBody(_Body):
    model_event: Any


class _EventBatchBody(LegacyBatch, kw_only=True):
    events: list[Any]


class _ModelBatchBody(LegacyBatch, kw_only=True):
    model_events: list[Any]


class _TracesBody(_Body):
    logs: list[Any] | None = None
    """Deprecated name of `events`."""
    events: list[Any] | None = None


class _OldExportBody(_Body):
    """``POST /events/export`` as ``honeyhive==0.2.57`` sends it (`project` is ignored)."""

    project: str | None = None
    filters: list[EventFilter] | None = None
    dateRange: ExportDateRange | None = None
    projections: list[str] | None = None
    limit: int | None = None
    page: int | None = None


class _LenientSessionProperties(_Body):
    session_name: str | None = None
    start_time: float | None = None
    user_properties: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None


_session_decoder = msgspec.json.Decoder(_SessionBody)
_event_decoder = msgspec.json.Decoder(_EventBody)
_model_event_decoder = msgspec.json.Decoder(_ModelEventBody)
_event_batch_decoder = msgspec.json.Decoder(_EventBatchBody)
_model_batch_decoder = msgspec.json.Decoder(_ModelBatchBody)
_traces_decoder = msgspec.json.Decoder(_TracesBody)
_update_decoder = msgspec.json.Decoder(LegacyUpdate)
_old_export_decoder = msgspec.json.Decoder(_OldExportBody)


def _checked(convert: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
    try:
        return convert(*args, **kwargs)
    except BodyError as exc:
        raise ServerError(400, f"Invalid request body: {exc}", "VALIDATION_ERROR") from None


async def start_session_legacy(request: web.Request) -> web.Response:
    """``POST /session/start``: ``{"session": {...}}``, as ``POST /v1/sessions`` (idempotent)."""
    body = await decode_body(request, _session_decoder)
    req = _checked(session_request, body.session)
    event = request.app[STORE_KEY].sessions.start(req)
    return json_response(integer_times(with_org(event)))


async def add_session_traces(request: web.Request) -> web.Response:
    """``POST /session/{session_id}/traces``: exactly one of ``logs`` or ``events``."""
    session_id = path_id(request, "session_id")
    body = await decode_body(request, _traces_decoder)
    if (body.logs is None) == (body.events is None):
        both = "both were given" if body.logs is not None else "neither was given"
        raise invalid(f"Give exactly one of logs (deprecated) or events: {both}")
    key, items = ("logs", body.logs) if body.logs is not None else ("events", body.events)
    requests = [_checked(event_request, item, f"{key}[{i}]") for i, item in enumerate(items or ())]
    store = request.app[STORE_KEY]
    if store.sessions.get(session_id) is None:
        raise ServerError(404, f"Session {session_id} not found", "NOT_FOUND")
    store.events.add_to_session(session_id, requests)
    return json_response({"success": True})


async def create_event_legacy(request: web.Request) -> web.Response:
    """``POST /events``: ``{"event": {...}}`` with `event_type` and `inputs`, as ``POST /v1/events``."""
    body = await decode_body(request, _event_decoder)
    req = _checked(event_request, body.event, "event", inputs_required=True)
    event = request.app[STORE_KEY].events.create(req)
    return json_response({"success": True, "event_id": event["event_id"]})


async def create_model_event_legacy(request: web.Request) -> web.Response:
    """``POST /events/model``: ``{"model_event": {...}}``, its old aliases remapped."""
    body = await decode_body(request, _model_event_decoder)
    req = _checked(model_event_request, body.model_event, "model_event")
    event = request.app[STORE_KEY].events.create(req)
    return json_response({"success": True, "event_id": event["event_id"]})


async def update_event_legacy(request: web.Request) -> web.Response:
    """``PUT /events``: update event `event_id` as ``PUT /v1/events/{event_id}`` does.

    The official tracers' ``enrich_session`` sends the session id: metadata, feedback,
    metrics, config and user_properties are merged into the session event, outputs replaced.
    The reply is ``{"success": true}``: ``honeyhive==1.7.0`` parses the body as JSON.
    """
    body = await decode_body(request, _update_decoder)
    if not body.event_id.strip():
        raise invalid("event_id must be a non-empty string")
    update = _checked(update_request, body)
    if request.app[STORE_KEY].events.update(body.event_id, update) is None:
        raise ServerError(404, f"Event {body.event_id} not found", "NOT_FOUND")
    return json_response({"success": True})


def _properties(batch: LegacyBatch) -> SessionProperties | None:
    raw = batch.session_properties if batch.session_properties is not None else batch.session
    if raw is None:
        return None
    where = "session_properties" if batch.session_properties is not None else "session"
    try:
        props = msgspec.convert(raw, _LenientSessionProperties)
    except msgspec.ValidationError as exc:
        raise invalid(f"Invalid request body: {str(exc).replace('`$', f'`{where}')}") from None
    return SessionProperties(
        session_name=props.session_name,
        start_time=props.start_time,
        user_properties=props.user_properties,
        metadata=props.metadata,
    )


def _store_batch(
    request: web.Request, batch: LegacyBatch, events: list[CreateEventRequest]
) -> web.Response:
    req = CreateEventBatchRequest(
        events=events, single_session=batch.one_session, session_properties=_properties(batch)
    )
    result = request.app[STORE_KEY].events.create_batch(req)
    body: dict[str, Any] = {"event_ids": result.event_ids, "success": True}
    if result.session_id is not None:
        body["session_id"] = result.session_id
    return json_response(body)


async def create_event_batch_legacy(request: web.Request) -> web.Response:
    """``POST /events/batch``: ``is_single_session`` and ``session`` are aliases."""
    body = await decode_body(request, _event_batch_decoder)
    events = [_checked(event_request, item, f"events[{i}]") for i, item in enumerate(body.events)]
    return _store_batch(request, body, events)


async def create_model_event_batch(request: web.Request) -> web.Response:
    """``POST /events/model/batch``: each ``model_events`` item as ``POST /events/model``."""
    body = await decode_body(request, _model_batch_decoder)
    events = [
        _checked(model_event_request, item, f"model_events[{i}]")
        for i, item in enumerate(body.model_events)
    ]
    return _store_batch(request, body, events)


async def export_events_old(request: web.Request) -> web.Response:
    """``POST /events/export`` (``honeyhive==0.2.57``'s ``get_events``): ``{events, totalEvents}``."""
    body = await decode_body(request, _old_export_decoder)
    date_range = body.dateRange
    query = EventQuery(
        filters=body.filters or (),
        start_ms=timestamp("$gte", date_range.gte) if date_range else None,
        end_ms=timestamp("$lte", date_range.lte) if date_range else None,
        limit=bounded("limit", body.limit, DEFAULT_PAGE_LIMIT, EXPORT_MAX_LIMIT),
        page=page_number(body.page),
    )
    try:
        events, total = request.app[STORE_KEY].events.search(query)
    except FilterError as exc:
        raise invalid(f"Invalid filter: {exc}") from None
    if body.projections:
        events = [project_fields(event, body.projections) for event in events]
    return json_response({"events": [integer_times(e) for e in events], "totalEvents": total})


ROUTES = [
    web.post("/session/start", start_session_legacy),
    web.post("/session/{session_id}/traces", add_session_traces),
    web.post("/events", create_event_legacy),
    web.put("/events", update_event_legacy),
    web.post("/events/batch", create_event_batch_legacy),
    web.post("/events/model", create_model_event_legacy),
    web.post("/events/model/batch", create_model_event_batch),
    web.post("/events/export", export_events_old),
]
