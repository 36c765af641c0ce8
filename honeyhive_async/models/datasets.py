"""Dataset models: `/v1/datasets`, one dataset by id, and the datapoints it holds."""

from __future__ import annotations

from ._base import JSONObject, Model, RequestModel, field_ms
from .datapoints import DatapointMapping

__all__ = [
    "AddDatapointsResponse",
    "AddDatapointsToDatasetRequest",
    "CreateDatasetRequest",
    "CreateDatasetResponse",
    "Dataset",
    "DeleteDatasetResponse",
    "DeleteResult",
    "GetDatasetsResponse",
    "InsertResult",
    "LegacyUpdateDatasetRequest",
    "RemoveDatapointResponse",
    "UpdateDatasetRequest",
    "UpdateDatasetResponse",
]


class Dataset(Model):
    """A named list of datapoints, used as the test set of experiments."""

    id: str
    name: str
    description: str | None = None
    datapoints: list[str] = []
    """Ids of the datapoints the dataset holds, in order."""
    created_at: str | float | None = None
    updated_at: str | float | None = None

    @property
    def created_at_ms(self) -> float | None:
        """`created_at` as Unix milliseconds, whichever form the server sent."""
        return field_ms(self.created_at, "created_at")

    @property
    def updated_at_ms(self) -> float | None:
        """`updated_at` as Unix milliseconds, whichever form the server sent."""
        return field_ms(self.updated_at, "updated_at")


class CreateDatasetRequest(RequestModel):
    """Body of `POST /v1/datasets` (the server names a dataset without a name "Untitled Dataset")."""

    name: str | None = None
    description: str | None = None
    datapoints: list[str] | None = None


class UpdateDatasetRequest(RequestModel):
    """Body of `PUT /v1/datasets/{dataset_id}`: `datapoints`, when given, replaces the list."""

    name: str | None = None
    description: str | None = None
    datapoints: list[str] | None = None


class LegacyUpdateDatasetRequest(RequestModel):
    """Body of the deprecated `PUT /v1/datasets`: the id travels in the body."""

    dataset_id: str
    name: str | None = None
    description: str | None = None
    datapoints: list[str] | None = None


class AddDatapointsToDatasetRequest(RequestModel):
    """Body of `POST /v1/datasets/{dataset_id}/datapoints`: rows mapped into new datapoints."""

    data: list[JSONObject]
    mapping: DatapointMapping


class InsertResult(Model):
    """`result` of `POST /v1/datasets`."""

    insertedId: str


class CreateDatasetResponse(Model):
    """Body returned by `POST /v1/datasets`."""

    inserted: bool
    result: InsertResult

    @property
    def dataset_id(self) -> str:
        """The id of the new dataset."""
        return self.result.insertedId


class GetDatasetsResponse(Model):
    """Body returned by `GET /v1/datasets`."""

    datasets: list[Dataset]


class UpdateDatasetResponse(Model):
    """Body returned by `PUT /v1/datasets/{dataset_id}`: the dataset as it is now."""

    result: Dataset


class DeleteResult(Model):
    """`result` of `DELETE /v1/datasets/{dataset_id}`."""

    id: str


class DeleteDatasetResponse(Model):
    """Body returned by `DELETE /v1/datasets/{dataset_id}`."""

    result: DeleteResult


class AddDatapointsResponse(Model):
    """Body returned by `POST /v1/datasets/{dataset_id}/datapoints`."""

    inserted: bool
    datapoint_ids: list[str]


class RemoveDatapointResponse(Model):
    """Body returned by `DELETE /v1/datasets/{dataset_id}/datapoints/{datapoint_id}`."""

    dereferenced: bool
    message: str
