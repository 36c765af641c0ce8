"""Experiment runs: create, read, list with paging, update, delete, and the sessions of a run.

A run is kept as its `ExperimentRunObject` JSON plus indexed columns to filter and sort on.
What the request carries beyond that object (session ids, datapoint ids, evaluators, passing
ranges) is kept beside it in `extra`, so that responses carry exactly the spec's fields.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import msgspec

from ...models import CreateRunRequest, UpdateRunRequest
from ._db import Database, EventDict, EventTable
from ._records import LOCAL_PROJECT_ID, new_id, now_ms

__all__ = ["RunDict", "RunQuery", "Runs", "Scored", "SessionHead", "iso_ms"]

RunDict = dict[str, Any]
"""A run as stored and returned: the fields of `ExperimentRunObject`."""

_RUN_OF = "json_extract(CAST(body AS TEXT), '$.metadata.run_id')"
"""The run a session names in its metadata (what a tracer in an experiment sets)."""
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS runs (
    run_id     TEXT PRIMARY KEY,
    name       TEXT,
    status     TEXT,
    dataset_id TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    body       BLOB NOT NULL,
    extra      BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_by_created ON runs (created_at);
CREATE INDEX IF NOT EXISTS sessions_by_run ON events ({_RUN_OF}) WHERE event_type = 'session';
"""
_INSERT = (
    "INSERT INTO runs (run_id, name, status, dataset_id, created_at, updated_at, body, extra)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
_UPDATE = (
    "UPDATE runs SET name = ?, status = ?, updated_at = ?, body = ?, extra = ? WHERE run_id = ?"
)
_SORT_COLUMNS = {"created_at", "updated_at", "name", "status"}
# SQLite binds integers as signed 64-bit; an OFFSET past every row is an empty page anyway.
_MAX_OFFSET = 2**63 - 1
_EXTRA_FIELDS = ("session_ids", "datapoint_ids", "evaluators", "passing_ranges")

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(dict[str, Any])


class SessionHead(msgspec.Struct):
    """What a summary reads of a run's session: its id and metadata."""

    event_id: str
    metadata: Any = None


class Scored(msgspec.Struct):
    """What a summary reads of an event: its name, type and metrics (the rest is skipped)."""

    event_name: Any = None
    event_type: Any = None
    metrics: Any = None


class _Metadata(msgspec.Struct):
    metadata: Any = None


_scored_decoder = msgspec.json.Decoder(Scored)
# The other fields of a body are skipped, not built: a run's sessions are read often.
_metadata_decoder = msgspec.json.Decoder(_Metadata)


def iso_ms(ms: float) -> str:
    """Return Unix milliseconds as ISO 8601 UTC with milliseconds (``...T...Z``)."""
    moment = dt.datetime.fromtimestamp(ms / 1000.0, tz=dt.timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class RunQuery:
    """The filters, sort and page of `GET /v1/runs` (already validated)."""

    page: int = 1
    limit: int = 20
    dataset_id: str | None = None
    run_ids: list[str] | None = None
    name: str | None = None
    status: str | None = None
    created_from: float | None = None
    created_to: float | None = None
    sort_by: str = "created_at"
    sort_order: str = "desc"


class Runs:
    """The runs group, and which sessions belong to a run."""

    def __init__(self, db: Database, events: EventTable) -> None:
        """Create the `runs` table if needed; sessions are read from the shared events table."""
        self._db = db
        self._events = events
        db.create(_SCHEMA)

    def create(self, req: CreateRunRequest) -> RunDict:
        """Store a new run; a repeated `run_id` returns the stored run (a retried create)."""
        run_id = req.run_id or new_id()
        existing = self.get(run_id)
        if existing is not None:
            return existing
        now = now_ms()
        run: RunDict = {
            "id": run_id,
            "run_id": run_id,
            "name": req.name,
            "description": req.description,
            "status": req.status or "pending",
            "metadata": req.metadata or {},
            "results": req.results or {},
            "metrics": {},
            "event_ids": req.event_ids or [],
            "configuration": req.configuration or {},
            "is_active": True,
            "created_at": iso_ms(now),
            "updated_at": iso_ms(now),
            "scope_type": "project",
            "scope_id": LOCAL_PROJECT_ID,
            "dataset_id": req.dataset_id,
            "dataset_name": None,
        }
        extra = {name: _plain(getattr(req, name)) for name in _EXTRA_FIELDS}
        self._db.write(
            _INSERT,
            (
                run_id,
                req.name,
                run["status"],
                req.dataset_id,
                now,
                now,
                _encoder.encode(run),
                _encoder.encode(extra),
            ),
        )
        return run

    def get(self, run_id: str) -> RunDict | None:
        """Return the run, or None."""
        row = self._db.read("SELECT body FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        return None if row is None else _decoder.decode(row[0])

    def extra(self, run_id: str) -> dict[str, Any]:
        """Return what the run was created or updated with beyond its object (session ids, ...)."""
        row = self._db.read("SELECT extra FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        return {} if row is None else _decoder.decode(row[0])

    def page(self, query: RunQuery) -> tuple[list[RunDict], int, int]:
        """Return one page of matching runs, how many match, and how many runs there are."""
        clauses: list[str] = []
        params: list[Any] = []
        for column, value in (
            ("dataset_id", query.dataset_id),
            ("name", query.name),
            ("status", query.status),
        ):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        if query.run_ids is not None:
            # json_each: any number of ids without hitting SQLite's bound-variable limit.
            clauses.append("run_id IN (SELECT value FROM json_each(?))")
            params.append(_encoder.encode(query.run_ids).decode())
        if query.created_from is not None:
            clauses.append("created_at >= ?")
            params.append(query.created_from)
        if query.created_to is not None:
            clauses.append("created_at <= ?")
            params.append(query.created_to)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        total = int(self._db.read(f"SELECT COUNT(*) FROM runs{where}", params).fetchone()[0])
        unfiltered = int(self._db.read("SELECT COUNT(*) FROM runs").fetchone()[0])
        column = query.sort_by if query.sort_by in _SORT_COLUMNS else "created_at"
        order = "ASC" if query.sort_order == "asc" else "DESC"
        offset = min((query.page - 1) * query.limit, _MAX_OFFSET)
        rows = self._db.read(
            f"SELECT body FROM runs{where} ORDER BY {column} {order}, rowid {order}"
            " LIMIT ? OFFSET ?",
            (*params, query.limit, offset),
        )
        return [_decoder.decode(row[0]) for row in rows], total, unfiltered

    def every(self) -> list[RunDict]:
        """Return every run, oldest first."""
        rows = self._db.read("SELECT body FROM runs ORDER BY created_at, rowid")
        return [_decoder.decode(row[0]) for row in rows]

    def update(self, run_id: str, req: UpdateRunRequest) -> RunDict | None:
        """Replace the fields `req` gives and return the run, or None if there is none."""
        run = self.get(run_id)
        if run is None:
            return None
        extra = self.extra(run_id)
        for name in ("name", "description", "status", "metadata", "results", "configuration"):
            value = getattr(req, name)
            if value is not None:
                run[name] = value
        if req.event_ids is not None:
            run["event_ids"] = req.event_ids
        for name in _EXTRA_FIELDS:
            value = getattr(req, name)
            if value is not None:
                extra[name] = _plain(value)
        now = now_ms()
        run["updated_at"] = iso_ms(now)
        self._db.write(
            _UPDATE,
            (run["name"], run["status"], now, _encoder.encode(run), _encoder.encode(extra), run_id),
        )
        return run

    def delete(self, run_id: str) -> bool:
        """Delete the run (its sessions stay); return whether there was one."""
        return self._db.write("DELETE FROM runs WHERE run_id = ?", (run_id,)) > 0

    def sessions(self, run: RunDict) -> list[EventDict]:
        """Return the session events of a run, oldest first.

        A session belongs to a run when the run lists it (`event_ids`, `session_ids`) or the
        session's `metadata.run_id` names the run (what a tracer in an experiment sets).
        """
        return [_decoder.decode(body) for _, body, _ in self._session_rows(run)]

    def session_heads(self, run: RunDict) -> list[SessionHead]:
        """Return the id and metadata of each session of a run, oldest first (`sessions`)."""
        return [
            SessionHead(event_id, metadata) for event_id, _, metadata in self._session_rows(run)
        ]

    def _session_rows(self, run: RunDict) -> list[tuple[str, bytes, Any]]:
        """Each session of the run: its id, body, and metadata."""
        session_ids = self.extra(run["run_id"]).get("session_ids") or []
        listed = sorted({*run.get("event_ids", []), *session_ids})
        # Tagged sessions through the index on `metadata.run_id`, listed ones by id: never a
        # scan of every event of the store (it grows by a run's worth a run).
        rows = self._db.read(
            f"SELECT rowid, start_time, event_id, body FROM events"
            f" WHERE event_type = 'session' AND {_RUN_OF} = ?"
            " UNION SELECT rowid, start_time, event_id, body FROM events"
            " WHERE event_type = 'session' AND event_id IN (SELECT value FROM json_each(?))"
            " ORDER BY 2, 1",
            (run["run_id"], _encoder.encode(listed).decode()),
        )
        return [
            (event_id, body, _metadata_decoder.decode(body).metadata)
            for _, _, event_id, body in rows
        ]

    def scored(self, session_ids: list[str]) -> dict[str, list[Scored]]:
        """Return the name, type and metrics of every event of these sessions, by session.

        One query for them all, each session's events oldest first (as `events` orders them);
        only the three fields are decoded.
        """
        # Ordered by session first: the index on (session_id, start_time) gives that order as
        # it is read, where `start_time, rowid` alone sorted every body in a temporary B-tree
        # (the query for a 500-session run of benchmarks/evaluate.py: 3.5 -> 2 ms).
        rows = self._db.read(
            "SELECT session_id, body FROM events WHERE session_id IN"
            " (SELECT value FROM json_each(?)) ORDER BY session_id, start_time, rowid",
            (_encoder.encode(session_ids).decode(),),
        )
        found: dict[str, list[Scored]] = {session_id: [] for session_id in session_ids}
        for session_id, body in rows:
            found[session_id].append(_scored_decoder.decode(body))
        return found

    def events(self, session_id: str) -> list[EventDict]:
        """Return every event of a session (the session event included), oldest first."""
        return self._events.of_session(session_id)


def _plain(value: object) -> Any:
    # Structs (passing ranges) become plain JSON values before they are stored.
    return msgspec.to_builtins(value)
