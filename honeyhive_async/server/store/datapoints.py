"""Datapoints, and the links between datapoints and datasets (one table serves both sides).

A link row says "this dataset holds this datapoint". A dataset's `datapoints` and a
datapoint's `linked_datasets` are both read from it, so the two sides cannot disagree:
deleting either end deletes its links.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable, Sequence
from typing import Any

import msgspec

from ...models import CreateDatapointRequest, DatapointMapping
from ..filters import MISSING, resolve
from ._db import Database
from ._records import now_ms

__all__ = ["DatapointDict", "Datapoints", "iso_now", "map_row", "new_object_id"]

DatapointDict = dict[str, Any]
"""A datapoint as stored and returned, in the spec's `Datapoint` shape."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS datapoints (
    id   TEXT PRIMARY KEY,
    body BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS dataset_links (
    dataset_id   TEXT NOT NULL,
    datapoint_id TEXT NOT NULL,
    PRIMARY KEY (dataset_id, datapoint_id)
);
CREATE INDEX IF NOT EXISTS dataset_links_by_datapoint ON dataset_links (datapoint_id);
"""
_LINK = "INSERT OR IGNORE INTO dataset_links (dataset_id, datapoint_id) VALUES (?, ?)"

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(dict[str, Any])


def new_object_id() -> str:
    """Return a new id shaped like HoneyHive's (24 hex digits, as a MongoDB ObjectId)."""
    return secrets.token_hex(12)


def iso_now() -> str:
    """Return the current time as ISO 8601 UTC with milliseconds, as HoneyHive stamps records."""
    now = dt.datetime.fromtimestamp(now_ms() / 1000, tz=dt.timezone.utc)
    return now.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _unique(ids: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(ids))


class Datapoints:
    """The datapoints group, and the dataset links both groups read."""

    def __init__(self, db: Database) -> None:
        """Create the tables if the database does not have them yet."""
        self._db = db
        db.create(_SCHEMA)

    # -- datapoints --------------------------------------------------------------------------

    def create(self, req: CreateDatapointRequest) -> str:
        """Store a new datapoint, link it to `req.linked_datasets`, and return its id."""
        fields = {
            "inputs": req.inputs,
            "history": req.history,
            "ground_truth": req.ground_truth,
            "metadata": req.metadata,
            "linked_event": req.linked_event,
        }
        return self.create_many([fields], req.linked_datasets or [])[0]

    def create_many(self, rows: Sequence[dict[str, Any]], dataset_ids: Sequence[str]) -> list[str]:
        """Store one datapoint per row (spec fields, None for unset) in each dataset; return ids."""
        stamp = iso_now()
        stored: list[DatapointDict] = []
        for row in rows:
            stored.append(
                {
                    "id": new_object_id(),
                    "inputs": row.get("inputs") or {},
                    "history": row.get("history") or [],
                    "ground_truth": row.get("ground_truth"),
                    "metadata": row.get("metadata"),
                    "linked_event": row.get("linked_event"),
                    "created_at": stamp,
                    "updated_at": stamp,
                }
            )
        ids: list[str] = [datapoint["id"] for datapoint in stored]
        self._db.write_many(
            "INSERT INTO datapoints (id, body) VALUES (?, ?)",
            [(datapoint["id"], _encoder.encode(datapoint)) for datapoint in stored],
        )
        self._db.write_many(
            _LINK, [(dataset_id, dp) for dp in ids for dataset_id in _unique(dataset_ids)]
        )
        return ids

    def get(self, datapoint_id: str) -> DatapointDict | None:
        """Return the datapoint with its `linked_datasets`, or None."""
        row = self._db.read("SELECT body FROM datapoints WHERE id = ?", (datapoint_id,)).fetchone()
        if row is None:
            return None
        datapoint: DatapointDict = _decoder.decode(row[0])
        datapoint["linked_datasets"] = self.datasets_of(datapoint_id)
        return datapoint

    def select(
        self, ids: Sequence[str] | None = None, dataset_ids: Sequence[str] | None = None
    ) -> list[DatapointDict]:
        """Return the datapoints with these ids (in that order), or all (oldest first).

        With `dataset_ids`, only those the datasets hold (in the datasets' order).
        """
        if dataset_ids is not None:
            held = _unique(dp for ds in dataset_ids for dp in self.datapoints_of(ds))
            held_set = set(held)
            ids = held if ids is None else [dp for dp in _unique(ids) if dp in held_set]
        if ids is None:
            ids = [row[0] for row in self._db.read("SELECT id FROM datapoints ORDER BY rowid")]
        # One query per id: a list of thousands would pass SQLite's limit on bound variables.
        found = (self.get(datapoint_id) for datapoint_id in _unique(ids))
        return [datapoint for datapoint in found if datapoint is not None]

    def missing(self, ids: Iterable[str]) -> list[str]:
        """Return the ids among `ids` that no datapoint has."""
        read = self._db.read
        sql = "SELECT 1 FROM datapoints WHERE id = ?"
        return [dp for dp in _unique(ids) if read(sql, (dp,)).fetchone() is None]

    def update(self, datapoint_id: str, changes: dict[str, Any]) -> bool:
        """Replace the fields in `changes` (`linked_datasets` replaces the links); False if unknown."""
        datapoint = self.get(datapoint_id)
        if datapoint is None:
            return False
        links = changes.pop("linked_datasets", None)
        datapoint.pop("linked_datasets")
        datapoint.update(changes)
        datapoint["updated_at"] = iso_now()
        self._db.write(
            "UPDATE datapoints SET body = ? WHERE id = ?",
            (_encoder.encode(datapoint), datapoint_id),
        )
        if links is not None:
            self._db.write("DELETE FROM dataset_links WHERE datapoint_id = ?", (datapoint_id,))
            self._db.write_many(_LINK, [(ds, datapoint_id) for ds in _unique(links)])
        return True

    def delete(self, datapoint_id: str) -> bool:
        """Delete the datapoint and its links; False if there was none."""
        self._db.write("DELETE FROM dataset_links WHERE datapoint_id = ?", (datapoint_id,))
        return self._db.write("DELETE FROM datapoints WHERE id = ?", (datapoint_id,)) > 0

    # -- links -------------------------------------------------------------------------------

    def datasets_of(self, datapoint_id: str) -> list[str]:
        """Return the ids of the datasets holding the datapoint, in the order it joined them."""
        rows = self._db.read(
            "SELECT dataset_id FROM dataset_links WHERE datapoint_id = ? ORDER BY rowid",
            (datapoint_id,),
        )
        return [row[0] for row in rows]

    def datapoints_of(self, dataset_id: str) -> list[str]:
        """Return the ids of the datapoints a dataset holds, in the order they joined it."""
        rows = self._db.read(
            "SELECT datapoint_id FROM dataset_links WHERE dataset_id = ? ORDER BY rowid",
            (dataset_id,),
        )
        return [row[0] for row in rows]

    def link(self, dataset_id: str, datapoint_ids: Iterable[str]) -> None:
        """Add the datapoints to the dataset (those it holds already keep their place)."""
        self._db.write_many(_LINK, [(dataset_id, dp) for dp in _unique(datapoint_ids)])

    def set_links(self, dataset_id: str, datapoint_ids: Iterable[str]) -> None:
        """Make the dataset hold exactly these datapoints, in this order."""
        self._db.write("DELETE FROM dataset_links WHERE dataset_id = ?", (dataset_id,))
        self.link(dataset_id, datapoint_ids)

    def unlink(self, dataset_id: str, datapoint_id: str | None = None) -> int:
        """Remove one datapoint (or, with None, every one) from the dataset; return how many."""
        if datapoint_id is None:
            return self._db.write("DELETE FROM dataset_links WHERE dataset_id = ?", (dataset_id,))
        return self._db.write(
            "DELETE FROM dataset_links WHERE dataset_id = ? AND datapoint_id = ?",
            (dataset_id, datapoint_id),
        )


def map_row(source: dict[str, Any], mapping: DatapointMapping) -> dict[str, Any]:
    """Return a datapoint's fields from a data row or an event, as `mapping` names them.

    A key is a field of `source`, or a dotted path into it (``"inputs.question"``); the
    datapoint keeps the value under the key's last part. A history key holds one message
    (an object) or a list of them. Keys `source` lacks are skipped.

    Raises:
        ValueError: a history key holds something other than objects.
    """
    history: list[Any] = []
    for key in mapping.history:
        value = _lookup(source, key)
        if value is MISSING or value is None:
            continue
        messages = value if isinstance(value, list) else [value]
        if not all(isinstance(message, dict) for message in messages):
            raise ValueError(f"history field {key!r} must hold an object or a list of objects")
        history.extend(messages)
    return {
        "inputs": _pick(source, mapping.inputs),
        "history": history,
        "ground_truth": _pick(source, mapping.ground_truth) if mapping.ground_truth else None,
    }


def _lookup(source: dict[str, Any], key: str) -> Any:
    return source[key] if key in source else resolve(source, key)


def _pick(source: dict[str, Any], keys: Sequence[str]) -> dict[str, Any]:
    picked = {}
    for key in keys:
        value = _lookup(source, key)
        if value is not MISSING:
            picked[key if key in source else key.rsplit(".", 1)[-1]] = value
    return picked
