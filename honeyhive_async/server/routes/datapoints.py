"""Datapoint routes: ``GET``/``POST /v1/datapoints``, the batch, and one datapoint by id."""

from __future__ import annotations

import math
from typing import Any

import msgspec
from aiohttp import web

from ...models import (
    BatchCreateDatapointsRequest,
    CreateDatapointRequest,
    DatapointMapping,
    EventFilter,
    UpdateDatapointRequest,
    parse_timestamp_ms,
)
from .._http import STORE_KEY, ServerError, decode_body, json_response, path_id
from ..filters import FilterError
from ..store import EventDict, EventQuery, Store
from ..store.datapoints import map_row

__all__ = [
    "MAX_DEPTH",
    "ROUTES",
    "check_depth",
    "create_datapoint",
    "create_datapoints_batch",
    "delete_datapoint",
    "get_datapoint",
    "list_datapoints",
    "update_datapoint",
]

_create_decoder = msgspec.json.Decoder(CreateDatapointRequest)
_update_decoder = msgspec.json.Decoder(UpdateDatapointRequest)
_batch_decoder = msgspec.json.Decoder(BatchCreateDatapointsRequest)
_LIST_KEYS = {"datapoint_ids", "datapoint_ids[]", "dataset_name"}
_NAME_MAX = 200
# Every event a batch may select, in one query (SQLite takes a 64-bit LIMIT).
_ALL_EVENTS = 2**62


MAX_DEPTH = 200
"""How deep a stored value may nest: the reply that carries it must still encode (RecursionError)."""


def check_depth(body: msgspec.Struct) -> None:
    """Raise a 400 if a field of `body` nests deeper than `MAX_DEPTH` levels."""
    stack: list[tuple[str, object, int]] = [
        (name, value, 1) for name, value in msgspec.structs.asdict(body).items()
    ]
    while stack:  # iterative: the point is to not recurse
        name, value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise _bad(f"{name} nests deeper than {MAX_DEPTH} levels")
        if isinstance(value, dict):
            stack.extend((name, item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            stack.extend((name, item, depth + 1) for item in value)


def _bad(message: str) -> ServerError:
    return ServerError(400, message, "VALIDATION_ERROR")


def _check_ids(name: str, ids: list[str] | None) -> None:
    if ids is not None and any(not value.strip() for value in ids):
        raise _bad(f"{name} must hold non-empty ids")


def _check_datasets(store: Store, name: str, ids: list[str] | None) -> None:
    _check_ids(name, ids)
    missing = store.datasets.missing(ids or [])
    if missing:
        raise _bad(f"{name}: no dataset {missing[0]}")


async def list_datapoints(request: web.Request) -> web.Response:
    """``GET /v1/datapoints``: all datapoints, or those with the ids or in the named dataset."""
    query = request.query
    unknown = sorted(set(query) - _LIST_KEYS)
    if unknown:
        raise _bad(f"unknown query parameter {unknown[0]!r}")
    ids: list[str] | None = None
    if "datapoint_ids[]" in query or "datapoint_ids" in query:
        ids = [*query.getall("datapoint_ids[]", []), *query.getall("datapoint_ids", [])]
        _check_ids("datapoint_ids", ids)
    store = request.app[STORE_KEY]
    dataset_ids = None
    names = query.getall("dataset_name", [])
    if names:
        if len(names) > 1 or len(names[0]) > _NAME_MAX:
            raise _bad(f"dataset_name must be one name of at most {_NAME_MAX} characters")
        dataset_ids = [dataset["id"] for dataset in store.datasets.select(name=names[0])]
    return json_response({"datapoints": store.datapoints.select(ids, dataset_ids)})


async def create_datapoint(request: web.Request) -> web.Response:
    """``POST /v1/datapoints``: store one datapoint; the new id is in ``result.insertedIds``."""
    req = await decode_body(request, _create_decoder)
    check_depth(req)
    store = request.app[STORE_KEY]
    _check_datasets(store, "linked_datasets", req.linked_datasets)
    datapoint_id = store.datapoints.create(req)
    return json_response({"inserted": True, "result": {"insertedIds": [datapoint_id]}})


async def get_datapoint(request: web.Request) -> web.Response:
    """``GET /v1/datapoints/{datapoint_id}``: the datapoint, in a one-item array as the spec has it."""
    datapoint_id = path_id(request, "datapoint_id")
    datapoint = request.app[STORE_KEY].datapoints.get(datapoint_id)
    if datapoint is None:
        raise ServerError(404, f"Datapoint {datapoint_id} not found", "NOT_FOUND")
    return json_response({"datapoint": [datapoint]})


async def update_datapoint(request: web.Request) -> web.Response:
    """``PUT /v1/datapoints/{datapoint_id}``: replace the fields given."""
    datapoint_id = path_id(request, "datapoint_id")
    req = await decode_body(request, _update_decoder)
    check_depth(req)
    store = request.app[STORE_KEY]
    _check_datasets(store, "linked_datasets", req.linked_datasets)
    # A field sent as null counts as not sent: no field of the datapoint may be cleared to null.
    changes = {k: v for k, v in msgspec.structs.asdict(req).items() if v is not None}
    if not store.datapoints.update(datapoint_id, changes):
        raise ServerError(404, f"Datapoint {datapoint_id} not found", "NOT_FOUND")
    return json_response({"updated": True, "result": {"modifiedCount": 1}})


async def delete_datapoint(request: web.Request) -> web.Response:
    """``DELETE /v1/datapoints/{datapoint_id}``: delete it; the datasets holding it drop it."""
    datapoint_id = path_id(request, "datapoint_id")
    if not request.app[STORE_KEY].datapoints.delete(datapoint_id):
        raise ServerError(404, f"Datapoint {datapoint_id} not found", "NOT_FOUND")
    return json_response({"deleted": True})


def _batch_filters(raw: dict[str, Any] | list[dict[str, Any]] | None) -> list[EventFilter]:
    items = [] if raw is None else [raw] if isinstance(raw, dict) else raw
    try:
        return [msgspec.convert(item, EventFilter) for item in items]
    except msgspec.ValidationError as exc:
        raise _bad(f"Invalid request body: {exc} - at `$.filters`") from None


def _bound(name: str, value: str | None) -> float | None:
    if value is None:
        return None
    try:
        parsed = parse_timestamp_ms(value)
    except ValueError:
        parsed = None
    if parsed is None or not math.isfinite(parsed):
        raise _bad(f"dateRange.{name} is not a timestamp: {value!r}")
    return parsed


def _batch_events(store: Store, req: BatchCreateDatapointsRequest) -> list[EventDict]:
    """The events a batch selects: by id, or by filters and date range, then by `checkState`."""
    if req.events is not None:
        _check_ids("events", req.events)
        selected = []
        for event_id in dict.fromkeys(req.events):
            event = store.events.get(event_id)
            if event is None:
                raise _bad(f"events: no event {event_id}")
            selected.append(event)
    elif req.filters is None and req.dateRange is None and req.selectAll is None:
        raise _bad("a batch needs `events`, or `filters`, `dateRange` or `selectAll`")
    else:
        dates = req.dateRange
        query = EventQuery(
            filters=_batch_filters(req.filters),
            start_ms=_bound("$gte", dates.gte) if dates else None,
            end_ms=_bound("$lte", dates.lte) if dates else None,
            limit=_ALL_EVENTS,
        )
        try:
            found, _ = store.events.search(query)
        except FilterError as exc:
            raise _bad(str(exc)) from None
        selected = found[::-1]  # oldest first: the datapoints keep the events' order
    checked = req.checkState or {}
    default = req.selectAll is not False
    return [event for event in selected if checked.get(event["event_id"], default)]


async def create_datapoints_batch(request: web.Request) -> web.Response:
    """``POST /v1/datapoints/batch``: one datapoint per selected event, through `mapping`."""
    req = await decode_body(request, _batch_decoder)
    store = request.app[STORE_KEY]
    if req.dataset_id is not None:
        _check_datasets(store, "dataset_id", [req.dataset_id])
    mapping = req.mapping or DatapointMapping()
    rows = []
    for event in _batch_events(store, req):
        try:
            row = map_row(event, mapping)
        except ValueError as exc:
            raise _bad(f"mapping: {exc}") from None
        rows.append({**row, "linked_event": event["event_id"]})
    dataset_ids = [] if req.dataset_id is None else [req.dataset_id]
    ids = store.datapoints.create_many(rows, dataset_ids)
    return json_response({"inserted": bool(ids), "insertedIds": ids})


ROUTES = [
    web.get("/v1/datapoints", list_datapoints),
    web.post("/v1/datapoints", create_datapoint),
    web.post("/v1/datapoints/batch", create_datapoints_batch),
    web.get("/v1/datapoints/{datapoint_id}", get_datapoint),
    web.put("/v1/datapoints/{datapoint_id}", update_datapoint),
    web.delete("/v1/datapoints/{datapoint_id}", delete_datapoint),
]
