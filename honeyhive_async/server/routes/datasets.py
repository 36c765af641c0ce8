"""Dataset routes: ``/v1/datasets``, one dataset by id, its datapoints, and the legacy forms."""

from __future__ import annotations

import msgspec
from aiohttp import web

from ...models import (
    AddDatapointsToDatasetRequest,
    CreateDatasetRequest,
    LegacyUpdateDatasetRequest,
    UpdateDatasetRequest,
)
from .._http import STORE_KEY, ServerError, decode_body, json_response, path_id
from ..store import Store
from ..store.datapoints import map_row
from .datapoints import check_depth

__all__ = [
    "ROUTES",
    "add_datapoints",
    "create_dataset",
    "delete_dataset",
    "delete_dataset_legacy",
    "list_datasets",
    "remove_datapoint",
    "update_dataset",
    "update_dataset_legacy",
]

_create_decoder = msgspec.json.Decoder(CreateDatasetRequest)
_update_decoder = msgspec.json.Decoder(UpdateDatasetRequest)
_legacy_update_decoder = msgspec.json.Decoder(LegacyUpdateDatasetRequest)
_add_decoder = msgspec.json.Decoder(AddDatapointsToDatasetRequest)
_NAME_MAX = 200
_UNTITLED = "Untitled Dataset"


def _bad(message: str) -> ServerError:
    return ServerError(400, message, "VALIDATION_ERROR")


def _not_found(dataset_id: str) -> ServerError:
    return ServerError(404, f"Dataset {dataset_id} not found", "NOT_FOUND")


def _check(store: Store, name: str | None, datapoints: list[str] | None) -> None:
    """Reject a name over the spec's length and datapoint ids that are blank or unknown."""
    if name is not None and len(name) > _NAME_MAX:
        raise _bad(f"name must be at most {_NAME_MAX} characters")
    if datapoints is not None:
        if any(not dp.strip() for dp in datapoints):
            raise _bad("datapoints must hold non-empty ids")
        missing = store.datapoints.missing(datapoints)
        if missing:
            raise _bad(f"datapoints: no datapoint {missing[0]}")


async def list_datasets(request: web.Request) -> web.Response:
    """``GET /v1/datasets``: every dataset, or those with the id and/or the name."""
    query = request.query
    datasets = request.app[STORE_KEY].datasets.select(query.get("dataset_id"), query.get("name"))
    return json_response({"datasets": datasets})


async def create_dataset(request: web.Request) -> web.Response:
    """``POST /v1/datasets``: a new dataset, with the datapoints given; its id in the result."""
    req = await decode_body(request, _create_decoder)
    store = request.app[STORE_KEY]
    _check(store, req.name, req.datapoints)
    dataset_id = store.datasets.create(req.name or _UNTITLED, req.description, req.datapoints or [])
    return json_response({"inserted": True, "result": {"insertedId": dataset_id}})


def _update(store: Store, dataset_id: str, req: UpdateDatasetRequest) -> web.Response:
    _check(store, req.name, req.datapoints)
    changes = {k: v for k, v in msgspec.structs.asdict(req).items() if v is not None}
    dataset = store.datasets.update(dataset_id, changes)
    if dataset is None:
        raise _not_found(dataset_id)
    return json_response({"result": dataset})


async def update_dataset(request: web.Request) -> web.Response:
    """``PUT /v1/datasets/{dataset_id}``: change the fields given; answer with the dataset."""
    dataset_id = path_id(request, "dataset_id")
    req = await decode_body(request, _update_decoder)
    return _update(request.app[STORE_KEY], dataset_id, req)


async def update_dataset_legacy(request: web.Request) -> web.Response:
    """``PUT /v1/datasets`` (deprecated): as the route by id, with the id in the body."""
    req = await decode_body(request, _legacy_update_decoder)
    if not req.dataset_id.strip():
        raise _bad("dataset_id must be a non-empty string")
    fields = UpdateDatasetRequest(
        name=req.name, description=req.description, datapoints=req.datapoints
    )
    return _update(request.app[STORE_KEY], req.dataset_id, fields)


def _delete(store: Store, dataset_id: str) -> web.Response:
    if not store.datasets.delete(dataset_id):
        raise _not_found(dataset_id)
    return json_response({"result": {"id": dataset_id}})


async def delete_dataset(request: web.Request) -> web.Response:
    """``DELETE /v1/datasets/{dataset_id}``: delete it; its datapoints stay, unlinked."""
    return _delete(request.app[STORE_KEY], path_id(request, "dataset_id"))


async def delete_dataset_legacy(request: web.Request) -> web.Response:
    """``DELETE /v1/datasets?dataset_id=`` (deprecated)."""
    dataset_id = request.query.get("dataset_id", "")
    if not dataset_id.strip():
        raise _bad("dataset_id is required")
    return _delete(request.app[STORE_KEY], dataset_id)


async def add_datapoints(request: web.Request) -> web.Response:
    """``POST /v1/datasets/{dataset_id}/datapoints``: one new datapoint per row, via `mapping`."""
    dataset_id = path_id(request, "dataset_id")
    req = await decode_body(request, _add_decoder)
    check_depth(req)
    if not req.data:
        raise _bad("data must hold at least one row")
    store = request.app[STORE_KEY]
    if store.datasets.get(dataset_id) is None:
        raise _not_found(dataset_id)
    try:
        rows = [map_row(row, req.mapping) for row in req.data]
    except ValueError as exc:
        raise _bad(f"mapping: {exc}") from None
    ids = store.datapoints.create_many(rows, [dataset_id])
    return json_response({"inserted": True, "datapoint_ids": ids})


async def remove_datapoint(request: web.Request) -> web.Response:
    """``DELETE /v1/datasets/{dataset_id}/datapoints/{datapoint_id}`` and its legacy path."""
    dataset_id = path_id(request, "dataset_id")
    datapoint_id = path_id(request, "datapoint_id")
    store = request.app[STORE_KEY]
    if store.datasets.get(dataset_id) is None:
        raise _not_found(dataset_id)
    # Not holding it is an answer, not an error: a retried removal must not fail.
    if store.datapoints.unlink(dataset_id, datapoint_id):
        message = f"Datapoint {datapoint_id} removed from dataset {dataset_id}"
        return json_response({"dereferenced": True, "message": message})
    message = f"Datapoint {datapoint_id} is not in dataset {dataset_id}"
    return json_response({"dereferenced": False, "message": message})


ROUTES = [
    web.get("/v1/datasets", list_datasets),
    web.post("/v1/datasets", create_dataset),
    web.put("/v1/datasets", update_dataset_legacy),
    web.delete("/v1/datasets", delete_dataset_legacy),
    web.put("/v1/datasets/{dataset_id}", update_dataset),
    web.delete("/v1/datasets/{dataset_id}", delete_dataset),
    web.post("/v1/datasets/{dataset_id}/datapoints", add_datapoints),
    web.delete("/v1/datasets/{dataset_id}/datapoints/{datapoint_id}", remove_datapoint),
    web.delete("/v1/datasets/{dataset_id}/{datapoint_id}", remove_datapoint),
]
