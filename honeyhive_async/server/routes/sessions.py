"""Session routes: ``GET /session/{id}``, ``POST /v1/sessions``, ``GET``/``DELETE /v1/sessions/{id}``.

Also ``POST /v1/sessions/{id}/events/batch``.
"""

from __future__ import annotations

import msgspec
from aiohttp import web

from ...models import SessionEventBatchRequest, StartSessionRequest
from .._http import STORE_KEY, ServerError, decode_body, json_response, path_id
from ..legacy_bodies import integer_times
from ..store import LOCAL_ORG_ID, LOCAL_PROJECT_ID, LOCAL_WORKSPACE_ID, EventDict

__all__ = [
    "ROUTES",
    "add_session_events",
    "delete_session",
    "get_session_event",
    "get_session_tree",
    "start_session",
    "with_org",
]

_start_session_decoder = msgspec.json.Decoder(StartSessionRequest)
_session_events_decoder = msgspec.json.Decoder(SessionEventBatchRequest)


def with_org(event: EventDict) -> EventDict:
    """`event` with the ids a session start answers (`PostSessionStartResponse` requires them)."""
    return {
        **event,
        "org_id": LOCAL_ORG_ID,
        "workspace_id": LOCAL_WORKSPACE_ID,
        "project_id": event.get("project_id") or LOCAL_PROJECT_ID,
    }


async def get_session_event(request: web.Request) -> web.Response:
    """``GET /session/{session_id}``: the session event, bare, with whole-ms times.

    ``honeyhive==0.2.57``'s ``session.get_session`` types `end_time` as an integer.
    """
    session_id = path_id(request, "session_id")
    event = request.app[STORE_KEY].sessions.get(session_id)
    if event is None:
        raise ServerError(404, f"Session {session_id} not found", "NOT_FOUND")
    return json_response(integer_times(event))


async def start_session(request: web.Request) -> web.Response:
    """``POST /v1/sessions``: create the session event, or merge into an existing one."""
    req = await decode_body(request, _start_session_decoder)
    return json_response(with_org(request.app[STORE_KEY].sessions.start(req)))


async def get_session_tree(request: web.Request) -> web.Response:
    """``GET /v1/sessions/{session_id}``: the session event with its events nested."""
    session_id = path_id(request, "session_id")
    tree = request.app[STORE_KEY].sessions.tree(session_id)
    if tree is None:
        raise ServerError(404, f"Session {session_id} not found", "NOT_FOUND")
    return json_response(with_org(tree))


async def delete_session(request: web.Request) -> web.Response:
    """``DELETE /v1/sessions/{session_id}``: delete every event of the session (400 if none)."""
    session_id = path_id(request, "session_id")
    deleted = request.app[STORE_KEY].sessions.delete(session_id)
    if not deleted:
        # The preview spec answers 200, 400 ("Invalid session ID") or 500: no 404 here.
        raise ServerError(400, f"Invalid session ID: no session {session_id}", "NOT_FOUND")
    return json_response({"success": True, "deleted": str(deleted)})


async def add_session_events(request: web.Request) -> web.Response:
    """``POST /v1/sessions/{session_id}/events/batch``: store the events in that session."""
    session_id = path_id(request, "session_id")
    req = await decode_body(request, _session_events_decoder)
    store = request.app[STORE_KEY]
    if store.sessions.get(session_id) is None:
        raise ServerError(404, f"Session {session_id} not found", "NOT_FOUND")
    store.events.add_to_session(session_id, req.events)
    return json_response({"success": True})


ROUTES = [
    web.get("/session/{session_id}", get_session_event),
    web.post("/v1/sessions", start_session),
    web.get("/v1/sessions/{session_id}", get_session_tree),
    web.delete("/v1/sessions/{session_id}", delete_session),
    web.post("/v1/sessions/{session_id}/events/batch", add_session_events),
]
