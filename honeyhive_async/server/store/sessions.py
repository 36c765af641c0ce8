"""Sessions: the session event, its events as a tree, aggregates, and deleting a session."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ...models import StartSessionRequest
from ..filters import as_number
from ._db import EventDict, EventTable
from ._records import MERGED_ON_UPDATE, build_event, duration, merge_into, new_id, now_ms

__all__ = ["MAX_TREE_DEPTH", "Sessions"]

MAX_TREE_DEPTH = 200
"""Events nested deeper than this hang flat off their ancestor at this depth: a reply nests
two JSON levels per event, and JSON encoders stop near a thousand."""


class Sessions:
    """The sessions group: a session is the event whose id is its session id."""

    def __init__(self, table: EventTable) -> None:
        """Keep sessions in the shared events table."""
        self._table = table

    def get(self, session_id: str) -> EventDict | None:
        """Return the session event (``event_type == "session"``) with this id, or None."""
        event = self._table.get(session_id)
        if event is None or event.get("event_type") != "session":
            return None
        return event

    def events(self, session_id: str) -> list[EventDict]:
        """Return every event of a session (the session event included), oldest first."""
        return self._table.of_session(session_id)

    def start(self, req: StartSessionRequest) -> EventDict:
        """Create the session event, or merge metadata/user_properties into an existing one."""
        session_id = req.session_id or new_id()
        start = req.start_time if req.start_time is not None else now_ms()
        event = build_event(
            event_id=session_id,
            session_id=session_id,
            parent_id=None,
            children_ids=req.children_ids or [],
            event_type="session",
            event_name=req.event_name or req.session_name or "unknown",
            source=req.source,
            project_id=None,
            config=req.config,
            inputs=req.inputs,
            outputs=req.outputs,
            error=None,
            start_time=start,
            end_time=req.end_time,
            duration=req.duration if req.duration is not None else duration(start, req.end_time),
            metadata=req.metadata,
            feedback=None,
            metrics=None,
            user_properties=req.user_properties,
        )
        # Most starts are of new sessions: one insert, no read first.
        if self._table.insert_new(event):
            return event
        existing = self._table.get(session_id)
        if existing is None:  # deleted in between (not on one loop): store the new one
            self._table.put([event])
            return event
        merge_into(existing, "metadata", req.metadata)
        merge_into(existing, "user_properties", req.user_properties)
        self._table.put([existing])
        return existing

    def onto_stored(self, events: Sequence[EventDict]) -> list[EventDict]:
        """`events` to store, each session event of them merged into the session stored.

        A session event in a batch (a client sends a session that ended before it was
        started) creates the session as `start` would; when the session exists already, it
        is merged as a repeated start and an update would be: the object fields key by key,
        its outputs, end and children when it has them.
        """
        ids = [e["event_id"] for e in events if e.get("event_type") == "session"]
        if not ids:
            return list(events)
        marks = ",".join("?" * len(ids))
        where = f" WHERE event_id IN ({marks}) AND event_type = 'session'"
        stored = {event["event_id"]: event for event in self._table.scan(where, ids)}
        if not stored:  # the common case: new sessions, stored as they come
            return list(events)
        return [_merged(stored.get(e["event_id"]), e) for e in events]

    def delete(self, session_id: str) -> int:
        """Delete every event of a session, the session event included; return how many."""
        return self._table.delete_session(session_id)

    def tree(self, session_id: str) -> EventDict | None:
        """Return the session event with its events nested under `children`, or None.

        Children are ordered by `start_time`. An event whose parent is not in the session hangs
        off the root, so nothing stored is hidden; below `MAX_TREE_DEPTH` levels, descendants
        hang flat off their ancestor at that depth. The root's `metadata` gains `num_events`
        (session event excluded), `num_model_events`, `has_feedback` and token/cost sums.
        """
        events = self.events(session_id)
        root = next((e for e in events if e["event_id"] == session_id), None)
        if root is None or root.get("event_type") != "session":
            return None
        ids = {event["event_id"] for event in events}
        by_parent: dict[str, list[EventDict]] = {}
        for event in events:
            event["children"] = []
            # The tree's schema (preview `GetSessionResponse`) types `error` string, not null.
            if event.get("error") is None:
                event.pop("error", None)
            if event is root:
                continue
            parent: str = event.get("parent_id") or session_id
            if parent not in ids or parent == event["event_id"]:
                parent = session_id
            by_parent.setdefault(parent, []).append(event)
        # Iterative and visited-guarded: a parent_id cycle must not recurse forever.
        seen = {session_id}
        stack = [(root, 0)]
        while stack:
            node, depth = stack.pop()
            for child in by_parent.get(node["event_id"], []):
                if child["event_id"] not in seen:
                    seen.add(child["event_id"])
                    node["children"].append(child)
                    if depth + 1 < MAX_TREE_DEPTH:
                        stack.append((child, depth + 1))
                    else:
                        _hang_descendants(node, child, by_parent, seen)
        others = [event for event in events if event is not root]
        root["metadata"] = {**(root.get("metadata") or {}), **_aggregates(root, others)}
        return root


def _merged(stored: EventDict | None, event: EventDict) -> EventDict:
    """`event` merged into the session `stored` (None: `event` is new, stored as it is)."""
    if stored is None or event.get("event_type") != "session":
        return event
    for name in MERGED_ON_UPDATE:
        merge_into(stored, name, event.get(name))
    for name in ("outputs", "end_time", "duration"):
        if event.get(name) is not None:
            stored[name] = event[name]
    if event.get("children_ids"):
        stored["children_ids"] = event["children_ids"]
    return stored


def _hang_descendants(
    node: EventDict, child: EventDict, by_parent: dict[str, list[EventDict]], seen: set[str]
) -> None:
    """Hang every unseen descendant of `child` flat under `node`, next to `child`."""
    pending = [child]
    while pending:
        for grandchild in by_parent.get(pending.pop()["event_id"], []):
            if grandchild["event_id"] not in seen:
                seen.add(grandchild["event_id"])
                node["children"].append(grandchild)
                pending.append(grandchild)


def _aggregates(root: EventDict, events: list[EventDict]) -> dict[str, Any]:
    sums = {"cost": 0.0, "total_tokens": 0.0, "prompt_tokens": 0.0, "completion_tokens": 0.0}
    for event in events:
        metadata = event.get("metadata") or {}
        for key in sums:
            value = metadata.get(key)
            # as_number: an integer too large for a float is not summed (it would raise).
            number = as_number(value) if isinstance(value, (int, float)) else None
            if number is not None:
                sums[key] += number
    return {
        "num_events": len(events),
        "num_model_events": sum(1 for e in events if e.get("event_type") == "model"),
        "has_feedback": any(e.get("feedback") for e in [root, *events]),
        **sums,
    }
