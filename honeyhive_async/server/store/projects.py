"""Projects: documents in the `projects` table, unique by name."""

from __future__ import annotations

from ...models.projects import CreateProjectRequest, UpdateProjectRequest
from ._crud import Collection, Doc, now_iso
from ._db import Database
from ._records import LOCAL_ORG_ID, new_id

__all__ = ["Projects"]


class Projects:
    """The projects group: a project is picked by its name, so names are unique."""

    def __init__(self, db: Database) -> None:
        """Create the table if the database does not have it yet."""
        self._docs = Collection(db, "projects")

    def select(self, name: str | None = None) -> list[Doc]:
        """Return every project (or the one called `name`), oldest first."""
        return self._docs.select(lambda doc: name is None or doc["name"] == name)

    def by_name(self, name: str) -> Doc | None:
        """Return the project called `name`, or None."""
        found = self.select(name)
        return found[0] if found else None

    def create(self, req: CreateProjectRequest) -> Doc:
        """Store a new project (the caller checked the name is free) and return it."""
        now = now_iso()
        doc: Doc = {"id": new_id(), "name": req.name, "org_id": LOCAL_ORG_ID}
        if req.description is not None:
            doc["description"] = req.description
        if req.type is not None:
            doc["type"] = req.type
        doc.update(created_at=now, updated_at=now)
        return self._docs.insert(doc)

    def update(self, doc: Doc, req: UpdateProjectRequest) -> Doc:
        """Apply `req` to the stored project `doc` and return it."""
        changes = {"description": req.description, "type": req.type, "name": req.new_name}
        updated = self._docs.update(doc["id"], {k: v for k, v in changes.items() if v is not None})
        return updated if updated is not None else doc

    def delete(self, doc: Doc) -> bool:
        """Delete the stored project `doc`; return whether it was still there."""
        return self._docs.delete(doc["id"])
