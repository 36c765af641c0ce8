"""`client.runs`: experiment runs: create, read, page through, update, delete, summarize, compare."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from .._pagination import PageIterator, more_after
from .._resource import AsyncAPIResource, path_id
from ..models import (
    COMPARE_EVENTS_MAX_LIMIT,
    RUNS_MAX_LIMIT,
    AggregateFunction,
    ComparableEvent,
    CompareEventsPage,
    CreateRunRequest,
    CreateRunResponse,
    DeleteRunResponse,
    EventFilter,
    EventsSchema,
    ExperimentRun,
    GetRunResponse,
    JSONObject,
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
from . import _run_args as _args
from ._convert import to_struct
from ._run_args import FilterArg, RunsDateRange

__all__ = ["AsyncRuns", "RunsDateRange"]

# `AsyncRuns.list` shadows the builtin inside the class body.
_Ids = list[str]
_Items = list[Any]


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
            passing_ranges=_args.passing_ranges(passing_ranges),
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
            run_ids: Only these runs, at most 100 (`iter` takes any number); an empty list
                matches none (an empty page, no request).
            name: Only runs of this name.
            status: Only runs in this status.
            date_range: On `created_at`: ``(start, end)`` or ``{"$gte": ..., "$lte": ...}``.
            sort_by: ``created_at`` (default), ``updated_at``, ``name`` or ``status``.
            sort_order: ``desc`` (default) or ``asc``.
        """
        check_limit("limit", limit, RUNS_MAX_LIMIT)
        check_limit("page", page, 2**31)
        chunks = _args.run_id_chunks(run_ids)
        if chunks is not None and len(chunks) > 1:
            raise ValueError(
                f"run_ids: at most {_args.RUN_IDS_PER_REQUEST} in one request, got "
                f"{len(run_ids or ())}; iter(run_ids=...) takes any number"
            )
        if run_ids is not None and not run_ids:
            # An empty list sends no `run_ids[]` key, and the server would list every run.
            return _args.no_runs(page or 1, limit or _args.DEFAULT_LIMIT)
        params = {
            "dataset_id": dataset_id,
            "page": page,
            "limit": limit,
            "run_ids": None if run_ids is None else list(run_ids),
            "name": name,
            "status": status,
            "dateRange": _args.date_range(date_range),
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
        # More run ids than one URL carries go 100 a request, one id chunk after the other
        # (runs are sorted within a chunk). Pages are fetched in order, so the chunk being
        # read and its last page fetched are plain state.
        chunks = _args.run_id_chunks(run_ids)
        position = [0, 0]

        async def fetch(_: int) -> RunsPage:
            while True:
                chunk, page = position[0], position[1] + 1
                position[1] = page
                ids = None if chunks is None else chunks[chunk] if chunks else []
                result = await self.list(
                    dataset_id=dataset_id,
                    page=page,
                    limit=page_size,
                    run_ids=ids,
                    name=name,
                    status=status,
                    date_range=date_range,
                    sort_by=sort_by,
                    sort_order=sort_order,
                )
                if result.evaluations or not chunks or chunk + 1 == len(chunks):
                    return result
                position[:] = [chunk + 1, 0]  # an empty page must not end the iteration

        def has_next(result: RunsPage, _: int) -> bool:
            p = result.pagination
            if more_after(position[1], p.limit or page_size, p.total, p.has_next):
                return True
            if chunks and position[0] + 1 < len(chunks):
                position[:] = [position[0] + 1, 0]
                return True
            return False

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
            passing_ranges=_args.passing_ranges(passing_ranges),
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
        filters: FilterArg | None = None,
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
            "aggregate_function": _args.aggregate(aggregate_function),
            "filters": _args.filters(filters),
        }
        return await self._get(path, cast_to=RunSummary, params=params)

    async def compare(
        self,
        new_run_id: str,
        old_run_id: str,
        *,
        aggregate_function: AggregateFunction | None = None,
        filters: FilterArg | None = None,
    ) -> RunComparison:
        """Compare two runs over their common datapoints (`GET /v1/runs/{new}/compare/{old}`)."""
        path = (
            f"/v1/runs/{path_id('new_run_id', new_run_id)}"
            f"/compare/{path_id('old_run_id', old_run_id)}"
        )
        params = {
            "aggregate_function": _args.aggregate(aggregate_function),
            "filters": _args.filters(filters),
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

    def iter_compare_events(
        self,
        new_run_id: str,
        old_run_id: str,
        *,
        event_name: str | None = None,
        event_type: str | None = None,
        filter: EventFilter | Mapping[str, Any] | None = None,
        page_size: int = COMPARE_EVENTS_MAX_LIMIT,
    ) -> PageIterator[CompareEventsPage, ComparableEvent]:
        """Iterate over every pair `compare_events` pages through, one page fetched ahead."""
        check_limit("page_size", page_size, COMPARE_EVENTS_MAX_LIMIT)
        path_id("new_run_id", new_run_id)  # both fail here, before any I/O
        path_id("old_run_id", old_run_id)

        async def fetch(page: int) -> CompareEventsPage:
            return await self.compare_events(
                new_run_id,
                old_run_id,
                event_name=event_name,
                event_type=event_type,
                filter=filter,
                limit=page_size,
                page=page,
            )

        def has_next(result: CompareEventsPage, page: int) -> bool:
            return more_after(page, page_size, result.totalEvents)

        return PageIterator(fetch, lambda r: r.events, has_next)

    async def schema(
        self, run_id: str | None = None, *, date_range: RunsDateRange | None = None
    ) -> EventsSchema:
        """The fields the events of one run (or of every run) carry (`GET /v1/runs[/{id}]/schema`)."""
        path = (
            "/v1/runs/schema" if run_id is None else f"/v1/runs/{path_id('run_id', run_id)}/schema"
        )
        return await self._get(
            path, cast_to=EventsSchema, params={"dateRange": _args.date_range(date_range)}
        )

    async def metrics(
        self,
        run_id: str,
        *,
        date_range: RunsDateRange | None = None,
        filters: FilterArg | None = None,
    ) -> RunMetrics:
        """The metrics of every event of a run (`GET /v1/runs/{run_id}/metrics`)."""
        path = f"/v1/runs/{path_id('run_id', run_id)}/metrics"
        # The spec types this dateRange as a JSON string: a mapping is sent JSON-encoded.
        params = {"dateRange": _args.date_range(date_range), "filters": _args.filters(filters)}
        return await self._get(path, cast_to=RunMetrics, params=params)
