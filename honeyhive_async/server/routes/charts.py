"""Chart routes: ``GET``/``POST /v1/charts``, ``GET``/``PUT``/``DELETE /v1/charts/{chart_id}``."""

from __future__ import annotations

from typing import Any

import msgspec
from aiohttp import web

from ...models.charts import CreateChartRequest, UpdateChartRequest
from .._http import STORE_KEY, ServerError, decode_body, json_response, path_id

__all__ = ["ROUTES", "create_chart", "delete_chart", "get_chart", "list_charts", "update_chart"]

_create_decoder = msgspec.json.Decoder(CreateChartRequest)
_update_decoder = msgspec.json.Decoder(UpdateChartRequest)


def _check_date_range(value: dict[str, Any] | None) -> None:
    # The spec's anyOf: {"relative": str} alone, or {"$gte", "$lte"} as strings or numbers.
    if value is None:
        return
    if set(value) == {"relative"} and isinstance(value["relative"], str):
        return
    bounds = [value.get("$gte"), value.get("$lte")]
    if all(isinstance(b, (str, int, float)) and not isinstance(b, bool) for b in bounds):
        return
    message = 'dateRange must be {"relative": str} or {"$gte": ..., "$lte": ...}'
    raise ServerError(400, message, "VALIDATION_ERROR")


def _not_found(chart_id: str) -> ServerError:
    return ServerError(404, f"Chart {chart_id} not found", "NOT_FOUND")


async def list_charts(request: web.Request) -> web.Response:
    """``GET /v1/charts``: every chart, oldest first."""
    return json_response({"success": True, "data": request.app[STORE_KEY].charts.select()})


async def create_chart(request: web.Request) -> web.Response:
    """``POST /v1/charts``: the new chart."""
    req = await decode_body(request, _create_decoder)
    _check_date_range(req.dateRange)
    return json_response({"success": True, "data": request.app[STORE_KEY].charts.create(req)})


async def get_chart(request: web.Request) -> web.Response:
    """``GET /v1/charts/{chart_id}``."""
    chart_id = path_id(request, "chart_id")
    chart = request.app[STORE_KEY].charts.get(chart_id)
    if chart is None:
        raise _not_found(chart_id)
    return json_response({"success": True, "data": chart})


async def update_chart(request: web.Request) -> web.Response:
    """``PUT /v1/charts/{chart_id}``: the chart with the given fields changed."""
    chart_id = path_id(request, "chart_id")
    req = await decode_body(request, _update_decoder)
    _check_date_range(req.dateRange)
    chart = request.app[STORE_KEY].charts.update(chart_id, req)
    if chart is None:
        raise _not_found(chart_id)
    return json_response({"success": True, "data": chart})


async def delete_chart(request: web.Request) -> web.Response:
    """``DELETE /v1/charts/{chart_id}``."""
    chart_id = path_id(request, "chart_id")
    if not request.app[STORE_KEY].charts.delete(chart_id):
        raise _not_found(chart_id)
    return json_response({"success": True, "message": f"Chart {chart_id} deleted"})


ROUTES = [
    web.get("/v1/charts", list_charts),
    web.post("/v1/charts", create_chart),
    web.get("/v1/charts/{chart_id}", get_chart),
    web.put("/v1/charts/{chart_id}", update_chart),
    web.delete("/v1/charts/{chart_id}", delete_chart),
]
