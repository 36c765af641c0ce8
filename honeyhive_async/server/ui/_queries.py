"""The sessions list's SQL: filters, newest first, one page, and counts for that page only.

Read-only queries on the store's ``events`` table through `Database.read`, every user value a
bound parameter. Bodies are JSON text stored as BLOBs, hence ``CAST(body AS TEXT)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

from ..store import Store

__all__ = [
    "Line",
    "SessionFilters",
    "SessionStats",
    "session_lines",
    "session_page",
    "session_stats",
]

_decoder = msgspec.json.Decoder(dict[str, Any])


class Line(msgspec.Struct, gc=False):
    """What a waterfall row needs of an event: decoding only these skips every payload."""

    event_id: str
    parent_id: Any = None
    event_type: Any = None
    event_name: Any = None
    start_time: Any = None
    end_time: Any = None
    duration: Any = None
    error: Any = None


_line_decoder = msgspec.json.Decoder(Line)


def session_lines(store: Store, session_id: str) -> list[Line]:
    """Return the waterfall fields of every event of a session, oldest first."""
    rows = store.db.read(
        "SELECT body FROM events WHERE session_id = ? ORDER BY start_time, rowid", (session_id,)
    )
    return [_line_decoder.decode(row[0]) for row in rows]


_BODY = "CAST(body AS TEXT)"


@dataclass(frozen=True, slots=True)
class SessionFilters:
    """What the sessions list keeps; empty strings and None keep everything."""

    name: str = ""
    """A part of the session name (case-insensitive)."""
    source: str = ""
    user_key: str = ""
    user_value: str = ""
    error: bool | None = None
    """True: sessions with an event in error; False: without."""
    since_ms: float | None = None
    until_ms: float | None = None


@dataclass(frozen=True, slots=True)
class SessionStats:
    """What a list row shows beyond the session event."""

    events: int
    errors: int
    first_ms: float | None
    last_ms: float | None


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _where(filters: SessionFilters) -> tuple[str, list[Any]]:
    clauses = ["event_type = 'session'"]
    params: list[Any] = []
    if filters.name:
        clauses.append("event_name LIKE ? ESCAPE '\\'")
        params.append(_like(filters.name))
    if filters.source:
        clauses.append(f"json_extract({_BODY}, '$.source') = ?")
        params.append(filters.source)
    if filters.user_key:
        # json_each, not a path built from the key: a key may hold dots or quotes.
        clauses.append(
            f"EXISTS (SELECT 1 FROM json_each({_BODY}, '$.user_properties') AS p"
            " WHERE p.key = ? AND (p.type IN ('true', 'false') AND"
            " (CASE p.type WHEN 'true' THEN 'true' ELSE 'false' END) = ?"
            " OR p.type NOT IN ('true', 'false') AND CAST(p.value AS TEXT) = ?))"
        )
        params.extend([filters.user_key, filters.user_value, filters.user_value])
    if filters.since_ms is not None:
        clauses.append("start_time >= ?")
        params.append(filters.since_ms)
    if filters.until_ms is not None:
        clauses.append("start_time <= ?")
        params.append(filters.until_ms)
    if filters.error is not None:
        has_error = (
            "EXISTS (SELECT 1 FROM events AS e WHERE e.session_id = events.event_id"
            " AND json_extract(CAST(e.body AS TEXT), '$.error') IS NOT NULL)"
        )
        clauses.append(has_error if filters.error else f"NOT {has_error}")
    return " WHERE " + " AND ".join(clauses), params


def session_page(
    store: Store, filters: SessionFilters, limit: int, offset: int
) -> tuple[list[dict[str, Any]], bool]:
    """Return up to `limit` sessions after `offset`, newest first, and whether more follow."""
    where, params = _where(filters)
    rows = store.db.read(
        f"SELECT body FROM events{where} ORDER BY start_time DESC, rowid DESC LIMIT ? OFFSET ?",
        (*params, limit + 1, offset),
    ).fetchall()
    sessions = [_decoder.decode(row[0]) for row in rows[:limit]]
    return sessions, len(rows) > limit


def session_stats(store: Store, session_ids: list[str]) -> dict[str, SessionStats]:
    """Return event count, error count and time range of each session, in one query."""
    if not session_ids:
        return {}
    marks = ",".join("?" * len(session_ids))
    rows = store.db.read(
        "SELECT session_id, COUNT(*),"
        f" SUM(json_extract({_BODY}, '$.error') IS NOT NULL),"
        " MIN(start_time),"
        f" MAX(COALESCE(json_extract({_BODY}, '$.end_time'), start_time))"
        f" FROM events WHERE session_id IN ({marks}) GROUP BY session_id",
        session_ids,
    ).fetchall()
    return {
        str(sid): SessionStats(int(count) - 1, int(errors or 0), first, last)
        for sid, count, errors, first, last in rows
    }
