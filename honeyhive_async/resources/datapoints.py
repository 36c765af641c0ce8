"""`client.datapoints`: the records datasets are made of."""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence

from .._resource import AsyncAPIResource, path_id
from ..errors import NotFoundError
from ..models import (
    BatchCreateDatapointsRequest,
    BatchCreateDatapointsResponse,
    BatchDateRange,
    CreateDatapointRequest,
    CreateDatapointResponse,
    Datapoint,
    DatapointMapping,
    DeleteDatapointResponse,
    GetDatapointResponse,
    GetDatapointsResponse,
    JSONObject,
    UpdateDatapointRequest,
    UpdateDatapointResponse,
)
from ._convert import id_list, to_struct

__all__ = ["IDS_PER_REQUEST", "AsyncDatapoints"]

IDS_PER_REQUEST = 100
"""Datapoint ids sent per `GET /v1/datapoints`: a longer query string risks the URL limit."""


class AsyncDatapoints(AsyncAPIResource):
    """List, read, create, update and delete datapoints."""

    async def list(
        self, *, datapoint_ids: Sequence[str] | None = None, dataset_name: str | None = None
    ) -> list[Datapoint]:
        """List datapoints (`GET /v1/datapoints`), all of them unless filtered.

        Ids are sent `IDS_PER_REQUEST` per request, one request after another; the result is
        the requests' datapoints in order. An empty `datapoint_ids` asks for none: no request.

        Args:
            datapoint_ids: Only these datapoints.
            dataset_name: Only the datapoints of the dataset with this name.
        """
        if datapoint_ids is None:
            page = await self._get(
                "/v1/datapoints",
                cast_to=GetDatapointsResponse,
                params={"dataset_name": dataset_name},
            )
            return page.datapoints
        ids = id_list("datapoint_ids", datapoint_ids)
        found: list[Datapoint] = []
        for start in range(0, len(ids), IDS_PER_REQUEST):
            params = {
                "datapoint_ids": ids[start : start + IDS_PER_REQUEST],
                "dataset_name": dataset_name,
            }
            page = await self._get("/v1/datapoints", cast_to=GetDatapointsResponse, params=params)
            found.extend(page.datapoints)
        return found

    async def get(self, datapoint_id: str) -> Datapoint:
        """Retrieve one datapoint (`GET /v1/datapoints/{datapoint_id}`).

        Raises:
            NotFoundError: the server answered 404, or 200 with no datapoint.
        """
        path = f"/v1/datapoints/{path_id('datapoint_id', datapoint_id)}"
        reply = await self._get(path, cast_to=GetDatapointResponse)
        # The spec wraps the one datapoint in an array; an older server sends it bare.
        if isinstance(reply.datapoint, Datapoint):
            return reply.datapoint
        if not reply.datapoint:
            raise NotFoundError(
                f"GET {path} answered with no datapoint",
                method="GET",
                path=path,
                status=200,
                body={"datapoint": []},
            )
        return reply.datapoint[0]

    async def create(
        self,
        *,
        inputs: JSONObject | None = None,
        history: builtins.list[JSONObject] | None = None,
        ground_truth: JSONObject | None = None,
        metadata: JSONObject | None = None,
        linked_event: str | None = None,
        linked_datasets: Sequence[str] | None = None,
    ) -> CreateDatapointResponse:
        """Create a datapoint (`POST /v1/datapoints`); the new id is `.datapoint_id`.

        Not retried once sent: the server makes the id, so a repeat would make a second one.

        Args:
            inputs: The inputs an application under test receives.
            history: Chat messages that came before the inputs.
            ground_truth: The expected outputs.
            metadata: Anything else worth keeping with the datapoint.
            linked_event: The id of the event the datapoint comes from.
            linked_datasets: Ids of datasets that receive the datapoint.
        """
        body = CreateDatapointRequest(
            inputs=inputs,
            history=history,
            ground_truth=ground_truth,
            metadata=metadata,
            linked_event=linked_event,
            linked_datasets=None
            if linked_datasets is None
            else id_list("linked_datasets", linked_datasets),
        )
        return await self._post(
            "/v1/datapoints", cast_to=CreateDatapointResponse, body=body, idempotent=False
        )

    async def update(
        self,
        datapoint_id: str,
        *,
        inputs: JSONObject | None = None,
        history: builtins.list[JSONObject] | None = None,
        ground_truth: JSONObject | None = None,
        metadata: JSONObject | None = None,
        linked_event: str | None = None,
        linked_datasets: Sequence[str] | None = None,
    ) -> UpdateDatapointResponse:
        """Update a datapoint (`PUT /v1/datapoints/{datapoint_id}`): only the fields given change.

        A field left as None is not sent (none can be cleared to null). `linked_datasets`,
        when given, replaces the datasets that hold the datapoint.
        """
        path = f"/v1/datapoints/{path_id('datapoint_id', datapoint_id)}"
        body = UpdateDatapointRequest(
            inputs=inputs,
            history=history,
            ground_truth=ground_truth,
            metadata=metadata,
            linked_event=linked_event,
            linked_datasets=None
            if linked_datasets is None
            else id_list("linked_datasets", linked_datasets),
        )
        return await self._put(path, cast_to=UpdateDatapointResponse, body=body)

    async def delete(self, datapoint_id: str) -> DeleteDatapointResponse:
        """Delete a datapoint (`DELETE /v1/datapoints/{datapoint_id}`); datasets drop it too."""
        path = f"/v1/datapoints/{path_id('datapoint_id', datapoint_id)}"
        return await self._delete(path, cast_to=DeleteDatapointResponse)

    async def create_batch(
        self,
        *,
        events: Sequence[str] | None = None,
        mapping: DatapointMapping | Mapping[str, Sequence[str]] | None = None,
        filters: JSONObject | builtins.list[JSONObject] | None = None,
        date_range: tuple[str, str] | BatchDateRange | None = None,
        check_state: Mapping[str, bool] | None = None,
        select_all: bool | None = None,
        dataset_id: str | None = None,
    ) -> BatchCreateDatapointsResponse:
        """Create datapoints from events (`POST /v1/datapoints/batch`); not retried once sent.

        Args:
            events: Ids of the events (deprecated by the API: prefer `filters`).
            mapping: Event fields (``"inputs.question"``) for `inputs`, `history`, `ground_truth`.
            filters: Event filters, as for event search, choosing the events.
            date_range: ``(start, end)`` ISO 8601 bounds on the events' start time.
            check_state: Event id to whether it is selected, overriding `select_all`.
            select_all: Whether every matching event is selected (True unless given).
            dataset_id: A dataset that receives every new datapoint.
        """
        if mapping is not None:
            mapping = to_struct(mapping, DatapointMapping, "mapping")
        if isinstance(date_range, tuple):
            date_range = BatchDateRange(gte=date_range[0], lte=date_range[1])
        body = BatchCreateDatapointsRequest(
            events=None if events is None else id_list("events", events),
            mapping=mapping,
            filters=filters,
            dateRange=date_range,
            checkState=None if check_state is None else dict(check_state),
            selectAll=select_all,
            dataset_id=dataset_id,
        )
        return await self._post(
            "/v1/datapoints/batch",
            cast_to=BatchCreateDatapointsResponse,
            body=body,
            idempotent=False,
        )
