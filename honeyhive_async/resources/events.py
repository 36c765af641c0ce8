"""`client.events`: create, read, update, delete and search events."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import msgspec
from msgspec import UNSET, UnsetType

from .._pagination import PageIterator
from .._resource import NoneType, path_id
from .._scrub import scrub_decoded
from ..errors import InternalServerError, PartialBatchError
from ..models import (
    EXPORT_MAX_LIMIT,
    SEARCH_MAX_LIMIT,
    CreateEventBatchRequest,
    CreateEventBatchResponse,
    CreateEventRequest,
    CreateEventResponse,
    DateRange,
    DeleteEventResponse,
    Event,
    EventFilter,
    EventsPage,
    EventType,
    ExportDateRange,
    ExportEventsRequest,
    ExportFilter,
    GetEventResponse,
    JSONObject,
    SearchEventsRequest,
    SessionProperties,
    UpdateEventRequest,
    check_event_type,
    check_limit,
)
from ._convert import iso_utc, struct_list, to_struct, with_event_id
from .event_views import AsyncEventViews

__all__ = ["AsyncEvents", "DateRangeArg"]

DateRangeArg = DateRange | tuple[dt.datetime | str, dt.datetime | str]
"""A `DateRange`, or `(start, end)` as datetimes (naive means UTC) or ISO strings."""


def _date_range(value: DateRangeArg | None) -> DateRange | None:
    if value is None or isinstance(value, DateRange):
        return value
    start, end = value
    return DateRange(start_time=iso_utc(start), end_time=iso_utc(end))


class AsyncEvents(AsyncEventViews):
    """Events (spans) of HoneyHive sessions; `schema`, `chart` and `list` come from the views."""

    async def create(
        self,
        *,
        event_type: EventType,
        inputs: JSONObject,
        event_name: str | None = None,
        event_id: str | None = None,
        session_id: str | None = None,
        parent_id: str | None = None,
        children_ids: list[str] | None = None,
        source: str | None = None,
        config: JSONObject | None = None,
        outputs: JSONObject | None = None,
        error: str | UnsetType | None = UNSET,
        start_time: float | None = None,
        end_time: float | None = None,
        duration: float | None = None,
        metadata: JSONObject | None = None,
        feedback: JSONObject | None = None,
        metrics: JSONObject | None = None,
        user_properties: JSONObject | None = None,
    ) -> CreateEventResponse:
        """Create one event (`POST /v1/events`).

        The client generates `event_id` when none is given, so a retried create stores the
        event once.

        Args:
            event_type: ``"model"``, ``"tool"``, ``"chain"`` or ``"session"``.
            inputs: Inputs of the event (required by the API).
            event_name: Name shown in HoneyHive.
            event_id: UUID of the event; generated when omitted.
            session_id: Session the event belongs to; the server makes one when omitted.
            parent_id: Enclosing event; defaults to the session.
            children_ids: Ids of the event's children.
            source: Where the event comes from.
            config: Model parameters, prompt template, ...
            outputs: Outputs of the event (an object).
            error: Error message; `None` sends null, leaving it unset sends nothing.
            start_time: Unix milliseconds.
            end_time: Unix milliseconds.
            duration: Milliseconds.
            metadata: Arbitrary metadata (tokens, cost, ...).
            feedback: Ratings, ground truth, ...
            metrics: Metric values.
            user_properties: Properties of the end user.
        """
        check_event_type(event_type)
        body = CreateEventRequest(
            event_type=event_type,
            inputs=inputs,
            event_id=event_id if event_id is not None else str(uuid.uuid4()),
            session_id=session_id,
            parent_id=parent_id,
            children_ids=children_ids,
            event_name=event_name,
            source=source,
            config=config,
            outputs=outputs,
            error=error,
            start_time=start_time,
            end_time=end_time,
            duration=duration,
            metadata=metadata,
            feedback=feedback,
            metrics=metrics,
            user_properties=user_properties,
        )
        return await self._post("/v1/events", cast_to=CreateEventResponse, body=body)

    async def get(self, event_id: str) -> Event:
        """Retrieve one event (`GET /v1/events/{event_id}`)."""
        path = f"/v1/events/{path_id('event_id', event_id)}"
        return (await self._get(path, cast_to=GetEventResponse)).event

    async def update(
        self,
        event_id: str,
        *,
        metadata: JSONObject | UnsetType | None = UNSET,
        feedback: JSONObject | UnsetType | None = UNSET,
        metrics: JSONObject | UnsetType | None = UNSET,
        outputs: JSONObject | UnsetType | None = UNSET,
        config: JSONObject | UnsetType | None = UNSET,
        user_properties: JSONObject | UnsetType | None = UNSET,
        duration: float | UnsetType | None = UNSET,
        end_time: float | UnsetType | None = UNSET,
        children_ids: list[str] | UnsetType | None = UNSET,
    ) -> None:
        """Update an event (`PUT /v1/events/{event_id}`); a session is updated by its session id.

        Only the fields passed are sent; an explicit `None` is sent as null. The server merges
        `metadata`, `feedback`, `metrics`, `config` and `user_properties`, replaces `outputs`
        (null keeps them) and ignores an empty `children_ids`. `inputs` cannot be updated.
        """
        path = f"/v1/events/{path_id('event_id', event_id)}"
        body = UpdateEventRequest(
            metadata=metadata,
            feedback=feedback,
            metrics=metrics,
            outputs=outputs,
            config=config,
            user_properties=user_properties,
            duration=duration,
            end_time=end_time,
            children_ids=children_ids,
        )
        # The spec documents this 200 without a body: whatever comes back is not decoded.
        await self._put(path, cast_to=NoneType, body=body)

    async def delete(self, event_id: str) -> DeleteEventResponse:
        """Delete one event (`DELETE /v1/events/{event_id}`, preview spec)."""
        path = f"/v1/events/{path_id('event_id', event_id)}"
        return await self._delete(path, cast_to=DeleteEventResponse)

    async def create_batch(
        self,
        events: Iterable[CreateEventRequest | Mapping[str, Any]],
        *,
        single_session: bool | None = None,
        session_properties: SessionProperties | Mapping[str, Any] | None = None,
    ) -> CreateEventBatchResponse:
        """Create many events in one request (`POST /v1/events/batch`).

        Events without an `event_id` get one first, so a partly failed batch can be completed
        by re-sending only what is missing. The batch is retried automatically only when the
        server proves it did nothing (connection refused, 408, 429).

        Raises:
            PartialBatchError: the server created only some events (500); it carries
                `created_ids` and the `uncreated` events, ready to re-send.
        """
        items = [
            # Ready requests with ids (the tracer's) pass as they are: no per-event work.
            event
            if type(event) is CreateEventRequest and event.event_id is not None
            else with_event_id(to_struct(event, CreateEventRequest, f"events[{i}]"))
            for i, event in enumerate(events)
        ]
        if not items:
            raise ValueError("events must not be empty")
        props = (
            None
            if session_properties is None
            else to_struct(session_properties, SessionProperties, "session_properties")
        )
        body = CreateEventBatchRequest(
            events=items, single_session=single_session, session_properties=props
        )
        try:
            result = await self._post(
                "/v1/events/batch", cast_to=CreateEventBatchResponse, body=body, idempotent=False
            )
        except InternalServerError as exc:
            if exc.status != 500:
                raise
            raise _partial_batch_error(exc, items, "/v1/events/batch") from exc
        if not result.success:
            raise _partial_error(
                "POST /v1/events/batch answered success=false",
                status=200,
                # A 200 body can echo the key as well as an error body can.
                body=_scrubbed(msgspec.to_builtins(result), self._client._transport._api_key),
                request_id=None,
                created=list(result.event_ids),
                items=items,
            )
        return result

    async def search(
        self,
        *,
        filters: Sequence[EventFilter | Mapping[str, Any]] | None = None,
        date_range: DateRangeArg | None = None,
        limit: int | None = None,
        page: int | None = None,
        evaluation_id: str | None = None,
    ) -> EventsPage:
        """Fetch one page of events (`POST /v1/events/search`), newest `start_time` first.

        Args:
            filters: e.g. ``[EventFilter(field="session_id", operator="is", value=sid)]`` or
                the same as dicts.
            date_range: `(start, end)` datetimes or ISO strings, inclusive, on `start_time`.
            limit: Events per page, 1 to 1000 (server default 1000).
            page: 1-based page number.
            evaluation_id: Only events of this experiment run.
        """
        check_limit("limit", limit, SEARCH_MAX_LIMIT)
        check_limit("page", page, 2**31)
        body = SearchEventsRequest(
            filters=struct_list(filters, EventFilter, "filters"),
            dateRange=_date_range(date_range),
            limit=limit,
            page=page,
            evaluation_id=evaluation_id,
        )
        return await self._post("/v1/events/search", cast_to=EventsPage, body=body)

    def iter(
        self,
        *,
        filters: Sequence[EventFilter | Mapping[str, Any]] | None = None,
        date_range: DateRangeArg | None = None,
        page_size: int = SEARCH_MAX_LIMIT,
        evaluation_id: str | None = None,
    ) -> PageIterator[EventsPage, Event]:
        """Iterate over every matching event, fetching the next page while this one is read.

        An event seen on an earlier page is not yielded again: events arriving while the
        pages are read shift later pages (the order is newest first). Use
        ``async with client.events.iter(...) as events:`` to stop the page fetched ahead as
        soon as the block is left (a ``break`` alone stops it too).
        """
        check_limit("page_size", page_size, SEARCH_MAX_LIMIT)

        async def fetch(page: int) -> EventsPage:
            return await self.search(
                filters=filters,
                date_range=date_range,
                limit=page_size,
                page=page,
                evaluation_id=evaluation_id,
            )

        def has_next(result: EventsPage, page: int) -> bool:
            total = result.total
            return len(result.events) == page_size and (total is None or page * page_size < total)

        return PageIterator(fetch, lambda r: r.events, has_next, key=lambda e: e.event_id)

    async def export(
        self,
        *,
        filters: Sequence[ExportFilter | Mapping[str, Any]] | None = None,
        date_range: ExportDateRange | tuple[dt.datetime | str, dt.datetime | str] | None = None,
        projections: list[str] | None = None,
        limit: int | None = None,
        page: int | None = None,
        ignore_order: bool | None = None,
        evaluation_id: str | None = None,
    ) -> EventsPage:
        """Fetch one page through the legacy `POST /v1/events/export` (up to 7500 a page).

        Filters here need a `type` (``"string"``, ``"number"``, ``"boolean"``, ``"datetime"``).
        """
        check_limit("limit", limit, EXPORT_MAX_LIMIT)
        check_limit("page", page, 2**31)
        export_range: ExportDateRange | None
        if date_range is None or isinstance(date_range, ExportDateRange):
            export_range = date_range
        else:
            export_range = ExportDateRange(gte=iso_utc(date_range[0]), lte=iso_utc(date_range[1]))
        body = ExportEventsRequest(
            filters=struct_list(filters, ExportFilter, "filters"),
            dateRange=export_range,
            projections=projections,
            limit=limit,
            page=page,
            ignore_order=ignore_order,
            evaluation_id=evaluation_id,
        )
        return await self._post("/v1/events/export", cast_to=EventsPage, body=body)


def _scrubbed(body: object, secret: str | None) -> object:
    return scrub_decoded(body, secret) if secret else body


def _partial_batch_error(
    exc: InternalServerError, items: list[CreateEventRequest], path: str
) -> PartialBatchError:
    """The 500 `exc` of a batch create of `items` at `path`, with what to re-send."""
    body = exc.body if isinstance(exc.body, dict) else {}
    raw_ids = body.get("event_ids")
    created = [i for i in raw_ids if isinstance(i, str)] if isinstance(raw_ids, list) else []
    error = _partial_error(
        exc.message,
        status=exc.status,
        body=exc.body,
        request_id=exc.request_id,
        created=created,
        items=items,
        path=path,
    )
    # The server's Retry-After still holds (a 500 that says "retry now" is not waited out).
    error.retry_after = exc.retry_after
    return error


def _partial_error(
    message: str,
    *,
    status: int,
    body: object,
    request_id: str | None,
    created: list[str],
    items: list[CreateEventRequest],
    path: str = "/v1/events/batch",
) -> PartialBatchError:
    created_set = set(created)
    uncreated = [e for e in items if e.event_id not in created_set]
    return PartialBatchError(
        f"{message}; created {len(items) - len(uncreated)} of {len(items)} events, "
        f"{len(uncreated)} to re-send (PartialBatchError.uncreated)",
        method="POST",
        path=path,
        status=status,
        body=body,
        request_id=request_id,
        created_ids=created,
        uncreated=uncreated,
    )
