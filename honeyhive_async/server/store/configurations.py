"""Configurations: documents in the `configurations` table."""

from __future__ import annotations

import msgspec

from ...models.configurations import CreateConfigurationRequest, UpdateConfigurationRequest
from ._crud import Collection, Doc, now_iso
from ._db import Database
from ._records import new_id

__all__ = ["Configurations"]


class Configurations:
    """The configurations group: list with filters, create, update, delete."""

    def __init__(self, db: Database) -> None:
        """Create the table if the database does not have it yet."""
        self._docs = Collection(db, "configurations")

    def select(
        self, name: str | None = None, env: str | None = None, tag: str | None = None
    ) -> list[Doc]:
        """Return the configurations with this name, in this env and with this tag (each if given)."""
        return self._docs.select(
            lambda doc: (
                (name is None or doc["name"] == name)
                and (env is None or env in doc["env"])
                and (tag is None or tag in doc["tags"])
            )
        )

    def create(self, req: CreateConfigurationRequest) -> Doc:
        """Store a new configuration with the spec's defaults and return it."""
        doc: Doc = {"id": new_id(), "type": "LLM", "env": [], "tags": []}
        doc.update(msgspec.to_builtins(req))
        doc.update(created_at=now_iso(), updated_at=None)
        return self._docs.insert(doc)

    def update(self, config_id: str, req: UpdateConfigurationRequest) -> Doc | None:
        """Set the given fields; return the configuration, or None if there is none."""
        return self._docs.update(config_id, msgspec.to_builtins(req))

    def delete(self, config_id: str) -> bool:
        """Delete a configuration; return whether it existed."""
        return self._docs.delete(config_id)
