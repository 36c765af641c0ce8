"""Event views: `DELETE /v1/events/{id}` and `GET /v1/events/chart` (preview spec) bodies."""

from __future__ import annotations

from typing import Any, Literal, get_args

from ._base import Model

__all__ = [
    "CHART_AGGREGATIONS",
    "CHART_BUCKETS",
    "ChartAggregation",
    "ChartBucket",
    "DeleteEventResponse",
    "EventsChart",
]

ChartBucket = Literal[
    "minute", "minutes", "1m", "hour", "hours", "1h", "day", "days", "1d",
    "week", "weeks", "1w", "month", "months", "1M",
]  # fmt: skip
"""Time bucket of `GET /v1/events/chart` (server default ``"hour"``)."""
CHART_BUCKETS: tuple[str, ...] = get_args(ChartBucket)

ChartAggregation = Literal[
    "avg", "average", "mean", "p50", "p75", "p90", "p95", "p99",
    "count", "sum", "min", "max", "median",
]  # fmt: skip
"""Aggregation of `GET /v1/events/chart` (server default ``"average"``)."""
CHART_AGGREGATIONS: tuple[str, ...] = get_args(ChartAggregation)


class DeleteEventResponse(Model):
    """Body returned by `DELETE /v1/events/{event_id}`."""

    success: bool
    deleted: str


class EventsChart(Model):
    """Body returned by `GET /v1/events/chart`: one item per bucket (and group)."""

    events: list[Any]
    """The spec leaves the items open; the local server sends ``{"time", "value", "count"}``
    objects (plus ``"group"`` with `group_by`), oldest bucket first."""
    totalEvents: float
