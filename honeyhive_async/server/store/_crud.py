"""A table of JSON documents by id, shared by the plain CRUD groups.

Configurations, projects, charts and queues each keep their own defaults, filters and reply
shapes; only storage is common.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

import msgspec

from ._db import Database

__all__ = ["Collection", "Doc", "now_iso"]

Doc = dict[str, Any]
"""One stored document, in the shape its group returns."""

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(dict[str, Any])


def now_iso() -> str:
    """Return the current UTC time as ISO 8601 with milliseconds and ``Z``."""
    now = dt.datetime.now(dt.timezone.utc)
    return now.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Collection:
    """Documents kept as JSON in one table, listed in the order they were created.

    `table` names the table in SQL, so it comes from the group's code, never from a request.
    """

    def __init__(self, db: Database, table: str) -> None:
        """Create the table if the database does not have it yet."""
        if not table.isidentifier():
            raise ValueError(f"not a table name: {table!r}")
        self._db = db
        self._table = table
        db.create(f"CREATE TABLE IF NOT EXISTS {table} (id TEXT PRIMARY KEY, body BLOB NOT NULL);")

    def insert(self, doc: Doc) -> Doc:
        """Store a new document (its ``id`` must be new) and return it."""
        self._db.write(
            f"INSERT INTO {self._table} (id, body) VALUES (?, ?)", (doc["id"], _encoder.encode(doc))
        )
        return doc

    def get(self, doc_id: str) -> Doc | None:
        """Return the document with this id, or None."""
        row = self._db.read(f"SELECT body FROM {self._table} WHERE id = ?", (doc_id,)).fetchone()
        return None if row is None else _decoder.decode(row[0])

    def select(self, keep: Callable[[Doc], bool] | None = None) -> list[Doc]:
        """Return every document `keep` accepts (all without it), oldest first."""
        rows = self._db.read(f"SELECT body FROM {self._table} ORDER BY rowid")
        docs = (_decoder.decode(row[0]) for row in rows)
        return [doc for doc in docs if keep is None or keep(doc)]

    def update(self, doc_id: str, changes: Mapping[str, Any]) -> Doc | None:
        """Set the given fields and ``updated_at``; return the document, or None if absent."""
        doc = self.get(doc_id)
        if doc is None:
            return None
        doc.update(changes)
        doc["updated_at"] = now_iso()
        self.replace(doc)
        return doc

    def replace(self, doc: Doc) -> None:
        """Store `doc` over the document with its id."""
        self._db.write(
            f"UPDATE {self._table} SET body = ? WHERE id = ?", (_encoder.encode(doc), doc["id"])
        )

    def delete(self, doc_id: str) -> bool:
        """Delete the document; return whether it existed."""
        return self._db.write(f"DELETE FROM {self._table} WHERE id = ?", (doc_id,)) > 0
