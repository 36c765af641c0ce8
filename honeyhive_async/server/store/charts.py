"""Charts: documents in the `charts` table."""

from __future__ import annotations

import msgspec

from ...models.charts import CreateChartRequest, UpdateChartRequest
from ._crud import Collection, Doc, now_iso
from ._db import Database
from ._records import new_id

__all__ = ["Charts"]

# Nullable fields the spec requires in every chart: present as null until set.
_EMPTY: Doc = {
    "description": None,
    "func": None,
    "groupBy": None,
    "bucketing": "day",
    "dateRange": None,
    "query": None,
    "owner_id": None,
}


class Charts:
    """The charts group: list, create, get, update, delete."""

    def __init__(self, db: Database) -> None:
        """Create the table if the database does not have it yet."""
        self._docs = Collection(db, "charts")

    def select(self) -> list[Doc]:
        """Return every chart, oldest first."""
        return self._docs.select()

    def get(self, chart_id: str) -> Doc | None:
        """Return the chart with this id, or None."""
        return self._docs.get(chart_id)

    def create(self, req: CreateChartRequest) -> Doc:
        """Store a new chart and return it."""
        doc: Doc = {"id": new_id(), **_EMPTY, **msgspec.to_builtins(req), "is_active": True}
        doc.update(created_at=now_iso(), updated_at=None)
        return self._docs.insert(doc)

    def update(self, chart_id: str, req: UpdateChartRequest) -> Doc | None:
        """Set the given fields; return the chart, or None if there is none."""
        return self._docs.update(chart_id, msgspec.to_builtins(req))

    def delete(self, chart_id: str) -> bool:
        """Delete a chart; return whether it existed."""
        return self._docs.delete(chart_id)
