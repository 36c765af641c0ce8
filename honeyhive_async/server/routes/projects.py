"""Project routes (preview spec): ``GET``, ``POST``, ``PUT`` and ``DELETE /v1/projects``.

A project is named by its `name` (``PUT`` in the body, ``DELETE`` in ``?name=``), so names
are unique: taking a name already in use is a 409. The spec gives ``PUT`` and ``DELETE`` no
reply body; this server answers ``{"success": true}`` so the reply is still JSON.
"""

from __future__ import annotations

import msgspec
from aiohttp import web

from ...models.projects import CreateProjectRequest, UpdateProjectRequest
from .._http import STORE_KEY, ServerError, decode_body, json_response
from ..store import Doc
from ..store.projects import Projects

__all__ = ["ROUTES", "create_project", "delete_project", "list_projects", "update_project"]

_create_decoder = msgspec.json.Decoder(CreateProjectRequest)
_update_decoder = msgspec.json.Decoder(UpdateProjectRequest)


def _existing(projects: Projects, name: str | None) -> Doc:
    if not name:
        raise ServerError(400, "name is required", "VALIDATION_ERROR")
    doc = projects.by_name(name)
    if doc is None:
        raise ServerError(404, f"Project {name} not found", "NOT_FOUND")
    return doc


def _free(projects: Projects, name: str) -> None:
    if projects.by_name(name) is not None:
        raise ServerError(409, f"A project named {name} already exists", "CONFLICT")


async def list_projects(request: web.Request) -> web.Response:
    """``GET /v1/projects?name=``: a bare array, oldest first."""
    return json_response(request.app[STORE_KEY].projects.select(request.query.get("name") or None))


async def create_project(request: web.Request) -> web.Response:
    """``POST /v1/projects``: the new project."""
    req = await decode_body(request, _create_decoder)
    projects = request.app[STORE_KEY].projects
    _free(projects, req.name)
    return json_response(projects.create(req))


async def update_project(request: web.Request) -> web.Response:
    """``PUT /v1/projects``: change the project called `name`."""
    req = await decode_body(request, _update_decoder)
    projects = request.app[STORE_KEY].projects
    doc = _existing(projects, req.name)
    if req.new_name is not None and req.new_name != req.name:
        if not req.new_name:
            raise ServerError(400, "new_name must be a non-empty string", "VALIDATION_ERROR")
        _free(projects, req.new_name)
    projects.update(doc, req)
    return json_response({"success": True})


async def delete_project(request: web.Request) -> web.Response:
    """``DELETE /v1/projects?name=``."""
    projects = request.app[STORE_KEY].projects
    projects.delete(_existing(projects, request.query.get("name")))
    return json_response({"success": True})


ROUTES = [
    web.get("/v1/projects", list_projects),
    web.post("/v1/projects", create_project),
    web.put("/v1/projects", update_project),
    web.delete("/v1/projects", delete_project),
]
