"""Configuration routes: ``GET``/``POST /v1/configurations``, ``PUT``/``DELETE /v1/configurations/{configId}``.

Replies carry MongoDB's acknowledgement counts, as HoneyHive's do. An unknown id is a 404
(HoneyHive's spec shows only 200s; a count of 0 would hide a typo).
"""

from __future__ import annotations

from typing import Any

import msgspec
from aiohttp import web

from ...models.configurations import CreateConfigurationRequest, UpdateConfigurationRequest
from .._http import STORE_KEY, ServerError, decode_body, json_response, path_id

__all__ = [
    "ROUTES",
    "create_configuration",
    "delete_configuration",
    "list_configurations",
    "update_configuration",
]

_create_decoder = msgspec.json.Decoder(CreateConfigurationRequest)
_update_decoder = msgspec.json.Decoder(UpdateConfigurationRequest)


def _check_parameters(parameters: dict[str, Any] | None) -> None:
    # The spec's ConfigurationParameters is open but requires these two.
    if parameters is None:
        return
    if parameters.get("call_type") not in ("chat", "completion"):
        message = "parameters.call_type must be 'chat' or 'completion'"
        raise ServerError(400, message, "VALIDATION_ERROR")
    model = parameters.get("model")
    if not isinstance(model, str) or not model:
        raise ServerError(400, "parameters.model must be a non-empty string", "VALIDATION_ERROR")


async def list_configurations(request: web.Request) -> web.Response:
    """``GET /v1/configurations?name=&env=&tags=``: oldest first."""
    query = request.query
    configurations = request.app[STORE_KEY].configurations.select(
        query.get("name") or None, query.get("env") or None, query.get("tags") or None
    )
    return json_response({"configurations": configurations})


async def create_configuration(request: web.Request) -> web.Response:
    """``POST /v1/configurations``: store one; the reply carries its id."""
    req = await decode_body(request, _create_decoder)
    _check_parameters(req.parameters)
    doc = request.app[STORE_KEY].configurations.create(req)
    return json_response({"acknowledged": True, "insertedId": doc["id"]})


async def update_configuration(request: web.Request) -> web.Response:
    """``PUT /v1/configurations/{configId}``: set the given fields."""
    config_id = path_id(request, "configId")
    req = await decode_body(request, _update_decoder)
    _check_parameters(req.parameters)
    if request.app[STORE_KEY].configurations.update(config_id, req) is None:
        raise ServerError(404, f"Configuration {config_id} not found", "NOT_FOUND")
    counts = {"modifiedCount": 1, "upsertedId": None, "upsertedCount": 0, "matchedCount": 1}
    return json_response({"acknowledged": True, **counts})


async def delete_configuration(request: web.Request) -> web.Response:
    """``DELETE /v1/configurations/{configId}``."""
    config_id = path_id(request, "configId")
    if not request.app[STORE_KEY].configurations.delete(config_id):
        raise ServerError(404, f"Configuration {config_id} not found", "NOT_FOUND")
    return json_response({"acknowledged": True, "deletedCount": 1})


ROUTES = [
    web.get("/v1/configurations", list_configurations),
    web.post("/v1/configurations", create_configuration),
    web.put("/v1/configurations/{configId}", update_configuration),
    web.delete("/v1/configurations/{configId}", delete_configuration),
]
