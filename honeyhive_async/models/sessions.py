"""Session models: `POST /v1/sessions`, `GET /v1/sessions/{id}` (the tree) and its delete."""

from __future__ import annotations

from ..errors import APIResponseDecodeError
from ._base import JSONObject, Model, RequestModel
from .events import CreateEventRequest, Event

__all__ = [
    "DeleteSessionResponse",
    "SessionEventBatchRequest",
    "SessionTracesResponse",
    "SessionTree",
    "StartSessionRequest",
]


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
        return [node for _, node in self.walk_with_depth()]

    def walk_with_depth(self) -> list[tuple[int, SessionTree]]:
        """Return ``(depth, node)`` pairs in `walk()` order; this node is depth 0."""
        out: list[tuple[int, SessionTree]] = []
        stack: list[tuple[int, SessionTree]] = [(0, self)]
        while stack:  # iterative: a deep tree cannot hit the recursion limit
            depth, node = stack.pop()
            out.append((depth, node))
            stack.extend((depth + 1, child) for child in reversed(node.children))
        return out

    def __str__(self) -> str:
        """Return the whole tree as an indented outline, one event per line in `walk()` order.

        Each line shows the event's type, name and duration (``running`` while it has no end
        time) and its error, if any; `repr()` still shows the root's fields.
        """
        lines = []
        for depth, node in self.walk_with_depth():
            line = f"{'  ' * depth}{node.event_type or '?'} {node.event_name or '(unnamed)'}"
            line += f"  {_duration_text(node)}"
            if node.error:
                line += f"  ERROR {node.error}"
            lines.append(line)
        return "\n".join(lines)


def _duration_text(node: Event) -> str:
    if node.duration is not None:
        return f"{node.duration:.1f} ms"
    if node.end_time is None:
        return "running"
    try:  # a timestamp in an unknown format must not make printing the tree fail
        start, end = node.start_time_ms, node.end_time_ms
    except APIResponseDecodeError:
        return "? ms"
    return f"{end - start:.1f} ms" if start is not None and end is not None else "? ms"


class DeleteSessionResponse(Model):
    """Body returned by `DELETE /v1/sessions/{session_id}`."""

    success: bool
    deleted: str | int | None = None


class SessionEventBatchRequest(RequestModel):
    """Body of `POST /v1/sessions/{session_id}/events/batch`; the path sets each `session_id`."""

    events: list[CreateEventRequest]


class SessionTracesResponse(Model):
    """Body returned by `POST /v1/sessions/{session_id}/events/batch`."""

    success: bool
