"""Session models: `POST /v1/sessions`, `GET /v1/sessions/{id}` (the tree) and its delete."""

from __future__ import annotations

from ._base import JSONObject, Model, RequestModel
from .events import Event

__all__ = ["DeleteSessionResponse", "SessionTree", "StartSessionRequest"]


class StartSessionRequest(RequestModel):
    """Body of `POST /v1/sessions`; idempotent on `session_id`."""

    session_id: str | None = None
    session_name: str | None = None
    event_name: str | None = None
    source: str | None = None
    start_time: float | None = None
    """Unix milliseconds (the server replaces a string with "now")."""
    end_time: float | None = None
    """Unix milliseconds."""
    duration: float | None = None
    """Milliseconds."""
    config: JSONObject | None = None
    inputs: JSONObject | None = None
    outputs: JSONObject | None = None
    metadata: JSONObject | None = None
    user_properties: JSONObject | None = None
    children_ids: list[str] | None = None


class SessionTree(Event):
    """A node of `GET /v1/sessions/{session_id}`: an event with its children, nested.

    The root is the session event; its `metadata` carries the server's aggregates
    (`num_events`, `num_model_events`, `cost`, `total_tokens`, ...).
    """

    children: list[SessionTree] = []

    def walk(self) -> list[SessionTree]:
        """Return this node and every descendant, depth first, parents before children."""
        out: list[SessionTree] = []
        stack = [self]
        while stack:
            node = stack.pop()
            out.append(node)
            stack.extend(reversed(node.children))
        return out


class DeleteSessionResponse(Model):
    """Body returned by `DELETE /v1/sessions/{session_id}`."""

    success: bool
    deleted: str | int | None = None
