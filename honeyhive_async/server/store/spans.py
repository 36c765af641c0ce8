"""Spans (from OTLP ingest) placed into sessions and trees, stored in one transaction.

A trace may arrive over several requests, children before their parents. Each event names its
parent by the parent span's event id whether or not that event is stored yet, so the tree
comes out right once both are in; `children_ids` is derived both ways (a new event lists the
children already stored, a stored parent gains the new ones). A session that does not exist
yet is started as the tracer's are, with the earliest start and latest end of its spans.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..._otel_mapping._spans import SpanEvent
from ._db import EventDict, EventTable
from ._records import build_event

__all__ = ["SpanEvent", "Spans"]


class Spans:
    """Storing spans as events of the shared events table."""

    def __init__(self, table: EventTable) -> None:
        """Keep span events in the shared events table."""
        self._table = table

    def ingest(self, spans: Sequence[SpanEvent]) -> list[EventDict]:
        """Store the spans' events, their sessions and their parents' `children_ids` at once.

        Returns:
            The stored events of the spans, in the order given.
        """
        sessions = self._sessions_of(spans)
        events: dict[str, EventDict] = {}
        for span, session_id in zip(spans, sessions, strict=True):
            events[span.fields["event_id"]] = self._place(span, session_id)
        touched = self._link_children(events)
        touched.update(self._open_sessions(spans, sessions, events))
        self._table.put([*events.values(), *touched.values()])
        return [events[span.fields["event_id"]] for span in spans]

    def _sessions_of(self, spans: Sequence[SpanEvent]) -> list[str]:
        """The session of each span: its own, its parent's, its trace's, or the trace's default."""
        by_event = {span.fields["event_id"]: span for span in spans}
        named_by_trace: dict[str, str] = {}
        for span in spans:
            if span.session_id:
                named_by_trace.setdefault(span.trace_id, span.session_id)
        out: list[str] = []
        for span in spans:
            out.append(
                span.session_id
                or self._ancestor_session(span, by_event)
                or named_by_trace.get(span.trace_id)
                or span.trace_session_id
            )
        return out

    def _ancestor_session(self, span: SpanEvent, by_event: dict[str, SpanEvent]) -> str | None:
        """The session of the nearest ancestor that has one, in this request or stored."""
        seen: set[str] = set()
        parent = span.parent_event_id
        while parent is not None and parent not in seen:
            seen.add(parent)
            pending = by_event.get(parent)
            if pending is None:
                stored = self._table.get(parent)
                return None if stored is None else stored.get("session_id")
            if pending.session_id:
                return pending.session_id
            parent = pending.parent_event_id
        return None

    def _place(self, span: SpanEvent, session_id: str) -> EventDict:
        fields = span.fields
        event_id = fields["event_id"]
        parent_id = span.parent_event_id or span.explicit_parent_id or session_id
        stored = self._table.get(event_id)
        # A span sent again keeps the children found for it so far.
        children = list((stored or {}).get("children_ids") or [])
        return build_event(
            event_id=event_id,
            session_id=session_id,
            parent_id=parent_id,
            children_ids=children,
            **{name: value for name, value in fields.items() if name != "event_id"},
        )

    def _link_children(self, events: dict[str, EventDict]) -> dict[str, EventDict]:
        """Fill `children_ids` both ways; return the stored parents that gained children."""
        touched: dict[str, EventDict] = {}
        for event_id, event in events.items():
            for child in self._table.children_of(event_id):
                if child["event_id"] not in events:
                    _add_child(event, child["event_id"])
        for event_id, event in events.items():
            parent_id = event["parent_id"]
            if parent_id == event_id:
                continue
            parent = events.get(parent_id) or touched.get(parent_id) or self._table.get(parent_id)
            if parent is not None:
                _add_child(parent, event_id)
                if parent_id not in events:
                    touched[parent_id] = parent
        return touched

    def _open_sessions(
        self, spans: Sequence[SpanEvent], sessions: list[str], events: dict[str, EventDict]
    ) -> dict[str, EventDict]:
        """Start each session that does not exist yet; stretch the others over their spans."""
        out: dict[str, EventDict] = {}
        grouped: dict[str, list[SpanEvent]] = {}
        for span, session_id in zip(spans, sessions, strict=True):
            grouped.setdefault(session_id, []).append(span)
        for session_id, members in grouped.items():
            placed = [events[span.fields["event_id"]] for span in members]
            start = min(event["start_time"] for event in placed)
            end = max(event["end_time"] for event in placed)
            session = self._table.get(session_id)
            if session is None:
                roots = [span for span in members if span.parent_event_id is None]
                session = build_event(
                    event_id=session_id,
                    session_id=session_id,
                    parent_id=None,
                    children_ids=[],
                    event_type="session",
                    event_name=(roots or members)[0].session_name,
                    source=(roots or members)[0].fields.get("source"),
                    project_id=None,
                    config=None,
                    inputs=None,
                    outputs=None,
                    error=None,
                    start_time=start,
                    end_time=end,
                    duration=end - start,
                    metadata=None,
                    feedback=None,
                    metrics=None,
                    user_properties=None,
                )
            elif session.get("event_type") != "session":
                continue  # an ordinary event has this id: the spans hang off nothing new
            else:
                _stretch(session, start, end)
            for event in placed:
                if event["parent_id"] == session_id:
                    _add_child(session, event["event_id"])
            out[session_id] = session
        return out


def _add_child(parent: EventDict, child_id: str) -> None:
    children = parent.setdefault("children_ids", [])
    if child_id not in children:
        children.append(child_id)


def _stretch(session: EventDict, start: int, end: int) -> None:
    """Widen a session's times to cover spans that started earlier or ended later."""
    first = session.get("start_time")
    last = session.get("end_time")
    if isinstance(first, (int, float)) and start < first:
        session["start_time"] = start
    if not isinstance(last, (int, float)) or end > last:
        session["end_time"] = end
    if isinstance(session.get("start_time"), (int, float)):
        session["duration"] = session["end_time"] - session["start_time"]
