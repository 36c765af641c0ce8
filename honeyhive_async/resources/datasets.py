"""`client.datasets`: named lists of datapoints, the test sets of experiments."""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence

from .._resource import AsyncAPIResource, path_id
from ..models import (
    AddDatapointsResponse,
    AddDatapointsToDatasetRequest,
    CreateDatasetRequest,
    CreateDatasetResponse,
    DatapointMapping,
    Dataset,
    DeleteDatasetResponse,
    GetDatasetsResponse,
    JSONObject,
    RemoveDatapointResponse,
    UpdateDatasetRequest,
    UpdateDatasetResponse,
)
from ._convert import id_list, to_struct

__all__ = ["AsyncDatasets"]


def _dataset_path(dataset_id: str) -> str:
    return f"/v1/datasets/{path_id('dataset_id', dataset_id)}"


class AsyncDatasets(AsyncAPIResource):
    """List, create, update and delete datasets, and add or remove their datapoints."""

    async def list(
        self, *, dataset_id: str | None = None, name: str | None = None
    ) -> list[Dataset]:
        """List datasets (`GET /v1/datasets`), all of them unless filtered by id or name."""
        params = {"dataset_id": dataset_id, "name": name}
        return (
            await self._get("/v1/datasets", cast_to=GetDatasetsResponse, params=params)
        ).datasets

    async def create(
        self,
        *,
        name: str,
        description: str | None = None,
        datapoints: Sequence[str] | None = None,
    ) -> CreateDatasetResponse:
        """Create a dataset (`POST /v1/datasets`); the new id is `.dataset_id`.

        Not retried once sent: the server makes the id, so a repeat would make a second one.

        Args:
            name: The dataset's name (at most 200 characters).
            description: What the dataset is for.
            datapoints: Ids of existing datapoints the dataset starts with.
        """
        body = CreateDatasetRequest(
            name=name,
            description=description,
            datapoints=None if datapoints is None else id_list("datapoints", datapoints),
        )
        return await self._post(
            "/v1/datasets", cast_to=CreateDatasetResponse, body=body, idempotent=False
        )

    async def update(
        self,
        dataset_id: str,
        *,
        name: str | None = None,
        description: str | None = None,
        datapoints: Sequence[str] | None = None,
    ) -> UpdateDatasetResponse:
        """Update a dataset (`PUT /v1/datasets/{dataset_id}`); the reply holds the dataset.

        Args:
            dataset_id: The dataset to change.
            name: A new name.
            description: A new description.
            datapoints: Ids that replace the dataset's datapoints, in order.
        """
        body = UpdateDatasetRequest(
            name=name,
            description=description,
            datapoints=None if datapoints is None else id_list("datapoints", datapoints),
        )
        return await self._put(_dataset_path(dataset_id), cast_to=UpdateDatasetResponse, body=body)

    async def delete(self, dataset_id: str) -> DeleteDatasetResponse:
        """Delete a dataset (`DELETE /v1/datasets/{dataset_id}`); its datapoints remain."""
        return await self._delete(_dataset_path(dataset_id), cast_to=DeleteDatasetResponse)

    async def add_datapoints(
        self,
        dataset_id: str,
        *,
        data: Sequence[JSONObject],
        mapping: DatapointMapping | Mapping[str, Sequence[str]],
    ) -> AddDatapointsResponse:
        """Make one datapoint per row of `data` in the dataset (`POST .../datapoints`).

        Not retried once sent: a repeat would add the rows again.

        Args:
            dataset_id: The dataset that receives the datapoints.
            data: The rows, one JSON object each (at least one).
            mapping: Which keys of a row become `inputs`, `history` and `ground_truth`,
                e.g. ``{"inputs": ["question"], "ground_truth": ["answer"]}``.
        """
        path = f"{_dataset_path(dataset_id)}/datapoints"
        mapping = to_struct(mapping, DatapointMapping, "mapping")
        rows: builtins.list[JSONObject] = list(data)
        if not rows:
            raise ValueError("data must hold at least one row")
        body = AddDatapointsToDatasetRequest(data=rows, mapping=mapping)
        return await self._post(path, cast_to=AddDatapointsResponse, body=body, idempotent=False)

    async def remove_datapoint(self, dataset_id: str, datapoint_id: str) -> RemoveDatapointResponse:
        """Remove a datapoint from a dataset; the datapoint itself stays.

        `DELETE /v1/datasets/{dataset_id}/datapoints/{datapoint_id}`; `dereferenced` is False
        when the dataset did not hold it.
        """
        path = f"{_dataset_path(dataset_id)}/datapoints/{path_id('datapoint_id', datapoint_id)}"
        return await self._delete(path, cast_to=RemoveDatapointResponse)
