"""`client.projects`: projects, named by their `name` (the preview spec's `/v1/projects`)."""

from __future__ import annotations

import builtins

from .._resource import AsyncAPIResource, NoneType
from ..models.projects import CreateProjectRequest, Project, ProjectType, UpdateProjectRequest

__all__ = ["AsyncProjects"]


def _name(value: str, what: str = "name") -> str:
    # Query and body values need no encoding here, but a blank name would pick no project.
    if not isinstance(value, str) or not value.strip():  # type: ignore[redundant-expr] # callers may be untyped
        raise ValueError(f"{what} must be a non-empty string, got {value!r}")
    return value


class AsyncProjects(AsyncAPIResource):
    """List, create, update and delete projects."""

    async def list(self, *, name: str | None = None) -> builtins.list[Project]:
        """Return the projects (`GET /v1/projects`), or only the one with this `name`."""
        params = {"name": name}
        return await self._get("/v1/projects", cast_to=builtins.list[Project], params=params)

    async def create(
        self, *, name: str, description: str | None = None, type: ProjectType | None = None
    ) -> Project:
        """Create a project (`POST /v1/projects`) and return it, with its `id`.

        Args:
            name: Unique within the organisation; it names the project in `update` and `delete`.
            description: Free text.
            type: ``"evaluation"`` or ``"completion"``.
        """
        body = CreateProjectRequest(name=_name(name), description=description, type=type)
        return await self._post("/v1/projects", cast_to=Project, body=body, idempotent=False)

    async def update(
        self,
        *,
        name: str,
        new_name: str | None = None,
        description: str | None = None,
        type: ProjectType | None = None,
    ) -> None:
        """Change the project called `name` (`PUT /v1/projects`); the reply has no body.

        Args:
            name: The project to change.
            new_name: Rename it.
            description: New description.
            type: ``"evaluation"`` or ``"completion"``.
        """
        body = UpdateProjectRequest(
            name=_name(name), new_name=new_name, description=description, type=type
        )
        # A rename repeated after it succeeded finds no project called `name`: send it once.
        await self._put("/v1/projects", cast_to=NoneType, body=body, idempotent=new_name is None)

    async def delete(self, name: str) -> None:
        """Delete the project called `name` (`DELETE /v1/projects?name=`)."""
        await self._delete("/v1/projects", cast_to=NoneType, params={"name": _name(name)})
