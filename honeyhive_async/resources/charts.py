"""`client.charts`: saved charts over event metrics."""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from typing import Any

from .._resource import AsyncAPIResource, path_id
from ..models import JSONObject
from ..models.charts import (
    Chart,
    ChartBucketing,
    ChartResponse,
    ChartsResponse,
    CreateChartRequest,
    DeleteChartResponse,
    QueryFilter,
    UpdateChartRequest,
)
from ._convert import struct_list

__all__ = ["AsyncCharts"]

_Query = Sequence[QueryFilter | Mapping[str, Any]]


class AsyncCharts(AsyncAPIResource):
    """List, create, get, update and delete charts."""

    async def list(self) -> builtins.list[Chart]:
        """Return every chart (`GET /v1/charts`)."""
        return (await self._get("/v1/charts", cast_to=ChartsResponse)).data

    async def create(
        self,
        *,
        name: str,
        metric: str,
        description: str | None = None,
        func: str | None = None,
        group_by: str | None = None,
        bucketing: ChartBucketing | None = None,
        date_range: JSONObject | None = None,
        query: _Query | None = None,
        owner_id: str | None = None,
    ) -> ChartResponse:
        """Create a chart (`POST /v1/charts`); the reply's `data` is the chart, with its `id`.

        Args:
            name: Up to 200 characters.
            metric: The name of the metric to plot.
            description: Free text.
            func: The aggregation: ``"sum"``, ``"avg"``, ``"median"``, ``"min"``, ``"max"``, ...
            group_by: A field to group by (`groupBy` on the wire).
            bucketing: ``"minute"``, ``"hour"``, ``"day"`` (the server's default), ``"week"``,
                ``"month"``.
            date_range: ``{"relative": "7d"}`` or ``{"$gte": start, "$lte": end}``.
            query: `QueryFilter` items or mappings (`field`, `value`, `type`, `operator`).
            owner_id: The user who owns it.
        """
        body = CreateChartRequest(
            name=name,
            metric=metric,
            description=description,
            func=func,
            groupBy=group_by,
            bucketing=bucketing,
            dateRange=date_range,
            query=struct_list(query, QueryFilter, "query"),
            owner_id=owner_id,
        )
        return await self._post("/v1/charts", cast_to=ChartResponse, body=body, idempotent=False)

    async def get(self, chart_id: str) -> Chart:
        """Return one chart (`GET /v1/charts/{chart_id}`)."""
        path = f"/v1/charts/{path_id('chart_id', chart_id)}"
        return (await self._get(path, cast_to=ChartResponse)).data

    async def update(
        self,
        chart_id: str,
        *,
        name: str | None = None,
        metric: str | None = None,
        description: str | None = None,
        func: str | None = None,
        group_by: str | None = None,
        bucketing: ChartBucketing | None = None,
        date_range: JSONObject | None = None,
        query: _Query | None = None,
        owner_id: str | None = None,
    ) -> ChartResponse:
        """Change the given fields of a chart (`PUT /v1/charts/{chart_id}`); see `create`."""
        path = f"/v1/charts/{path_id('chart_id', chart_id)}"
        body = UpdateChartRequest(
            name=name,
            metric=metric,
            description=description,
            func=func,
            groupBy=group_by,
            bucketing=bucketing,
            dateRange=date_range,
            query=struct_list(query, QueryFilter, "query"),
            owner_id=owner_id,
        )
        return await self._put(path, cast_to=ChartResponse, body=body)

    async def delete(self, chart_id: str) -> DeleteChartResponse:
        """Delete a chart (`DELETE /v1/charts/{chart_id}`)."""
        path = f"/v1/charts/{path_id('chart_id', chart_id)}"
        return await self._delete(path, cast_to=DeleteChartResponse)
