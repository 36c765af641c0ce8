"""`client.session`: HoneyHive sessions (a session is the root event of a trace)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from .._resource import AsyncAPIResource, path_id
from ..errors import InternalServerError
from ..models import (
    CreateEventRequest,
    DeleteSessionResponse,
    Event,
    JSONObject,
    SessionEventBatchRequest,
    SessionTracesResponse,
    SessionTree,
    StartSessionRequest,
)
from ._convert import to_struct, with_event_id
from .events import _partial_batch_error

__all__ = ["AsyncSessions"]


class AsyncSessions(AsyncAPIResource):
    """Start, read and delete sessions."""

    async def get(self, session_id: str) -> Event:
        """Retrieve a session: its root event (`GET /session/{session_id}`)."""
        return await self._get(f"/session/{path_id('session_id', session_id)}", cast_to=Event)

    async def start(
        self,
        *,
        session_id: str | None = None,
        session_name: str | None = None,
        event_name: str | None = None,
        source: str | None = None,
        inputs: JSONObject | None = None,
        outputs: JSONObject | None = None,
        config: JSONObject | None = None,
        metadata: JSONObject | None = None,
        user_properties: JSONObject | None = None,
        start_time: float | None = None,
        end_time: float | None = None,
        duration: float | None = None,
        children_ids: list[str] | None = None,
    ) -> Event:
        """Start a session (`POST /v1/sessions`) and return its session event.

        The client generates `session_id` when none is given: the route is idempotent on it,
        so a retried start can never create a second session.

        Args:
            session_id: UUID of the session; generated when omitted.
            session_name: Display name; also the event name unless `event_name` is given.
            event_name: Name of the session event.
            source: Where the session comes from, e.g. ``"production"``.
            inputs: Inputs of the whole session.
            outputs: Outputs of the whole session.
            config: Configuration of the session.
            metadata: Arbitrary metadata; merged when the session already exists.
            user_properties: Properties of the end user; merged when the session already exists.
            start_time: Unix milliseconds.
            end_time: Unix milliseconds.
            duration: Milliseconds.
            children_ids: Ids of the session's direct children.
        """
        body = StartSessionRequest(
            session_id=session_id if session_id is not None else str(uuid.uuid4()),
            session_name=session_name,
            event_name=event_name,
            source=source,
            inputs=inputs,
            outputs=outputs,
            config=config,
            metadata=metadata,
            user_properties=user_properties,
            start_time=start_time,
            end_time=end_time,
            duration=duration,
            children_ids=children_ids,
        )
        return await self._post("/v1/sessions", cast_to=Event, body=body)

    async def get_tree(self, session_id: str) -> SessionTree:
        """Retrieve a session with every event nested under its parent (`GET /v1/sessions/{id}`)."""
        path = f"/v1/sessions/{path_id('session_id', session_id)}"
        return await self._get(path, cast_to=SessionTree)

    async def delete(self, session_id: str) -> DeleteSessionResponse:
        """Delete a session and all its events (`DELETE /v1/sessions/{id}`)."""
        path = f"/v1/sessions/{path_id('session_id', session_id)}"
        return await self._delete(path, cast_to=DeleteSessionResponse)

    async def add_events(
        self, session_id: str, events: Iterable[CreateEventRequest | Mapping[str, Any]]
    ) -> SessionTracesResponse:
        """Add events to an existing session (`POST /v1/sessions/{session_id}/events/batch`).

        The path's `session_id` replaces each event's own. Events without an `event_id` get
        one first, so the ids are known even when the server adds only some (a 500). The
        request is not retried once the server may have acted.

        Args:
            session_id: The session to add to.
            events: `CreateEventRequest`s or mappings with the same fields.

        Raises:
            PartialBatchError: the server answered 500 ("Events partially added"); it carries
                the events it did not report created, with their ids, in `uncreated`.
        """
        path = f"/v1/sessions/{path_id('session_id', session_id)}/events/batch"
        items = [
            with_event_id(to_struct(event, CreateEventRequest, f"events[{i}]"))
            for i, event in enumerate(events)
        ]
        if not items:
            raise ValueError("events must not be empty")
        body = SessionEventBatchRequest(events=items)
        try:
            return await self._post(
                path, cast_to=SessionTracesResponse, body=body, idempotent=False
            )
        except InternalServerError as exc:
            if exc.status != 500:
                raise
            raise _partial_batch_error(exc, items, path) from exc
