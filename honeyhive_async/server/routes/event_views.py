"""Event view routes: ``GET /v1/events/schema``, ``GET /v1/events/chart``, ``GET /events``.

Installed before the event routes: ``/v1/events/{event_id}`` would otherwise match
``/v1/events/schema`` and ``/v1/events/chart`` first.
"""

from __future__ import annotations

from typing import Any

import msgspec
from aiohttp import web

from ...models import (
    CHART_AGGREGATIONS,
    CHART_BUCKETS,
    DEFAULT_PAGE_LIMIT,
    EXPORT_MAX_LIMIT,
    ExportFilter,
)
from .._http import STORE_KEY, bounded, json_response, page_number
from .._query import int_param, invalid, json_value, timestamp_bound
from ..filters import MISSING, FilterError, project_fields, resolve
from ..legacy_bodies import integer_times
from ..store import EventDict, EventQuery, Store
from ..store.event_views import chart_of, schema_of

__all__ = [
    "ROUTES",
    "events_chart",
    "events_schema",
    "list_events",
]

_filters_decoder = msgspec.json.Decoder(list[ExportFilter] | ExportFilter)
_range_decoder = msgspec.json.Decoder(dict[str, Any])
_names_decoder = msgspec.json.Decoder(list[str] | str)


def _bool(request: web.Request, name: str) -> bool:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return False
    if raw not in ("true", "false"):
        raise invalid(f"{name} must be true or false, got {raw!r}")
    return raw == "true"


def _choice(request: web.Request, name: str, allowed: tuple[str, ...], default: str) -> str:
    raw = request.query.get(name)
    if raw is None:
        return default
    if raw not in allowed:
        raise invalid(f"{name} must be one of {', '.join(allowed)}, got {raw!r}")
    return raw


def _query(request: web.Request, *, filters: bool) -> EventQuery:
    """The selection shared by the views: ``dateRange``, ``filters``, ``evaluation_id``."""
    start = end = None
    raw_range = request.query.get("dateRange")
    if raw_range is not None and raw_range.strip():
        bounds = json_value("dateRange", raw_range, _range_decoder)
        unknown = set(bounds) - {"$gte", "$lte"}
        if unknown:
            raise invalid(f"dateRange has unknown field {sorted(unknown)[0]!r}")
        start, end = timestamp_bound(bounds.get("$gte")), timestamp_bound(bounds.get("$lte"))
    items: list[ExportFilter] = []
    raw_filters = request.query.get("filters") if filters else None
    if raw_filters is not None and raw_filters.strip():
        decoded = json_value("filters", raw_filters, _filters_decoder)
        items = decoded if isinstance(decoded, list) else [decoded]
    return EventQuery(
        filters=items, start_ms=start, end_ms=end, evaluation_id=request.query.get("evaluation_id")
    )


def _matching(store: Store, query: EventQuery) -> list[EventDict]:
    try:
        return store.events.matching(query)
    except FilterError as exc:
        raise invalid(f"Invalid filter: {exc}") from None


async def events_schema(request: web.Request) -> web.Response:
    """``GET /v1/events/schema``: the fields the selected events carry."""
    store = request.app[STORE_KEY]
    query = _query(request, filters=False)
    if query.evaluation_id is None:
        runs = store.runs.every()
    else:
        run = store.runs.get(query.evaluation_id)
        runs = [] if run is None else [run]
    datasets = [r["dataset_id"] for r in runs if isinstance(r.get("dataset_id"), str)]
    return json_response(schema_of(_matching(store, query), datasets))


async def events_chart(request: web.Request) -> web.Response:
    """``GET /v1/events/chart``: a metric aggregated per time bucket (and group)."""
    query = _query(request, filters=True)
    bucket = _choice(request, "bucket", CHART_BUCKETS, "hour")
    aggregation = _choice(request, "aggregation", CHART_AGGREGATIONS, "average")
    events = _matching(request.app[STORE_KEY], query)
    if _bool(request, "only_experiments"):
        events = [e for e in events if resolve(e, "metadata.run_id") not in (MISSING, None)]
    chart = chart_of(
        events,
        metric=request.query.get("metric") or "duration",
        group_by=request.query.get("groupBy") or None,
        bucket=bucket,
        aggregation=aggregation,
    )
    return json_response(chart)


def _projections(request: web.Request) -> list[str]:
    names = request.query.getall("projections[]", [])
    raw = request.query.get("projections")
    if raw is not None and raw.strip():
        # A JSON array, or one bare field name.
        decoded = json_value("projections", raw, _names_decoder) if raw.startswith("[") else raw
        names = [*names, *([decoded] if isinstance(decoded, str) else decoded)]
    return names


async def list_events(request: web.Request) -> web.Response:
    """``GET /events`` (legacy): ``{"events": [...], "totalEvents": total}``, newest first."""
    selection = _query(request, filters=True)
    query = EventQuery(
        filters=selection.filters,
        start_ms=selection.start_ms,
        end_ms=selection.end_ms,
        evaluation_id=selection.evaluation_id,
        limit=bounded("limit", int_param(request, "limit"), DEFAULT_PAGE_LIMIT, EXPORT_MAX_LIMIT),
        page=page_number(int_param(request, "page")),
    )
    projections = _projections(request)
    _bool(request, "ignore_order")  # accepted; the local server always orders
    try:
        events, total = request.app[STORE_KEY].events.search(query)
    except FilterError as exc:
        raise invalid(f"Invalid filter: {exc}") from None
    if projections:
        events = [project_fields(event, projections) for event in events]
    events = [integer_times(event) for event in events]  # a legacy route: whole-ms times
    return json_response({"events": events, "totalEvents": total})


ROUTES = [
    web.get("/v1/events/schema", events_schema),
    web.get("/v1/events/chart", events_chart),
    web.get("/events", list_events),
]
