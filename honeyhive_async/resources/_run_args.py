"""What `client.runs` turns its arguments into: date ranges, filters, passing ranges, id chunks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from ..models import (
    AGGREGATE_FUNCTIONS,
    AggregateFunction,
    EventFilter,
    Pagination,
    PassingRange,
    RunsPage,
)
from ._convert import iso_utc, struct_list, to_struct

__all__ = [
    "DEFAULT_LIMIT",
    "RUN_IDS_PER_REQUEST",
    "FilterArg",
    "RunsDateRange",
    "aggregate",
    "date_range",
    "filters",
    "no_runs",
    "passing_ranges",
    "run_id_chunks",
]

_Instant = dt.datetime | str | float
RunsDateRange = str | Mapping[str, Any] | tuple[_Instant, _Instant]
"""A `dateRange`: ``(start, end)`` (datetimes, ISO strings or Unix ms), ``{"$gte", "$lte"}``, or a string."""
FilterArg = Sequence[EventFilter | Mapping[str, Any]]
DEFAULT_LIMIT = 20
"""The `limit` of `GET /v1/runs` when none is sent (the spec's default)."""


def _instant(value: _Instant) -> str | float:
    return value if isinstance(value, (int, float)) else iso_utc(value)


def date_range(value: RunsDateRange | None) -> str | dict[str, Any] | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, tuple):
        start, end = value
        return {"$gte": _instant(start), "$lte": _instant(end)}
    return dict(value)


def passing_ranges(
    value: Mapping[str, PassingRange | Mapping[str, Any]] | None,
) -> dict[str, PassingRange] | None:
    if value is None:
        return None
    return {
        name: to_struct(item, PassingRange, f"passing_ranges[{name!r}]")
        for name, item in value.items()
    }


def aggregate(value: AggregateFunction | None) -> AggregateFunction | None:
    if value is not None and value not in AGGREGATE_FUNCTIONS:
        raise ValueError(f"aggregate_function must be one of {AGGREGATE_FUNCTIONS}, got {value!r}")
    return value


def filters(value: FilterArg | None) -> list[EventFilter] | None:
    return struct_list(value, EventFilter, "filters")


def no_runs(page: int, limit: int) -> RunsPage:
    """The page a filter matching no run gets (`total_unfiltered` unknown: 0)."""
    pagination = Pagination(
        page=page,
        limit=limit,
        total=0,
        total_unfiltered=0,
        total_pages=0,
        has_next=False,
        has_prev=page > 1,
    )
    return RunsPage(evaluations=[], pagination=pagination, metrics=[])


RUN_IDS_PER_REQUEST = 100
"""`run_ids` sent in one `GET /v1/runs`: 100 UUIDs keep the URL near 5 KB (servers refuse 8 KB)."""


def run_id_chunks(run_ids: Sequence[str] | None) -> list[list[str]] | None:
    """`run_ids` as the requests that carry them; None when there is no id filter."""
    if isinstance(run_ids, str):
        raise TypeError("run_ids must be a list of run ids, not a str")
    if run_ids is None:
        return None
    ids = list(run_ids)
    return [ids[i : i + RUN_IDS_PER_REQUEST] for i in range(0, len(ids), RUN_IDS_PER_REQUEST)]
