"""Project models: `/v1/projects` of the preview spec (a project is named by its `name`)."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta

from ._base import Model, RequestModel, field_ms

__all__ = ["CreateProjectRequest", "Project", "ProjectType", "UpdateProjectRequest"]

ProjectType = Literal["evaluation", "completion"]

_Name = Annotated[str, Meta(min_length=1)]


class CreateProjectRequest(RequestModel):
    """Body of `POST /v1/projects`."""

    name: _Name
    description: str | None = None
    type: ProjectType | None = None


class UpdateProjectRequest(RequestModel):
    """Body of `PUT /v1/projects`: `name` picks the project, the rest changes it."""

    name: _Name
    new_name: str | None = None
    description: str | None = None
    type: ProjectType | None = None


class Project(Model):
    """A project, as `GET /v1/projects` lists it and `POST /v1/projects` returns it."""

    id: str
    name: str
    org_id: str | None = None
    description: str | None = None
    type: str | None = None
    created_at: str | float | None = None
    """ISO 8601 (or Unix ms); see `created_at_ms`."""
    updated_at: str | float | None = None

    @property
    def created_at_ms(self) -> float | None:
        """`created_at` as Unix milliseconds."""
        return field_ms(self.created_at, "created_at")

    @property
    def updated_at_ms(self) -> float | None:
        """`updated_at` as Unix milliseconds."""
        return field_ms(self.updated_at, "updated_at")
