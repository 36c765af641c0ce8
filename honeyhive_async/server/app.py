"""The local HoneyHive-compatible `aiohttp.web` application: middleware and thin route handlers.

Handlers decode request bodies with the strict request Structs of `honeyhive_async.models`
(unknown fields are rejected, as HoneyHive's v1 routes do), call the `EventStore`, and encode
the result. Every error body is ``{"message": str, "errorCode": str}`` and every response
carries an ``x-request-id`` header.
"""

from __future__ import annotations

import hmac
import logging
import uuid
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import msgspec
from aiohttp import web
from aiohttp.typedefs import Handler

from ..models import (
    DEFAULT_PAGE_LIMIT,
    EXPORT_MAX_LIMIT,
    SEARCH_MAX_LIMIT,
    CreateEventBatchRequest,
    CreateEventRequest,
    ExportEventsRequest,
    SearchEventsRequest,
    StartSessionRequest,
    UpdateEventRequest,
    parse_timestamp_ms,
)
from .faults import ADMIN_PATH, FaultRequest, FaultSwitch, fault_middleware, status_code_name
from .store import (
    LOCAL_ORG_ID,
    LOCAL_PROJECT_ID,
    LOCAL_WORKSPACE_ID,
    EventDict,
    EventQuery,
    EventStore,
    FilterError,
    project_fields,
)

__all__ = [
    "FAULTS_KEY",
    "MAX_BODY_BYTES",
    "REQUESTS_KEY",
    "REQUEST_LOG_SIZE",
    "STORE_KEY",
    "RecordedRequest",
    "create_app",
]

logger = logging.getLogger(__name__)

REQUEST_LOG_SIZE = 1000
MAX_BODY_BYTES = 5 * 1024 * 1024
"""HoneyHive documents a 5 MB request limit; larger bodies get a 413."""


_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request as the server received it."""

    method: str
    path: str
    query: str
    """The raw query string, without ``?``."""
    headers: Mapping[str, str]
    """Case-insensitive, as received."""
    body: bytes

    def json(self) -> Any:
        """Return the body decoded as JSON."""
        return msgspec.json.decode(self.body)


STORE_KEY = web.AppKey("store", EventStore)
FAULTS_KEY = web.AppKey("faults", FaultSwitch)
REQUESTS_KEY: web.AppKey[deque[RecordedRequest]] = web.AppKey("requests")
_API_KEY = web.AppKey("api_key", str)

_encoder = msgspec.json.Encoder()
_start_session_decoder = msgspec.json.Decoder(StartSessionRequest)
_create_event_decoder = msgspec.json.Decoder(CreateEventRequest)
_update_event_decoder = msgspec.json.Decoder(UpdateEventRequest)
_batch_decoder = msgspec.json.Decoder(CreateEventBatchRequest)
_search_decoder = msgspec.json.Decoder(SearchEventsRequest)
_export_decoder = msgspec.json.Decoder(ExportEventsRequest)
_fault_decoder = msgspec.json.Decoder(FaultRequest)


class ServerError(Exception):
    """An error reply: turned into ``{"message", "errorCode"}`` with `status` by the middleware."""

    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code or status_code_name(status)


def _json(body: object, status: int = 200) -> web.Response:
    return web.Response(body=_encoder.encode(body), status=status, content_type="application/json")


def _error(
    status: int, message: str, code: str, headers: Mapping[str, str] | None = None
) -> web.Response:
    response = _json({"message": message, "errorCode": code}, status)
    if headers:
        response.headers.update(headers)
    return response


# -- middleware ----------------------------------------------------------------------------


@web.middleware
async def _envelope(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Give every response a request id and every error the JSON error shape."""
    try:
        response = await handler(request)
    except ServerError as exc:
        response = _error(exc.status, exc.message, exc.code)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        # Router 404/405 and the body-size 413 come from aiohttp as text; keep only `Allow`.
        allow = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else None
        message = f"{exc.reason}: {request.method} {request.path}"
        response = _error(exc.status, message, status_code_name(exc.status), allow)
    except Exception:
        logger.exception("unhandled error in %s %s", request.method, request.path)
        response = _error(500, "Internal server error", "INTERNAL_SERVER_ERROR")
    response.headers["x-request-id"] = uuid.uuid4().hex
    return response


@web.middleware
async def _record(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Keep the request (body included) in the app's bounded request log."""
    if request.path == ADMIN_PATH:
        return await handler(request)
    body = b""
    try:
        body = await request.read()
    finally:
        # Logged even when the body is refused (413), so tests can see what was attempted.
        request.app[REQUESTS_KEY].append(
            RecordedRequest(
                method=request.method,
                path=request.path,
                query=request.query_string,
                headers=request.headers.copy(),
                body=body,
            )
        )
    return await handler(request)


@web.middleware
async def _authenticate(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Require ``Authorization: Bearer <api_key>`` on every route."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    expected = request.app[_API_KEY].encode()
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), expected):
        raise ServerError(
            401,
            "Missing or invalid API key: send 'Authorization: Bearer <api_key>'",
            "UNAUTHORIZED",
        )
    return await handler(request)


# -- helpers -------------------------------------------------------------------------------


async def _decode(request: web.Request, decoder: msgspec.json.Decoder[_T]) -> _T:
    body = await request.read()
    try:
        return decoder.decode(body)
    except msgspec.ValidationError as exc:
        raise ServerError(400, f"Invalid request body: {exc}", "VALIDATION_ERROR") from None
    except msgspec.DecodeError as exc:
        raise ServerError(400, f"Request body is not valid JSON: {exc}", "INVALID_JSON") from None


def _path_id(request: web.Request, name: str) -> str:
    value = request.match_info.get(name, "")
    if not value.strip():
        raise ServerError(400, f"{name} must be a non-empty string", "VALIDATION_ERROR")
    return value


def _bounded(name: str, value: int | None, default: int, maximum: int) -> int:
    if value is None:
        return default
    if not 1 <= value <= maximum:
        raise ServerError(
            400, f"{name} must be between 1 and {maximum}, got {value}", "VALIDATION_ERROR"
        )
    return value


def _page(value: int | None) -> int:
    if value is None:
        return 1
    if value < 1:
        raise ServerError(400, f"page must be at least 1, got {value}", "VALIDATION_ERROR")
    return value


def _timestamp(name: str, value: str) -> float:
    try:
        parsed = parse_timestamp_ms(value)
    except ValueError:
        parsed = None
    if parsed is None:
        raise ServerError(
            400, f"dateRange.{name} is not a timestamp: {value!r}", "VALIDATION_ERROR"
        )
    return parsed


def _search(store: EventStore, query: EventQuery) -> tuple[list[EventDict], int]:
    try:
        return store.search(query)
    except FilterError as exc:
        raise ServerError(400, f"Invalid filter: {exc}", "VALIDATION_ERROR") from None


def _with_org(event: EventDict) -> EventDict:
    return {
        **event,
        "org_id": LOCAL_ORG_ID,
        "workspace_id": LOCAL_WORKSPACE_ID,
        "project_id": event.get("project_id") or LOCAL_PROJECT_ID,
    }


# -- handlers ------------------------------------------------------------------------------


async def get_session_event(request: web.Request) -> web.Response:
    """``GET /session/{session_id}``: the session event, bare."""
    session_id = _path_id(request, "session_id")
    event = request.app[STORE_KEY].get_session(session_id)
    if event is None:
        raise ServerError(404, f"Session {session_id} not found", "NOT_FOUND")
    return _json(event)


async def start_session(request: web.Request) -> web.Response:
    """``POST /v1/sessions``: create the session event, or merge into an existing one."""
    req = await _decode(request, _start_session_decoder)
    return _json(_with_org(request.app[STORE_KEY].start_session(req)))


async def get_session_tree(request: web.Request) -> web.Response:
    """``GET /v1/sessions/{session_id}``: the session event with its events nested."""
    session_id = _path_id(request, "session_id")
    tree = request.app[STORE_KEY].session_tree(session_id)
    if tree is None:
        raise ServerError(404, f"Session {session_id} not found", "NOT_FOUND")
    return _json(_with_org(tree))


async def delete_session(request: web.Request) -> web.Response:
    """``DELETE /v1/sessions/{session_id}``: delete every event of the session."""
    deleted = request.app[STORE_KEY].delete_session(_path_id(request, "session_id"))
    return _json({"success": True, "deleted": str(deleted)})


async def create_event(request: web.Request) -> web.Response:
    """``POST /v1/events``: store one event (upsert by `event_id`)."""
    req = await _decode(request, _create_event_decoder)
    event = request.app[STORE_KEY].create_event(req)
    return _json({"success": True, "event_id": event["event_id"]})


async def get_event(request: web.Request) -> web.Response:
    """``GET /v1/events/{event_id}``: ``{"event": {...}}``."""
    event_id = _path_id(request, "event_id")
    event = request.app[STORE_KEY].get_event(event_id)
    if event is None:
        raise ServerError(404, f"Event {event_id} not found", "NOT_FOUND")
    return _json({"event": event})


async def update_event(request: web.Request) -> web.Response:
    """``PUT /v1/events/{event_id}``: merge/replace the updatable fields."""
    event_id = _path_id(request, "event_id")
    req = await _decode(request, _update_event_decoder)
    if request.app[STORE_KEY].update_event(event_id, req) is None:
        raise ServerError(404, f"Event {event_id} not found", "NOT_FOUND")
    return _json({"success": True})


async def create_batch(request: web.Request) -> web.Response:
    """``POST /v1/events/batch``: store many events, optionally in one new session."""
    req = await _decode(request, _batch_decoder)
    partial = request.app[FAULTS_KEY].take(request.method, request.path, partial=True)
    created = None if partial is None else partial.partial_batch
    result = request.app[STORE_KEY].create_batch(req, max_created=created)
    body: dict[str, Any] = {"event_ids": result.event_ids}
    if result.session_id is not None:
        body["session_id"] = result.session_id
    if created is None:
        return _json({**body, "success": True})
    return _json(
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
    req = await _decode(request, _search_decoder)
    date_range = req.dateRange
    query = EventQuery(
        filters=req.filters or (),
        start_ms=_timestamp("start_time", date_range.start_time) if date_range else None,
        end_ms=_timestamp("end_time", date_range.end_time) if date_range else None,
        evaluation_id=req.evaluation_id,
        limit=_bounded("limit", req.limit, DEFAULT_PAGE_LIMIT, SEARCH_MAX_LIMIT),
        page=_page(req.page),
    )
    events, total = _search(request.app[STORE_KEY], query)
    return _json({"events": events, "count": total})


async def export_events(request: web.Request) -> web.Response:
    """``POST /v1/events/export`` (legacy): ``{"events": [...], "totalEvents": total}``."""
    req = await _decode(request, _export_decoder)
    date_range = req.dateRange
    query = EventQuery(
        filters=req.filters or (),
        start_ms=_timestamp("$gte", date_range.gte) if date_range else None,
        end_ms=_timestamp("$lte", date_range.lte) if date_range else None,
        evaluation_id=req.evaluation_id,
        limit=_bounded("limit", req.limit, DEFAULT_PAGE_LIMIT, EXPORT_MAX_LIMIT),
        page=_page(req.page),
    )
    events, total = _search(request.app[STORE_KEY], query)
    if req.projections:
        events = [project_fields(event, req.projections) for event in events]
    return _json({"events": events, "totalEvents": total})


async def arm_fault(request: web.Request) -> web.Response:
    """``POST /_faults``: arm a fault from outside the process."""
    req = await _decode(request, _fault_decoder)
    faults = request.app[FAULTS_KEY]
    try:
        faults.arm(req)
    except ValueError as exc:
        raise ServerError(400, str(exc), "VALIDATION_ERROR") from None
    return _json({"success": True, "pending": len(faults.pending), "hits": faults.hits})


async def fault_state(request: web.Request) -> web.Response:
    """``GET /_faults``: how many faults are armed and how many requests they hit."""
    faults = request.app[FAULTS_KEY]
    return _json({"pending": len(faults.pending), "hits": faults.hits})


async def clear_faults(request: web.Request) -> web.Response:
    """``DELETE /_faults``: disarm every fault."""
    request.app[FAULTS_KEY].clear()
    return _json({"success": True})


# -- assembly ------------------------------------------------------------------------------


def _add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/session/{session_id}", get_session_event)
    router.add_post("/v1/sessions", start_session)
    router.add_get("/v1/sessions/{session_id}", get_session_tree)
    router.add_delete("/v1/sessions/{session_id}", delete_session)
    router.add_post("/v1/events", create_event)
    # The fixed paths go before `{event_id}` so that they win the match.
    router.add_post("/v1/events/batch", create_batch)
    router.add_post("/v1/events/search", search_events)
    router.add_post("/v1/events/export", export_events)
    router.add_get("/v1/events/{event_id}", get_event)
    router.add_put("/v1/events/{event_id}", update_event)
    router.add_post(ADMIN_PATH, arm_fault)
    router.add_get(ADMIN_PATH, fault_state)
    router.add_delete(ADMIN_PATH, clear_faults)


def create_app(*, api_key: str, db: str = ":memory:") -> web.Application:
    """Build the local HoneyHive-compatible app.

    Args:
        api_key: The bearer token every request must carry.
        db: An SQLite file path, or ``":memory:"`` for a store that lives as long as the app.

    Returns:
        The application; its store, fault switch and request log are under `STORE_KEY`,
        `FAULTS_KEY` and `REQUESTS_KEY`.
    """
    if not api_key:
        raise ValueError("api_key must be a non-empty string")
    faults = FaultSwitch()
    app = web.Application(
        middlewares=[_envelope, _record, _authenticate, fault_middleware(faults)],
        client_max_size=MAX_BODY_BYTES,
    )
    app[_API_KEY] = api_key
    app[STORE_KEY] = EventStore(db)
    app[FAULTS_KEY] = faults
    app[REQUESTS_KEY] = deque(maxlen=REQUEST_LOG_SIZE)
    _add_routes(app.router)

    async def release_faults(app: web.Application) -> None:
        app[FAULTS_KEY].stop()

    async def close_store(app: web.Application) -> None:
        app[STORE_KEY].close()

    app.on_shutdown.append(release_faults)
    app.on_cleanup.append(close_store)
    return app
