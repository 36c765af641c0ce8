"""Datasets: named lists of datapoints; which datapoints a dataset holds lives in the links."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import msgspec

from ._db import Database
from .datapoints import Datapoints, iso_now, new_object_id

__all__ = ["DatasetDict", "Datasets"]

DatasetDict = dict[str, Any]
"""A dataset as returned, in the spec's `Dataset` shape."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS datasets (
    id   TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    body BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS datasets_by_name ON datasets (name);
"""

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(dict[str, Any])


class Datasets:
    """The datasets group; its datapoints are the links kept by `Datapoints`."""

    def __init__(self, db: Database, datapoints: Datapoints) -> None:
        """Create the table if the database does not have it yet."""
        self._db = db
        self._datapoints = datapoints
        db.create(_SCHEMA)

    def create(self, name: str, description: str | None, datapoint_ids: Sequence[str]) -> str:
        """Store a new dataset holding `datapoint_ids` (which must exist); return its id."""
        stamp = iso_now()
        dataset: DatasetDict = {"id": new_object_id(), "name": name}
        if description is not None:
            dataset["description"] = description
        dataset |= {"created_at": stamp, "updated_at": stamp}
        self._db.write(
            "INSERT INTO datasets (id, name, body) VALUES (?, ?, ?)",
            (dataset["id"], name, _encoder.encode(dataset)),
        )
        self._datapoints.link(dataset["id"], datapoint_ids)
        return str(dataset["id"])

    def get(self, dataset_id: str) -> DatasetDict | None:
        """Return the dataset with its `datapoints` ids, or None."""
        row = self._db.read("SELECT body FROM datasets WHERE id = ?", (dataset_id,)).fetchone()
        return None if row is None else self._with_datapoints(row[0])

    def select(self, dataset_id: str | None = None, name: str | None = None) -> list[DatasetDict]:
        """Return the datasets matching both filters (each optional), oldest first."""
        where, params = [], []
        if dataset_id is not None:
            where.append("id = ?")
            params.append(dataset_id)
        if name is not None:
            where.append("name = ?")
            params.append(name)
        sql = "SELECT body FROM datasets"
        if where:
            sql += " WHERE " + " AND ".join(where)
        rows = self._db.read(sql + " ORDER BY rowid", params).fetchall()
        return [self._with_datapoints(row[0]) for row in rows]

    def missing(self, ids: Iterable[str]) -> list[str]:
        """Return the ids among `ids` that no dataset has."""
        read = self._db.read
        sql = "SELECT 1 FROM datasets WHERE id = ?"
        return [ds for ds in dict.fromkeys(ids) if read(sql, (ds,)).fetchone() is None]

    def update(self, dataset_id: str, changes: dict[str, Any]) -> DatasetDict | None:
        """Replace `name`, `description` and `datapoints` where given; None if unknown."""
        dataset = self.get(dataset_id)
        if dataset is None:
            return None
        datapoint_ids = changes.pop("datapoints", None)
        dataset.pop("datapoints")
        dataset |= changes
        dataset["updated_at"] = iso_now()
        self._db.write(
            "UPDATE datasets SET name = ?, body = ? WHERE id = ?",
            (dataset["name"], _encoder.encode(dataset), dataset_id),
        )
        if datapoint_ids is not None:
            self._datapoints.set_links(dataset_id, datapoint_ids)
        return self.get(dataset_id)

    def delete(self, dataset_id: str) -> bool:
        """Delete the dataset; its datapoints stay, without it. False if there was none."""
        self._datapoints.unlink(dataset_id)
        return self._db.write("DELETE FROM datasets WHERE id = ?", (dataset_id,)) > 0

    def _with_datapoints(self, body: bytes) -> DatasetDict:
        dataset: DatasetDict = _decoder.decode(body)
        dataset["datapoints"] = self._datapoints.datapoints_of(dataset["id"])
        return dataset
