"""Spans (from OTLP ingest) placed into sessions and trees, stored in one transaction.

A trace may arrive over several requests, children before their parents. Each event names its
parent by the parent span's event id whether or not that event is stored yet, so the tree
comes out right once both are in; `children_ids` is derived both ways (a new event lists the
children already stored, a stored parent gains the new ones). A session that does not exist
yet is started as the tracer's are, with the earliest start and latest end of its spans.

Spans that name no session wait in their trace's own session until a span of the trace names
one: then they move into it, and the trace's own session is gone. An app that puts the
session id on its root span only exports the children first (they end first), and they join
the root's session all the same.

A span may ask for its event id (honeyhive==1.7.0's ``@trace(event_id=...)`` and
``enrich_span(update_event_id=...)`` write ``honeyhive_event_id``), so that the app can update
the event later. Its children still name it by the id made from its span id: that id is kept
as an alias (`span_event_ids`), so children sent before or after it find it.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..._otel_mapping._spans import SpanEvent
from ._db import Database, EventDict, EventTable
from ._records import build_event

__all__ = ["SpanEvent", "Spans"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS span_event_ids (span_key TEXT PRIMARY KEY, event_id TEXT NOT NULL);
"""
_PUT_ALIAS = "INSERT OR REPLACE INTO span_event_ids (span_key, event_id) VALUES (?, ?)"


class Spans:
    """Storing spans as events of the shared events table."""

    def __init__(self, table: EventTable, db: Database) -> None:
        """Keep span events in the shared events table, and the ids spans asked for in `db`."""
        self._table = table
        self._db = db
        db.create(_SCHEMA)

    def ingest(self, spans: Sequence[SpanEvent]) -> list[EventDict]:
        """Store the spans' events, their sessions and their parents' `children_ids` at once.

        Returns:
            The stored events of the spans, in the order given.
        """
        sessions = self._sessions_of(spans)
        # A span's own id, unless it asks for another (not its session's: that would replace it).
        asked = {
            span.fields["event_id"]: span.event_id
            for span, session_id in zip(spans, sessions, strict=True)
            if span.event_id and span.event_id != session_id
        }
        ids = [asked.get(span.fields["event_id"], span.fields["event_id"]) for span in spans]
        events: dict[str, EventDict] = {}
        for span, session_id, event_id in zip(spans, sessions, ids, strict=True):
            parent = span.parent_event_id
            parent_id = asked.get(parent) or self._alias(parent) if parent else None
            events[event_id] = self._place(span, session_id, event_id, parent_id)
        touched = self._link_children(events)
        self._repoint_children(asked, events, touched)
        touched.update(self._open_sessions(spans, sessions, ids, events))
        emptied = self._adopt_waiting(spans, sessions, events, touched)
        self._table.put(
            [*events.values(), *touched.values()],
            removed=emptied,
            also=[(_PUT_ALIAS, list(asked.items()))],
        )
        return [events[event_id] for event_id in ids]

    def _alias(self, span_key: str) -> str:
        """The event id of the span whose own id is `span_key` (the id it asked for, if any)."""
        row = self._db.read(
            "SELECT event_id FROM span_event_ids WHERE span_key = ?", (span_key,)
        ).fetchone()
        return span_key if row is None else str(row[0])

    def _sessions_of(self, spans: Sequence[SpanEvent]) -> list[str]:
        """The session of each span: its own, its parent's, its trace's, or the trace's default."""
        by_event = {span.fields["event_id"]: span for span in spans}
        named_by_trace: dict[str, str] = {}
        for span in spans:
            if span.session_id:
                named_by_trace.setdefault(span.trace_id, span.session_id)
        out: list[str] = []
        for span in spans:
            ancestor = self._ancestor_session(span, by_event)
            if ancestor == span.trace_session_id:
                ancestor = None  # waiting in the trace's own session: a named one wins
            out.append(
                span.session_id
                or ancestor
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
                stored = self._table.get(self._alias(parent))
                return None if stored is None else stored.get("session_id")
            if pending.session_id:
                return pending.session_id
            parent = pending.parent_event_id
        return None

    def _place(
        self, span: SpanEvent, session_id: str, event_id: str, parent_id: str | None
    ) -> EventDict:
        fields = span.fields
        parent_id = parent_id or span.explicit_parent_id or session_id
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

    def _repoint_children(
        self, asked: dict[str, str], events: dict[str, EventDict], touched: dict[str, EventDict]
    ) -> None:
        """Point children stored before their parent asked for its event id at that id."""
        for span_key, event_id in asked.items():
            for stored in self._table.children_of(span_key):
                child_id = stored["event_id"]
                child = events.get(child_id) or touched.get(child_id) or stored
                if child["parent_id"] == span_key:
                    child["parent_id"] = event_id
                    if child_id not in events:
                        touched[child_id] = child
                _add_child(events[event_id], child_id)

    def _open_sessions(
        self,
        spans: Sequence[SpanEvent],
        sessions: list[str],
        ids: list[str],
        events: dict[str, EventDict],
    ) -> dict[str, EventDict]:
        """Start each session that does not exist yet; stretch the others over their spans."""
        out: dict[str, EventDict] = {}
        grouped: dict[str, list[SpanEvent]] = {}
        placed_by_session: dict[str, list[EventDict]] = {}
        for span, session_id, event_id in zip(spans, sessions, ids, strict=True):
            grouped.setdefault(session_id, []).append(span)
            placed_by_session.setdefault(session_id, []).append(events[event_id])
        for session_id, members in grouped.items():
            placed = placed_by_session[session_id]
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

    def _adopt_waiting(
        self,
        spans: Sequence[SpanEvent],
        sessions: list[str],
        events: dict[str, EventDict],
        touched: dict[str, EventDict],
    ) -> list[str]:
        """Move what waits in a trace's own session into the session the trace now names.

        The moved events join `touched`; returns the ids of the emptied trace sessions.
        """
        named: dict[str, str] = {}
        for span, session_id in zip(spans, sessions, strict=True):
            if session_id != span.trace_session_id:
                named.setdefault(span.trace_session_id, session_id)
        emptied: list[str] = []
        for waiting_id, session_id in named.items():
            waiting = self._table.of_session(waiting_id)
            session = touched.get(session_id)
            if not waiting or session is None:
                continue  # nothing waits, or the named id is an ordinary event's
            for stored in waiting:
                event_id = stored["event_id"]
                if event_id == waiting_id:
                    continue
                event = events.get(event_id) or touched.get(event_id) or stored
                event["session_id"] = session_id
                if event.get("parent_id") == waiting_id:
                    event["parent_id"] = session_id
                    _add_child(session, event_id)
                start, end = event.get("start_time"), event.get("end_time")
                if isinstance(start, (int, float)) and isinstance(end, (int, float)):
                    _stretch(session, start, end)
                if event_id not in events:
                    touched[event_id] = event
            emptied.append(waiting_id)
        return emptied


def _add_child(parent: EventDict, child_id: str) -> None:
    children = parent.setdefault("children_ids", [])
    if child_id not in children:
        children.append(child_id)


def _stretch(session: EventDict, start: float, end: float) -> None:
    """Widen a session's times to cover spans that started earlier or ended later."""
    first = session.get("start_time")
    last = session.get("end_time")
    if isinstance(first, (int, float)) and start < first:
        session["start_time"] = start
    if not isinstance(last, (int, float)) or end > last:
        session["end_time"] = end
    if isinstance(session.get("start_time"), (int, float)):
        session["duration"] = session["end_time"] - session["start_time"]
