"""Annotation queues: documents in the `queues` table, with the events each holds."""

from __future__ import annotations

import msgspec

from ...models.queues import CreateQueueRequest, UpdateQueueRequest
from ._crud import Collection, Doc, now_iso
from ._db import Database
from ._records import LOCAL_PROJECT_ID, new_id

__all__ = ["Queues", "public"]


class Queues:
    """The queues group. A delete is soft, as HoneyHive's: the queue stays, inactive and hidden.

    Each stored queue keeps its `event_ids`, which the API never returns (`public` drops them).
    """

    def __init__(self, db: Database) -> None:
        """Create the table if the database does not have it yet."""
        self._docs = Collection(db, "queues")

    def select(self, enabled: bool | None = None) -> list[Doc]:
        """Return the active queues (only enabled or disabled ones if asked), oldest first."""
        return self._docs.select(
            lambda doc: doc["is_active"] and (enabled is None or doc["enabled"] is enabled)
        )

    def get(self, queue_id: str) -> Doc | None:
        """Return the active queue with this id, or None."""
        doc = self._docs.get(queue_id)
        return doc if doc is not None and doc["is_active"] else None

    def create(self, req: CreateQueueRequest) -> Doc:
        """Store a new queue with the spec's defaults and return it."""
        doc: Doc = {
            "id": new_id(),
            "name": req.name,
            "description": req.description if req.description is not None else "",
            "filters": msgspec.to_builtins(req.filters) if req.filters else {"filterArray": []},
            "enabled": req.enabled if req.enabled is not None else True,
            "scope_id": LOCAL_PROJECT_ID,
            "scope_type": "project",
            "is_active": True,
            "created_at": now_iso(),
            "updated_at": None,
            "event_ids": list(dict.fromkeys(req.event_ids or [])),
        }
        return self._docs.insert(doc)

    def update(self, queue_id: str, req: UpdateQueueRequest) -> Doc | None:
        """Apply `req`; return the queue, or None if there is no active one with this id."""
        doc = self.get(queue_id)
        if doc is None:
            return None
        changes = msgspec.to_builtins(req)
        for name in ("id", "add_event_ids", "remove_event_ids"):
            changes.pop(name, None)
        removed = set(req.remove_event_ids or ())
        kept = [e for e in doc["event_ids"] if e not in removed]
        changes["event_ids"] = list(dict.fromkeys([*kept, *(req.add_event_ids or ())]))
        return self._docs.update(queue_id, changes)

    def delete(self, queue_id: str) -> bool:
        """Mark the queue inactive; return whether there was an active one."""
        doc = self.get(queue_id)
        if doc is None:
            return False
        self._docs.update(queue_id, {"is_active": False})
        return True


def public(doc: Doc) -> Doc:
    """Return a queue as the API shows it (without its event ids)."""
    return {key: value for key, value in doc.items() if key != "event_ids"}
