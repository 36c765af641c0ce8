"""The read-only views of `client.events` served by GET routes: schema, chart and legacy list."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from .._resource import AsyncAPIResource
from ..models import (
    CHART_AGGREGATIONS,
    CHART_BUCKETS,
    ChartAggregation,
    ChartBucket,
    EventsChart,
    EventsPage,
    EventsSchema,
    ExportFilter,
    check_limit,
)
from ._convert import iso_utc, struct_list

__all__ = [
    "AsyncEventViews",
    "EventsDateRange",
]

_Instant = dt.datetime | str | float
EventsDateRange = str | Mapping[str, Any] | tuple[_Instant, _Instant]
"""A `dateRange`: ``(start, end)`` (datetimes, ISO strings or Unix ms), ``{"$gte", "$lte"}``, or a string."""
_FilterArg = Sequence[ExportFilter | Mapping[str, Any]]
# `AsyncEventViews.list` shadows the builtin inside the class body.
_Names = list[str]


def _date_range(value: EventsDateRange | None) -> str | dict[str, Any] | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, tuple):
        start, end = value
        return {"$gte": _instant(start), "$lte": _instant(end)}
    return dict(value)


def _instant(value: _Instant) -> str | float:
    return value if isinstance(value, (int, float)) else iso_utc(value)


def _choice(name: str, value: str | None, allowed: tuple[str, ...]) -> None:
    if value is not None and value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}, got {value!r}")


class AsyncEventViews(AsyncAPIResource):
    """GET views over events; `AsyncEvents` inherits them."""

    async def schema(
        self, *, date_range: EventsDateRange | None = None, evaluation_id: str | None = None
    ) -> EventsSchema:
        """The fields events carry, by event type and name (`GET /v1/events/schema`).

        Args:
            date_range: Only events whose `start_time` is in the range.
            evaluation_id: Only events of this experiment run.
        """
        params = {"dateRange": _date_range(date_range), "evaluation_id": evaluation_id}
        return await self._get("/v1/events/schema", cast_to=EventsSchema, params=params)

    async def chart(
        self,
        *,
        date_range: EventsDateRange | None = None,
        filters: _FilterArg | None = None,
        metric: str | None = None,
        group_by: str | None = None,
        bucket: ChartBucket | None = None,
        aggregation: ChartAggregation | None = None,
        evaluation_id: str | None = None,
        only_experiments: bool | None = None,
    ) -> EventsChart:
        """Events aggregated over time buckets (`GET /v1/events/chart`, preview spec).

        Args:
            date_range: Only events whose `start_time` is in the range.
            filters: `ExportFilter`s (each with a `type`) or the same as dicts.
            metric: The field aggregated, e.g. ``"metrics.score"`` (server default ``duration``).
            group_by: A field whose values split each bucket, e.g. ``"event_name"``.
            bucket: The bucket size (server default ``"hour"``).
            aggregation: How a bucket's values combine (server default ``"average"``).
            evaluation_id: Only events of this experiment run.
            only_experiments: Only events that belong to an experiment run.
        """
        _choice("bucket", bucket, CHART_BUCKETS)
        _choice("aggregation", aggregation, CHART_AGGREGATIONS)
        params = {
            "dateRange": _date_range(date_range),
            "filters": struct_list(filters, ExportFilter, "filters"),
            "metric": metric,
            "groupBy": group_by,
            "bucket": bucket,
            "aggregation": aggregation,
            "evaluation_id": evaluation_id,
            "only_experiments": only_experiments,
        }
        return await self._get("/v1/events/chart", cast_to=EventsChart, params=params)

    async def list(
        self,
        *,
        filters: _FilterArg | None = None,
        date_range: EventsDateRange | None = None,
        projections: _Names | None = None,
        ignore_order: bool | None = None,
        limit: int | None = None,
        page: int | None = None,
        evaluation_id: str | None = None,
    ) -> EventsPage:
        """Fetch one page of events through the legacy `GET /events` (preview spec).

        Args:
            filters: `ExportFilter`s (each with a `type`) or the same as dicts.
            date_range: Only events whose `start_time` is in the range.
            projections: Only these fields of each event, e.g. ``["event_name", "metadata.cost"]``.
            ignore_order: Let the server skip ordering (faster).
            limit: Events per page (server default 1000).
            page: 1-based page number.
            evaluation_id: Only events of this experiment run.
        """
        check_limit("page", page, 2**31)
        check_limit("limit", limit, 2**31)
        params = {
            "filters": struct_list(filters, ExportFilter, "filters"),
            "dateRange": _date_range(date_range),
            "projections": projections,
            "ignore_order": ignore_order,
            "limit": limit,
            "page": page,
            "evaluation_id": evaluation_id,
        }
        return await self._get("/events", cast_to=EventsPage, params=params)
