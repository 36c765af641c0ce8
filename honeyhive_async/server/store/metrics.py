"""Metrics: definitions with their versions, kept as JSON in the `metrics` and `metric_versions` tables."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import msgspec

from ...models.metrics import CreateMetricRequest, UpdateMetricRequest
from ._db import Database
from ._records import new_id

__all__ = ["MetricDict", "Metrics"]

MetricDict = dict[str, Any]
"""A metric as stored and returned: the `MetricItem` shape."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS metrics (
    id   TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    body BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS metric_versions (
    metric_id TEXT NOT NULL,
    name      TEXT NOT NULL,
    body      BLOB NOT NULL,
    PRIMARY KEY (metric_id, name)
);
"""

# The server-side defaults the spec gives for a new definition's omitted fields.
_DEFAULTS: dict[str, Any] = {
    "description": "",
    "return_type": "float",
    "enabled_in_prod": False,
    "needs_ground_truth": False,
    "sampling_percentage": 10,
    "filters": {"filterArray": []},
}

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(dict[str, Any])


def _now_iso() -> str:
    return (
        dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


def _definition(req: CreateMetricRequest) -> MetricDict:
    """Return a new definition as stored: the request's fields over the spec's defaults."""
    given = msgspec.to_builtins(req)
    content = {**_DEFAULTS, **given}
    if "enabled_in_prod" not in given:
        content["enabled_in_prod"] = req.type == "HUMAN"  # the spec's default for HUMAN
    return content


class Metrics:
    """The metrics group: list, create, update, delete, and versions with one deployed."""

    def __init__(self, db: Database) -> None:
        """Create the tables if the database does not have them yet."""
        self._db = db
        db.create(_SCHEMA)

    def select(self, type: str | None = None, metric_id: str | None = None) -> list[MetricDict]:
        """Return the metrics, oldest first, optionally of one type or with one id."""
        rows = self._db.read(
            "SELECT body FROM metrics WHERE (?1 IS NULL OR type = ?1) AND (?2 IS NULL OR id = ?2)"
            " ORDER BY rowid",
            (type, metric_id),
        )
        return [_decoder.decode(row[0]) for row in rows]

    def get(self, metric_id: str) -> MetricDict | None:
        """Return the metric with this id, or None."""
        row = self._db.read("SELECT body FROM metrics WHERE id = ?", (metric_id,)).fetchone()
        return None if row is None else _decoder.decode(row[0])

    def create(self, req: CreateMetricRequest) -> MetricDict:
        """Store a new metric and return it."""
        metric = {**_definition(req), "id": new_id(), "created_at": _now_iso(), "updated_at": None}
        self._put(metric, insert=True)
        return metric

    def update(self, metric_id: str, req: UpdateMetricRequest) -> MetricDict | None:
        """Apply the given fields; return the metric, or None if there is none with this id."""
        metric = self.get(metric_id)
        if metric is None:
            return None
        changes = msgspec.to_builtins(req)
        changes.pop("id", None)  # the legacy body names the metric in the body
        metric.update(changes, updated_at=_now_iso())
        self._put(metric)
        return metric

    def delete(self, metric_id: str) -> bool:
        """Delete a metric and its versions; return whether it existed."""
        self._db.write("DELETE FROM metric_versions WHERE metric_id = ?", (metric_id,))
        return self._db.write("DELETE FROM metrics WHERE id = ?", (metric_id,)) > 0

    def versions(self, metric_id: str) -> list[MetricDict]:
        """Return every version of a metric, oldest first."""
        rows = self._db.read(
            "SELECT body FROM metric_versions WHERE metric_id = ? ORDER BY rowid", (metric_id,)
        )
        return [_decoder.decode(row[0]) for row in rows]

    def create_version(
        self, metric_id: str, message: str, req: CreateMetricRequest, deploy: bool
    ) -> MetricDict:
        """Snapshot `req` as the metric's next version (``v1``, ``v2``, ...); deploy it if asked."""
        content = _definition(req)
        count = self._db.read(
            "SELECT COUNT(*) FROM metric_versions WHERE metric_id = ?", (metric_id,)
        ).fetchone()[0]
        name = f"v{count + 1}"
        version = {
            "name": name,
            "full_sha": hashlib.sha1(_encoder.encode(content), usedforsecurity=False).hexdigest(),
            "message": message,
            "date": _now_iso(),
            "deployed": False,
            "content": content,
        }
        self._db.write(
            "INSERT INTO metric_versions (metric_id, name, body) VALUES (?, ?, ?)",
            (metric_id, name, _encoder.encode(version)),
        )
        if deploy:
            return self.deploy(metric_id, name) or version
        return version

    def deploy(self, metric_id: str, name: str) -> MetricDict | None:
        """Mark one version deployed and every other not; return it, or None if there is none."""
        versions = self.versions(metric_id)
        if not any(version["name"] == name for version in versions):
            return None
        deployed = None
        for version in versions:
            version["deployed"] = version["name"] == name
            if version["deployed"]:
                deployed = version
        self._db.write_many(
            "UPDATE metric_versions SET body = ? WHERE metric_id = ? AND name = ?",
            [(_encoder.encode(v), metric_id, v["name"]) for v in versions],
        )
        return deployed

    def _put(self, metric: MetricDict, *, insert: bool = False) -> None:
        sql = (
            "INSERT INTO metrics (type, body, id) VALUES (?, ?, ?)"
            if insert
            else "UPDATE metrics SET type = ?, body = ? WHERE id = ?"
        )
        self._db.write(sql, (metric["type"], _encoder.encode(metric), metric["id"]))
