"""SQLite persistence for the local server: events, sessions, search and the session tree.

Each event is kept as its JSON blob plus a few indexed columns; searches push the cheap,
indexed conditions into SQL and evaluate the rest (dotted paths, typed compares) in Python.
Nothing here knows about HTTP.
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec

from ..models import (
    CreateEventBatchRequest,
    CreateEventRequest,
    EventFilter,
    ExportFilter,
    StartSessionRequest,
    UpdateEventRequest,
    parse_timestamp_ms,
)

__all__ = [
    "LOCAL_ORG_ID",
    "LOCAL_PROJECT_ID",
    "LOCAL_WORKSPACE_ID",
    "BatchResult",
    "EventDict",
    "EventQuery",
    "EventStore",
    "FilterError",
    "project_fields",
]

EventDict = dict[str, Any]
"""An event as stored and returned: every field of the `Event` shape, in wire order."""

LOCAL_ORG_ID = "local-org"
LOCAL_WORKSPACE_ID = "local-workspace"
LOCAL_PROJECT_ID = "local-project"

_MERGED_ON_UPDATE = ("metadata", "feedback", "metrics", "config", "user_properties")
_OBJECT_FIELDS = ("inputs", "outputs", *_MERGED_ON_UPDATE)
_INDEXED = ("event_id", "session_id", "parent_id", "event_type", "event_name")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    event_id   TEXT PRIMARY KEY,
    session_id TEXT,
    parent_id  TEXT,
    event_type TEXT,
    event_name TEXT,
    start_time REAL,
    body       BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_session ON events (session_id, start_time);
CREATE INDEX IF NOT EXISTS events_by_start ON events (start_time);
"""
_UPSERT = """
INSERT INTO events (event_id, session_id, parent_id, event_type, event_name, start_time, body)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (event_id) DO UPDATE SET
    session_id = excluded.session_id, parent_id = excluded.parent_id,
    event_type = excluded.event_type, event_name = excluded.event_name,
    start_time = excluded.start_time, body = excluded.body
"""
# rowid breaks start_time ties so that paging is stable.
_ORDER = " ORDER BY start_time DESC, rowid DESC"

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(dict[str, Any])


class FilterError(ValueError):
    """A search filter or date range that cannot be evaluated (bad value for its type)."""


@dataclass(frozen=True, slots=True)
class EventQuery:
    """What to search for; `filters` are `EventFilter`/`ExportFilter` Structs."""

    filters: Sequence[EventFilter | ExportFilter] = ()
    start_ms: float | None = None
    """Inclusive lower bound on `start_time`."""
    end_ms: float | None = None
    """Inclusive upper bound on `start_time`."""
    evaluation_id: str | None = None
    """Keep events whose `metadata.run_id` is this id."""
    limit: int = 1000
    page: int = 1
    """1-based."""


@dataclass(slots=True)
class BatchResult:
    """Outcome of `EventStore.create_batch`."""

    event_ids: list[str]
    """Ids actually stored, in request order."""
    session_id: str | None
    errors: list[dict[str, Any]] = field(default_factory=list)
    """One entry per event that was not stored."""


def _new_id() -> str:
    return str(uuid.uuid4())


def _now_ms() -> int:
    return int(time.time() * 1000)


def _duration(start: float | None, end: float | None) -> float | None:
    if start is None or end is None:
        return None
    return end - start


class EventStore:
    """Events and sessions in one SQLite table (a session is the event whose id is its session id).

    Not thread-safe: use it from the thread (event loop) that created it.
    """

    def __init__(self, path: str = ":memory:") -> None:
        """Open (and create if needed) the database at `path`; ``":memory:"`` keeps nothing."""
        self.path = path
        self._conn = sqlite3.connect(path)
        if path != ":memory:":
            # WAL lets a reader (e.g. `sqlite3` in another shell) look while the server writes,
            # and NORMAL sync is durable enough for a local test store.
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the database connection."""
        self._conn.close()

    # -- reads ---------------------------------------------------------------------------

    def get_event(self, event_id: str) -> EventDict | None:
        """Return the event with this id, or None."""
        row = self._conn.execute(
            "SELECT body FROM events WHERE event_id = ?", (event_id,)
        ).fetchone()
        return None if row is None else _decoder.decode(row[0])

    def get_session(self, session_id: str) -> EventDict | None:
        """Return the session event (``event_type == "session"``) with this id, or None."""
        event = self.get_event(session_id)
        if event is None or event.get("event_type") != "session":
            return None
        return event

    def count(self, session_id: str | None = None) -> int:
        """Return how many events are stored, in one session or in all."""
        if session_id is None:
            row = self._conn.execute("SELECT COUNT(*) FROM events").fetchone()
        else:
            row = self._conn.execute(
                "SELECT COUNT(*) FROM events WHERE session_id = ?", (session_id,)
            ).fetchone()
        return int(row[0])

    def session_events(self, session_id: str) -> list[EventDict]:
        """Return every event of a session (the session event included), oldest first."""
        rows = self._conn.execute(
            "SELECT body FROM events WHERE session_id = ? ORDER BY start_time, rowid", (session_id,)
        )
        return [_decoder.decode(row[0]) for row in rows]

    # -- writes --------------------------------------------------------------------------

    def start_session(self, req: StartSessionRequest) -> EventDict:
        """Create the session event, or merge metadata/user_properties into an existing one."""
        session_id = req.session_id or _new_id()
        existing = self.get_event(session_id)
        if existing is not None:
            _merge_into(existing, "metadata", req.metadata)
            _merge_into(existing, "user_properties", req.user_properties)
            self._write([existing])
            return existing
        start = req.start_time if req.start_time is not None else _now_ms()
        event = _event(
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
            duration=req.duration if req.duration is not None else _duration(start, req.end_time),
            metadata=req.metadata,
            feedback=None,
            metrics=None,
            user_properties=req.user_properties,
        )
        self._write([event])
        return event

    def create_event(self, req: CreateEventRequest) -> EventDict:
        """Store an event, replacing any event with the same id."""
        event = _event_from_request(req, session_id=None)
        self._write([event])
        return event

    def create_batch(
        self, req: CreateEventBatchRequest, *, max_created: int | None = None
    ) -> BatchResult:
        """Store a batch of events (upserted by id), optionally all in one new session.

        Args:
            req: The decoded batch body.
            max_created: Store only this many events (the rest are reported in `errors`);
                the partial-batch fault uses it.
        """
        session_id: str | None = None
        if req.single_session:
            props = req.session_properties
            session = self.start_session(
                StartSessionRequest(
                    session_name=props.session_name if props else None,
                    start_time=props.start_time if props else None,
                    metadata=props.metadata if props else None,
                    user_properties=props.user_properties if props else None,
                )
            )
            session_id = session["session_id"]
        events = [_event_from_request(item, session_id=session_id) for item in req.events]
        keep = events if max_created is None else events[: max(max_created, 0)]
        self._write(keep)
        errors = [
            {"index": index, "event_id": event["event_id"], "message": "Event not created"}
            for index, event in enumerate(events)
            if index >= len(keep)
        ]
        if session_id is None:
            session_ids = {event["session_id"] for event in events}
            session_id = session_ids.pop() if len(session_ids) == 1 else None
        return BatchResult([event["event_id"] for event in keep], session_id, errors)

    def update_event(self, event_id: str, req: UpdateEventRequest) -> EventDict | None:
        """Apply an update and return the new event, or None if there is no such event.

        `metadata`, `feedback`, `metrics`, `config` and `user_properties` are merged;
        `outputs` is replaced (null keeps it); `children_ids` is set only when non-empty.
        """
        event = self.get_event(event_id)
        if event is None:
            return None
        patch: dict[str, Any] = msgspec.to_builtins(req)
        for name in _MERGED_ON_UPDATE:
            _merge_into(event, name, patch.get(name))
        if patch.get("outputs") is not None:
            event["outputs"] = patch["outputs"]
        if patch.get("children_ids"):
            event["children_ids"] = patch["children_ids"]
        if patch.get("end_time") is not None:
            event["end_time"] = patch["end_time"]
            event["duration"] = _duration(_as_number(event.get("start_time")), event["end_time"])
        if patch.get("duration") is not None:
            event["duration"] = patch["duration"]
        self._write([event])
        return event

    def delete_session(self, session_id: str) -> int:
        """Delete every event of a session, the session event included; return how many."""
        with self._conn:
            cursor = self._conn.execute("DELETE FROM events WHERE session_id = ?", (session_id,))
        return cursor.rowcount

    def _write(self, events: Iterable[EventDict]) -> None:
        rows = [
            (*(event[name] for name in _INDEXED), event["start_time"], _encoder.encode(event))
            for event in events
        ]
        with self._conn:
            self._conn.executemany(_UPSERT, rows)

    # -- search and tree -----------------------------------------------------------------

    def search(self, query: EventQuery) -> tuple[list[EventDict], int]:
        """Return one page of matching events, newest `start_time` first, and the total count."""
        where, params, residual = _compile(query)
        offset = (query.page - 1) * query.limit
        if not residual:
            total = self._conn.execute(f"SELECT COUNT(*) FROM events{where}", params).fetchone()
            rows = self._conn.execute(
                f"SELECT body FROM events{where}{_ORDER} LIMIT ? OFFSET ?",
                (*params, query.limit, offset),
            )
            return [_decoder.decode(row[0]) for row in rows], int(total[0])
        matched = [
            event
            for event in self._scan(where, params)
            if all(_matches(event, item) for item in residual)
        ]
        return matched[offset : offset + query.limit], len(matched)

    def _scan(self, where: str, params: Sequence[Any]) -> Iterator[EventDict]:
        for row in self._conn.execute(f"SELECT body FROM events{where}{_ORDER}", params):
            yield _decoder.decode(row[0])

    def session_tree(self, session_id: str) -> EventDict | None:
        """Return the session event with its events nested under `children`, or None.

        Children are ordered by `start_time`. An event whose parent is not in the session hangs
        off the root, so nothing stored is hidden. The root's `metadata` gains `num_events`
        (session event excluded), `num_model_events`, `has_feedback` and token/cost sums.
        """
        events = self.session_events(session_id)
        root = next((e for e in events if e["event_id"] == session_id), None)
        if root is None or root.get("event_type") != "session":
            return None
        ids = {event["event_id"] for event in events}
        by_parent: dict[str, list[EventDict]] = {}
        for event in events:
            event["children"] = []
            if event is root:
                continue
            parent: str = event.get("parent_id") or session_id
            if parent not in ids or parent == event["event_id"]:
                parent = session_id
            by_parent.setdefault(parent, []).append(event)
        # Iterative and visited-guarded: a parent_id cycle must not recurse forever.
        seen = {session_id}
        stack = [root]
        while stack:
            node = stack.pop()
            for child in by_parent.get(node["event_id"], []):
                if child["event_id"] not in seen:
                    seen.add(child["event_id"])
                    node["children"].append(child)
                    stack.append(child)
        others = [event for event in events if event is not root]
        root["metadata"] = {**(root.get("metadata") or {}), **_aggregates(root, others)}
        return root


# -- event construction ------------------------------------------------------------------


def _event(**fields: Any) -> EventDict:
    event = dict(fields)
    event["source"] = fields["source"] or "unknown"
    event["project_id"] = fields["project_id"] or LOCAL_PROJECT_ID
    for name in _OBJECT_FIELDS:
        if event[name] is None:
            event[name] = {}
    return event


def _event_from_request(req: CreateEventRequest, *, session_id: str | None) -> EventDict:
    event_id = req.event_id or _new_id()
    if session_id is None:
        # A session event posted without a session id is its own session.
        session_id = req.session_id or (event_id if req.event_type == "session" else _new_id())
    parent_id = req.parent_id
    if parent_id is None and event_id != session_id:
        parent_id = session_id
    start = req.start_time if req.start_time is not None else _now_ms()
    return _event(
        event_id=event_id,
        session_id=session_id,
        parent_id=parent_id,
        children_ids=req.children_ids or [],
        event_type=req.event_type,
        event_name=req.event_name or "unknown",
        source=req.source,
        project_id=req.project_id,
        config=req.config,
        inputs=req.inputs,
        outputs=req.outputs,
        error=req.error if isinstance(req.error, str) else None,
        start_time=start,
        end_time=req.end_time,
        duration=req.duration if req.duration is not None else _duration(start, req.end_time),
        metadata=req.metadata,
        feedback=req.feedback,
        metrics=req.metrics,
        user_properties=req.user_properties,
    )


def _merge_into(event: EventDict, name: str, value: dict[str, Any] | None) -> None:
    if value:
        event[name] = {**(event.get(name) or {}), **value}


def _aggregates(root: EventDict, events: list[EventDict]) -> dict[str, Any]:
    sums = {"cost": 0.0, "total_tokens": 0.0, "prompt_tokens": 0.0, "completion_tokens": 0.0}
    for event in events:
        metadata = event.get("metadata") or {}
        for key in sums:
            value = metadata.get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                sums[key] += value
    return {
        "num_events": len(events),
        "num_model_events": sum(1 for e in events if e.get("event_type") == "model"),
        "has_feedback": any(e.get("feedback") for e in [root, *events]),
        **sums,
    }


def project_fields(event: EventDict, projections: Sequence[str]) -> EventDict:
    """Return only the projected fields of `event` (dotted paths nest), plus `event_id`."""
    out: EventDict = {"event_id": event["event_id"]}
    for path in projections:
        value = _resolve(event, path)
        if value is _MISSING:
            continue
        *parents, leaf = path.split(".")
        target = out
        for part in parents:
            nested = target.get(part)
            if not isinstance(nested, dict):
                nested = target[part] = {}
            target = nested
        target[leaf] = value
    return out


# -- filters -----------------------------------------------------------------------------

_MISSING: Any = object()
_Filter = EventFilter | ExportFilter


def _compile(query: EventQuery) -> tuple[str, list[Any], list[_Filter]]:
    """Split a query into an indexed SQL WHERE clause and the filters left for Python."""
    clauses: list[str] = []
    params: list[Any] = []
    residual: list[_Filter] = []
    if query.start_ms is not None:
        clauses.append("start_time >= ?")
        params.append(query.start_ms)
    if query.end_ms is not None:
        clauses.append("start_time <= ?")
        params.append(query.end_ms)
    for item in query.filters:
        _validate(item)
        if (
            item.field in _INDEXED
            and item.operator == "is"
            and isinstance(item.value, str)
            and item.type in ("string", msgspec.UNSET)
        ):
            clauses.append(f"{item.field} = ?")
            params.append(item.value)
        else:
            residual.append(item)
    if query.evaluation_id is not None:
        residual.append(
            EventFilter(
                field="metadata.run_id", operator="is", value=query.evaluation_id, type="string"
            )
        )
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    return where, params, residual


def _kind(item: _Filter) -> str | None:
    if isinstance(item.type, str):
        return item.type
    if item.operator in ("after", "before"):
        return "datetime"
    value = item.value
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return None if value is None else "string"


def _validate(item: _Filter) -> None:
    if item.operator in ("exists", "not exists") or item.value is None:
        return
    try:
        _coerce(item.value, _kind(item))
    except (TypeError, ValueError):
        raise FilterError(
            f"filter on {item.field!r}: {item.value!r} is not a valid {_kind(item)}"
        ) from None


def _resolve(event: EventDict, path: str) -> Any:
    current: Any = event
    for part in path.split("."):
        if not isinstance(current, dict) or part not in current:
            return _MISSING
        current = current[part]
    return current


def _as_number(value: Any) -> float | None:
    try:
        return float(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None


def _coerce(value: Any, kind: str | None) -> Any:
    """Convert a value to the filter's type; raises TypeError/ValueError when it cannot."""
    if kind == "number":
        if isinstance(value, bool):
            raise TypeError("boolean is not a number")
        return float(value)
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("true", "1"):
            return True
        if text in ("false", "0"):
            return False
        raise ValueError(f"not a boolean: {value!r}")
    if kind == "datetime":
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise TypeError("not a timestamp")
        return parse_timestamp_ms(value)
    if kind == "string":
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            return str(value)
        return _encoder.encode(value).decode()
    return value


def _try_coerce(value: Any, kind: str | None) -> Any:
    try:
        return _coerce(value, kind)
    except (TypeError, ValueError):
        return _MISSING


def _matches(event: EventDict, item: _Filter) -> bool:
    stored = _resolve(event, item.field)
    present = stored is not _MISSING and stored is not None
    op = item.operator
    if op == "exists":
        return present
    if op == "not exists":
        return not present
    if op in ("is not", "not contains"):
        positive = "is" if op == "is not" else "contains"
        return not _matches_positive(stored, present, positive, item)
    return _matches_positive(stored, present, op, item)


def _matches_positive(stored: Any, present: bool, op: str, item: _Filter) -> bool:
    if item.value is None:
        return op == "is" and not present
    if not present:
        return False
    kind = _kind(item)
    wanted = _coerce(item.value, kind)
    if op == "contains":
        if isinstance(stored, list):
            return any(_try_coerce(element, kind) == wanted for element in stored)
        text = _try_coerce(stored, "string")
        return text is not _MISSING and str(wanted) in text
    actual = _try_coerce(stored, kind)
    if actual is _MISSING:
        return False
    if op == "is":
        return bool(actual == wanted)
    try:
        if op in ("greater than", "after"):
            return bool(actual > wanted)
        if op in ("less than", "before"):
            return bool(actual < wanted)
    except TypeError:
        return False
    return False
