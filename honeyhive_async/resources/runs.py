"""`client.runs`: experiment runs: create, read, page through, update, delete, summarize, compare."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from .._pagination import PageIterator, more_after
from .._resource import AsyncAPIResource, path_id
from ..models import (
    AGGREGATE_FUNCTIONS,
    COMPARE_EVENTS_MAX_LIMIT,
    RUNS_MAX_LIMIT,
    AggregateFunction,
    CompareEventsPage,
    CreateRunRequest,
    CreateRunResponse,
    DeleteRunResponse,
    EventFilter,
    EventsSchema,
    ExperimentRun,
    GetRunResponse,
    JSONObject,
    Pagination,
    PassingRange,
    RunComparison,
    RunMetrics,
    RunsPage,
    RunsSortBy,
    RunStatus,
    RunSummary,
    UpdateRunRequest,
    UpdateRunResponse,
    check_limit,
)
from ._convert import iso_utc, struct_list, to_struct

__all__ = ["AsyncRuns", "RunsDateRange"]

_Instant = dt.datetime | str | float
RunsDateRange = str | Mapping[str, Any] | tuple[_Instant, _Instant]
"""A `dateRange`: ``(start, end)`` (datetimes, ISO strings or Unix ms), ``{"$gte", "$lte"}``, or a string."""
_FilterArg = Sequence[EventFilter | Mapping[str, Any]]
_DEFAULT_LIMIT = 20
"""The `limit` of `GET /v1/runs` when none is sent (the spec's default)."""
# `AsyncRuns.list` shadows the builtin inside the class body.
_Ids = list[str]
_Items = list[Any]


def _instant(value: _Instant) -> str | float:
    return value if isinstance(value, (int, float)) else iso_utc(value)


def _date_range(value: RunsDateRange | None) -> str | dict[str, Any] | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, tuple):
        start, end = value
        return {"$gte": _instant(start), "$lte": _instant(end)}
    return dict(value)


def _passing_ranges(
    value: Mapping[str, PassingRange | Mapping[str, Any]] | None,
) -> dict[str, PassingRange] | None:
    if value is None:
        return None
    return {
        name: to_struct(item, PassingRange, f"passing_ranges[{name!r}]")
        for name, item in value.items()
    }


def _aggregate(value: AggregateFunction | None) -> AggregateFunction | None:
    if value is not None and value not in AGGREGATE_FUNCTIONS:
        raise ValueError(f"aggregate_function must be one of {AGGREGATE_FUNCTIONS}, got {value!r}")
    return value


def _filters(value: _FilterArg | None) -> list[EventFilter] | None:
    return struct_list(value, EventFilter, "filters")


def _no_runs(page: int, limit: int) -> RunsPage:
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


class AsyncRuns(AsyncAPIResource):
    """Experiment runs: a run groups the sessions of one evaluation over a dataset."""

    async def create(
        self,
        *,
        name: str,
        run_id: str | None = None,
        description: str | None = None,
        status: RunStatus | None = None,
        metadata: JSONObject | None = None,
        results: JSONObject | None = None,
        dataset_id: str | None = None,
        event_ids: list[str] | None = None,
        configuration: JSONObject | None = None,
        evaluators: list[Any] | None = None,
        session_ids: list[str] | None = None,
        datapoint_ids: list[str] | None = None,
        passing_ranges: Mapping[str, PassingRange | Mapping[str, Any]] | None = None,
    ) -> CreateRunResponse:
        """Create a run (`POST /v1/runs`); the response carries its `run_id`.

        The client generates `run_id` when none is given, so a retried create cannot make
        a second run.

        Args:
            name: Display name of the run.
            run_id: UUID of the run; generated when omitted.
            description: Free text.
            status: ``pending`` (the server's default), ``running``, ``completed``, ...
            metadata: Arbitrary metadata.
            results: Results the caller computed.
            dataset_id: The dataset the run evaluates.
            event_ids: Ids of the run's sessions.
            configuration: The configuration evaluated (model, prompt, ...).
            evaluators: The evaluators the run uses.
            session_ids: Ids of the run's sessions.
            datapoint_ids: Ids of the dataset's datapoints the run covers.
            passing_ranges: Per metric name, ``{"min": ..., "max": ...}`` a passing value is in.
        """
        if run_id is not None:
            path_id("run_id", run_id)  # it names the run in every later path
        body = CreateRunRequest(
            run_id=run_id if run_id is not None else str(uuid.uuid4()),
            name=name,
            description=description,
            status=status,
            metadata=metadata,
            results=results,
            dataset_id=dataset_id,
            event_ids=event_ids,
            configuration=configuration,
            evaluators=evaluators,
            session_ids=session_ids,
            datapoint_ids=datapoint_ids,
            passing_ranges=_passing_ranges(passing_ranges),
        )
        return await self._post("/v1/runs", cast_to=CreateRunResponse, body=body)

    async def get(self, run_id: str) -> GetRunResponse:
        """Retrieve a run (`GET /v1/runs/{run_id}`); the run is `.evaluation`."""
        return await self._get(f"/v1/runs/{path_id('run_id', run_id)}", cast_to=GetRunResponse)

    async def list(
        self,
        *,
        dataset_id: str | None = None,
        page: int | None = None,
        limit: int | None = None,
        run_ids: Sequence[str] | None = None,
        name: str | None = None,
        status: RunStatus | None = None,
        date_range: RunsDateRange | None = None,
        sort_by: RunsSortBy | None = None,
        sort_order: Literal["asc", "desc"] | None = None,
    ) -> RunsPage:
        """Fetch one page of runs (`GET /v1/runs`) with its `pagination`.

        Args:
            dataset_id: Only runs of this dataset.
            page: 1-based page number (server default 1).
            limit: Runs per page, 1 to 100 (server default 20).
            run_ids: Only these runs; an empty list matches none (an empty page, no request).
            name: Only runs of this name.
            status: Only runs in this status.
            date_range: On `created_at`: ``(start, end)`` or ``{"$gte": ..., "$lte": ...}``.
            sort_by: ``created_at`` (default), ``updated_at``, ``name`` or ``status``.
            sort_order: ``desc`` (default) or ``asc``.
        """
        check_limit("limit", limit, RUNS_MAX_LIMIT)
        check_limit("page", page, 2**31)
        if isinstance(run_ids, str):
            raise TypeError("run_ids must be a list of run ids, not a str")
        if run_ids is not None and not run_ids:
            # An empty list sends no `run_ids[]` key, and the server would list every run.
            return _no_runs(page or 1, limit or _DEFAULT_LIMIT)
        params = {
            "dataset_id": dataset_id,
            "page": page,
            "limit": limit,
            "run_ids": None if run_ids is None else list(run_ids),
            "name": name,
            "status": status,
            "dateRange": _date_range(date_range),
            "sort_by": sort_by,
            "sort_order": sort_order,
        }
        return await self._get("/v1/runs", cast_to=RunsPage, params=params)

    def iter(
        self,
        *,
        dataset_id: str | None = None,
        page_size: int = RUNS_MAX_LIMIT,
        run_ids: Sequence[str] | None = None,
        name: str | None = None,
        status: RunStatus | None = None,
        date_range: RunsDateRange | None = None,
        sort_by: RunsSortBy | None = None,
        sort_order: Literal["asc", "desc"] | None = None,
    ) -> PageIterator[RunsPage, ExperimentRun]:
        """Iterate over every matching run, fetching the next page while this one is read.

        A run is yielded once: one created meanwhile shifts later pages, and a run seen on an
        earlier page is skipped when it comes again.

        Use ``async with client.runs.iter() as runs: async for run in runs: ...`` to stop the
        page fetched ahead as soon as the block is left (a ``break`` alone stops it too).
        """
        check_limit("page_size", page_size, RUNS_MAX_LIMIT)

        async def fetch(page: int) -> RunsPage:
            return await self.list(
                dataset_id=dataset_id,
                page=page,
                limit=page_size,
                run_ids=run_ids,
                name=name,
                status=status,
                date_range=date_range,
                sort_by=sort_by,
                sort_order=sort_order,
            )

        def has_next(result: RunsPage, page: int) -> bool:
            p = result.pagination
            return more_after(page, p.limit or page_size, p.total, p.has_next)

        return PageIterator(fetch, lambda r: r.evaluations, has_next, key=lambda run: run.run_id)

    async def update(
        self,
        run_id: str,
        *,
        name: str | None = None,
        description: str | None = None,
        status: RunStatus | None = None,
        metadata: JSONObject | None = None,
        results: JSONObject | None = None,
        event_ids: _Ids | None = None,
        configuration: JSONObject | None = None,
        evaluators: _Items | None = None,
        session_ids: _Ids | None = None,
        datapoint_ids: _Ids | None = None,
        passing_ranges: Mapping[str, PassingRange | Mapping[str, Any]] | None = None,
    ) -> UpdateRunResponse:
        """Update a run (`PUT /v1/runs/{run_id}`); only the fields given change."""
        path = f"/v1/runs/{path_id('run_id', run_id)}"
        body = UpdateRunRequest(
            name=name,
            description=description,
            status=status,
            metadata=metadata,
            results=results,
            event_ids=event_ids,
            configuration=configuration,
            evaluators=evaluators,
            session_ids=session_ids,
            datapoint_ids=datapoint_ids,
            passing_ranges=_passing_ranges(passing_ranges),
        )
        return await self._put(path, cast_to=UpdateRunResponse, body=body)

    async def delete(self, run_id: str) -> DeleteRunResponse:
        """Delete a run (`DELETE /v1/runs/{run_id}`); its sessions stay."""
        path = f"/v1/runs/{path_id('run_id', run_id)}"
        return await self._delete(path, cast_to=DeleteRunResponse)

    async def summary(
        self,
        run_id: str,
        *,
        aggregate_function: AggregateFunction | None = None,
        filters: _FilterArg | None = None,
    ) -> RunSummary:
        """Summarize a run (`GET /v1/runs/{run_id}/summary`): metrics, pass/fail per datapoint.

        Args:
            run_id: The run.
            aggregate_function: ``average`` (default), ``min``, ``max``, ``median``, ``p90``,
                ``p95``, ``p99``, ``sum`` or ``count``.
            filters: Only events matching these `EventFilter`s (or dicts) count.
        """
        path = f"/v1/runs/{path_id('run_id', run_id)}/summary"
        params = {
            "aggregate_function": _aggregate(aggregate_function),
            "filters": _filters(filters),
        }
        return await self._get(path, cast_to=RunSummary, params=params)

    async def compare(
        self,
        new_run_id: str,
        old_run_id: str,
        *,
        aggregate_function: AggregateFunction | None = None,
        filters: _FilterArg | None = None,
    ) -> RunComparison:
        """Compare two runs over their common datapoints (`GET /v1/runs/{new}/compare/{old}`)."""
        path = (
            f"/v1/runs/{path_id('new_run_id', new_run_id)}"
            f"/compare/{path_id('old_run_id', old_run_id)}"
        )
        params = {
            "aggregate_function": _aggregate(aggregate_function),
            "filters": _filters(filters),
        }
        return await self._get(path, cast_to=RunComparison, params=params)

    async def compare_events(
        self,
        new_run_id: str,
        old_run_id: str,
        *,
        event_name: str | None = None,
        event_type: str | None = None,
        filter: EventFilter | Mapping[str, Any] | None = None,
        limit: int | None = None,
        page: int | None = None,
    ) -> CompareEventsPage:
        """Pair the events of two runs by datapoint (`GET /v1/runs/{new}/compare/{old}/events`).

        Args:
            new_run_id: The run whose events are `event_1`.
            old_run_id: The run whose events are `event_2`.
            event_name: Only events of this name.
            event_type: Only events of this type.
            filter: One more `EventFilter` (or dict) the events must match.
            limit: Pairs per page, 1 to 1000 (server default 1000).
            page: 1-based page number.
        """
        check_limit("limit", limit, COMPARE_EVENTS_MAX_LIMIT)
        check_limit("page", page, 2**31)
        path = (
            f"/v1/runs/{path_id('new_run_id', new_run_id)}"
            f"/compare/{path_id('old_run_id', old_run_id)}/events"
        )
        params = {
            "event_name": event_name,
            "event_type": event_type,
            "filter": None if filter is None else to_struct(filter, EventFilter, "filter"),
            "limit": limit,
            "page": page,
        }
        return await self._get(path, cast_to=CompareEventsPage, params=params)

    async def schema(
        self, run_id: str | None = None, *, date_range: RunsDateRange | None = None
    ) -> EventsSchema:
        """The fields the events of one run (or of every run) carry (`GET /v1/runs[/{id}]/schema`)."""
        path = (
            "/v1/runs/schema" if run_id is None else f"/v1/runs/{path_id('run_id', run_id)}/schema"
        )
        return await self._get(
            path, cast_to=EventsSchema, params={"dateRange": _date_range(date_range)}
        )

    async def metrics(
        self,
        run_id: str,
        *,
        date_range: RunsDateRange | None = None,
        filters: _FilterArg | None = None,
    ) -> RunMetrics:
        """The metrics of every event of a run (`GET /v1/runs/{run_id}/metrics`)."""
        path = f"/v1/runs/{path_id('run_id', run_id)}/metrics"
        # The spec types this dateRange as a JSON string: a mapping is sent JSON-encoded.
        params = {"dateRange": _date_range(date_range), "filters": _filters(filters)}
        return await self._get(path, cast_to=RunMetrics, params=params)
