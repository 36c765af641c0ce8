"""Annotation queue routes: ``GET``/``POST /v1/queues``, ``GET``/``PUT``/``DELETE /v1/queues/{queue_id}``.

``POST`` answers 201, as the spec says. ``PUT`` takes the id in the path and (the spec requires
it) in the body: the two must agree.
"""

from __future__ import annotations

import msgspec
from aiohttp import web

from ...models.queues import CreateQueueRequest, UpdateQueueRequest
from .._http import STORE_KEY, ServerError, decode_body, json_response, path_id
from ..store.queues import public

__all__ = ["ROUTES", "create_queue", "delete_queue", "get_queue", "list_queues", "update_queue"]

_create_decoder = msgspec.json.Decoder(CreateQueueRequest)
_update_decoder = msgspec.json.Decoder(UpdateQueueRequest)
_BOOLS = {"true": True, "false": False}


def _not_found(queue_id: str) -> ServerError:
    return ServerError(404, f"Queue {queue_id} not found", "NOT_FOUND")


async def list_queues(request: web.Request) -> web.Response:
    """``GET /v1/queues?enabled=``: the active queues, oldest first."""
    raw = request.query.get("enabled")
    if raw is not None and raw not in _BOOLS:
        raise ServerError(400, f"enabled must be true or false, got {raw!r}", "VALIDATION_ERROR")
    queues = request.app[STORE_KEY].queues.select(None if raw is None else _BOOLS[raw])
    return json_response({"queues": [public(queue) for queue in queues]})


async def create_queue(request: web.Request) -> web.Response:
    """``POST /v1/queues``: 201 with the new queue."""
    req = await decode_body(request, _create_decoder)
    queue = request.app[STORE_KEY].queues.create(req)
    return json_response({"queue": public(queue), "message": "Queue created"}, status=201)


async def get_queue(request: web.Request) -> web.Response:
    """``GET /v1/queues/{queue_id}``: the queue itself."""
    queue_id = path_id(request, "queue_id")
    queue = request.app[STORE_KEY].queues.get(queue_id)
    if queue is None:
        raise _not_found(queue_id)
    return json_response(public(queue))


async def update_queue(request: web.Request) -> web.Response:
    """``PUT /v1/queues/{queue_id}``: the queue with the given fields changed."""
    queue_id = path_id(request, "queue_id")
    req = await decode_body(request, _update_decoder)
    if req.id != queue_id:
        message = f"the body's id {req.id!r} is not the path's {queue_id!r}"
        raise ServerError(400, message, "VALIDATION_ERROR")
    queue = request.app[STORE_KEY].queues.update(queue_id, req)
    if queue is None:
        raise _not_found(queue_id)
    return json_response({"queue": public(queue), "message": "Queue updated"})


async def delete_queue(request: web.Request) -> web.Response:
    """``DELETE /v1/queues/{queue_id}``: a soft delete."""
    queue_id = path_id(request, "queue_id")
    if not request.app[STORE_KEY].queues.delete(queue_id):
        raise _not_found(queue_id)
    return json_response({"message": "Queue deleted"})


ROUTES = [
    web.get("/v1/queues", list_queues),
    web.post("/v1/queues", create_queue),
    web.get("/v1/queues/{queue_id}", get_queue),
    web.put("/v1/queues/{queue_id}", update_queue),
    web.delete("/v1/queues/{queue_id}", delete_queue),
]
