"""The SQLite database every group's store shares, and the `events` table on it.

Each event is kept as its JSON blob plus a few indexed columns. Sessions live in the same
table (a session is the event whose id is its session id), so the events and sessions stores
both read and write through one `EventTable`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import msgspec

__all__ = ["INDEXED", "Database", "EventDict", "EventTable"]

EventDict = dict[str, Any]
"""An event as stored and returned: every field of the `Event` shape, in wire order."""

INDEXED = ("event_id", "session_id", "parent_id", "event_type", "event_name")
"""The event fields that have their own column (an ``is`` filter on them runs in SQL)."""

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
CREATE INDEX IF NOT EXISTS events_by_parent ON events (parent_id);
"""
_UPSERT = """
INSERT INTO events (event_id, session_id, parent_id, event_type, event_name, start_time, body)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (event_id) DO UPDATE SET
    session_id = excluded.session_id, parent_id = excluded.parent_id,
    event_type = excluded.event_type, event_name = excluded.event_name,
    start_time = excluded.start_time, body = excluded.body
"""
_INSERT_NEW = """
INSERT INTO events (event_id, session_id, parent_id, event_type, event_name, start_time, body)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (event_id) DO NOTHING
"""
# rowid breaks start_time ties so that paging is stable.
_ORDER = " ORDER BY start_time DESC, rowid DESC"
# SQLite binds integers as signed 64-bit; an OFFSET past every row is an empty page anyway.
_MAX_OFFSET = 2**63 - 1

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(dict[str, Any])


class Database:
    """One SQLite connection, opened once per server and shared by every group's store.

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

    def create(self, schema: str) -> None:
        """Run a group's ``CREATE ... IF NOT EXISTS`` script."""
        self._conn.executescript(schema)

    def read(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        """Run one query outside any transaction and return its cursor."""
        return self._conn.execute(sql, params)

    def write(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement in its own transaction; return how many rows it changed."""
        with self._conn:
            return self._conn.execute(sql, params).rowcount

    def write_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement for each row, all in a single transaction."""
        self.write_steps([(sql, rows)])

    def write_steps(self, steps: Iterable[tuple[str, Iterable[Sequence[Any]]]]) -> None:
        """Run each statement for each of its rows, all in a single transaction."""
        with self._conn:
            for sql, rows in steps:
                self._conn.executemany(sql, rows)

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()


class EventTable:
    """The `events` table: the read and write primitives the events and sessions stores share.

    `where` arguments are SQL text starting with `` WHERE`` (or empty), with ``?`` placeholders
    for `params`; only the store builds them, never from request text.
    """

    def __init__(self, db: Database) -> None:
        """Create the table and its indexes if the database does not have them yet."""
        self._db = db
        db.create(_SCHEMA)

    def get(self, event_id: str) -> EventDict | None:
        """Return the event with this id, or None."""
        row = self._db.read("SELECT body FROM events WHERE event_id = ?", (event_id,)).fetchone()
        return None if row is None else _decoder.decode(row[0])

    def put(
        self,
        events: Iterable[EventDict],
        *,
        removed: Iterable[str] = (),
        also: Iterable[tuple[str, Iterable[Sequence[Any]]]] = (),
    ) -> None:
        """Insert the events, each replacing any stored event with the same id.

        Args:
            events: The events to store.
            removed: Ids of events to delete in the same transaction.
            also: More ``(sql, rows)`` steps of the same transaction (another table's rows).
        """
        rows = [
            (*(event.get(name) for name in INDEXED), event["start_time"], _encoder.encode(event))
            for event in events
        ]
        deleted = [(event_id,) for event_id in removed]
        steps: list[tuple[str, Iterable[Sequence[Any]]]] = [(_UPSERT, rows)]
        if deleted:
            steps.append(("DELETE FROM events WHERE event_id = ?", deleted))
        self._db.write_steps([*steps, *also])

    def insert_new(self, event: EventDict) -> bool:
        """Insert the event unless one with its id is stored; return whether it was inserted."""
        row = (*(event.get(name) for name in INDEXED), event["start_time"], _encoder.encode(event))
        return self._db.write(_INSERT_NEW, row) == 1

    def count(self, where: str = "", params: Sequence[Any] = ()) -> int:
        """Return how many events match."""
        return int(self._db.read(f"SELECT COUNT(*) FROM events{where}", params).fetchone()[0])

    def page(self, where: str, params: Sequence[Any], limit: int, offset: int) -> list[EventDict]:
        """Return up to `limit` matching events after the first `offset`, newest first."""
        rows = self._db.read(
            f"SELECT body FROM events{where}{_ORDER} LIMIT ? OFFSET ?",
            (*params, limit, min(offset, _MAX_OFFSET)),
        )
        return [_decoder.decode(row[0]) for row in rows]

    def scan(self, where: str, params: Sequence[Any]) -> Iterator[EventDict]:
        """Yield every matching event, newest first."""
        for row in self._db.read(f"SELECT body FROM events{where}{_ORDER}", params):
            yield _decoder.decode(row[0])

    def of_session(self, session_id: str) -> list[EventDict]:
        """Return every event of a session (the session event included), oldest first."""
        rows = self._db.read(
            "SELECT body FROM events WHERE session_id = ? ORDER BY start_time, rowid", (session_id,)
        )
        return [_decoder.decode(row[0]) for row in rows]

    def children_of(self, event_id: str) -> list[EventDict]:
        """Return every event whose `parent_id` is this id."""
        rows = self._db.read("SELECT body FROM events WHERE parent_id = ?", (event_id,))
        return [_decoder.decode(row[0]) for row in rows]

    def delete(self, event_id: str) -> int:
        """Delete the event with this id; return how many (0 or 1)."""
        return self._db.write("DELETE FROM events WHERE event_id = ?", (event_id,))

    def delete_session(self, session_id: str) -> int:
        """Delete every event of a session; return how many."""
        return self._db.write("DELETE FROM events WHERE session_id = ?", (session_id,))
