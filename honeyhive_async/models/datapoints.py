"""Datapoint models: `GET`/`POST /v1/datapoints`, `POST /v1/datapoints/batch`, one datapoint by id."""

from __future__ import annotations

import msgspec

from ._base import JSONObject, Model, RequestModel, field_ms

__all__ = [
    "BatchCreateDatapointsRequest",
    "BatchCreateDatapointsResponse",
    "BatchDateRange",
    "CreateDatapointRequest",
    "CreateDatapointResponse",
    "CreateDatapointResult",
    "Datapoint",
    "DatapointMapping",
    "DeleteDatapointResponse",
    "GetDatapointResponse",
    "GetDatapointsResponse",
    "UpdateDatapointRequest",
    "UpdateDatapointResponse",
    "UpdateDatapointResult",
]


class Datapoint(Model):
    """A record of a dataset: inputs, chat history, ground truth and where it came from."""

    id: str
    inputs: JSONObject = {}
    history: list[JSONObject] = []
    ground_truth: JSONObject | None = None
    metadata: JSONObject | None = None
    linked_event: str | None = None
    """The id of the event the datapoint was made from, if any."""
    created_at: str | float | None = None
    updated_at: str | float | None = None
    linked_datasets: list[str] = []
    """Ids of the datasets that hold this datapoint."""

    @property
    def created_at_ms(self) -> float | None:
        """`created_at` as Unix milliseconds, whichever form the server sent."""
        return field_ms(self.created_at, "created_at")

    @property
    def updated_at_ms(self) -> float | None:
        """`updated_at` as Unix milliseconds, whichever form the server sent."""
        return field_ms(self.updated_at, "updated_at")


class DatapointMapping(RequestModel):
    """Which fields of a source row (or event) become inputs, history and ground truth."""

    inputs: list[str] = []
    history: list[str] = []
    ground_truth: list[str] = []


class CreateDatapointRequest(RequestModel):
    """Body of `POST /v1/datapoints`."""

    inputs: JSONObject | None = None
    history: list[JSONObject] | None = None
    ground_truth: JSONObject | None = None
    metadata: JSONObject | None = None
    linked_event: str | None = None
    linked_datasets: list[str] | None = None


class UpdateDatapointRequest(CreateDatapointRequest):
    """Body of `PUT /v1/datapoints/{datapoint_id}`: only the fields given change."""


class BatchDateRange(RequestModel):
    """`dateRange` of `POST /v1/datapoints/batch`: ISO 8601 bounds on the events' start time."""

    gte: str | None = msgspec.field(default=None, name="$gte")
    lte: str | None = msgspec.field(default=None, name="$lte")


class BatchCreateDatapointsRequest(RequestModel):
    """Body of `POST /v1/datapoints/batch`: datapoints made from events."""

    events: list[str] | None = None
    """Ids of the events (deprecated by the API in favour of `filters`)."""
    mapping: DatapointMapping | None = None
    filters: JSONObject | list[JSONObject] | None = None
    dateRange: BatchDateRange | None = None
    checkState: dict[str, bool] | None = None
    """Event id to whether it is selected (overrides `selectAll` per event)."""
    selectAll: bool | None = None
    dataset_id: str | None = None
    """A dataset that receives every new datapoint."""


class GetDatapointsResponse(Model):
    """Body returned by `GET /v1/datapoints`."""

    datapoints: list[Datapoint]


class GetDatapointResponse(Model):
    """Body returned by `GET /v1/datapoints/{datapoint_id}`: the spec wraps it in an array."""

    datapoint: list[Datapoint] | Datapoint


class CreateDatapointResult(Model):
    """`result` of `POST /v1/datapoints`."""

    insertedIds: list[str]


class CreateDatapointResponse(Model):
    """Body returned by `POST /v1/datapoints`."""

    inserted: bool
    result: CreateDatapointResult

    @property
    def datapoint_id(self) -> str:
        """The id of the new datapoint."""
        return self.result.insertedIds[0]


class UpdateDatapointResult(Model):
    """`result` of `PUT /v1/datapoints/{datapoint_id}`."""

    modifiedCount: float


class UpdateDatapointResponse(Model):
    """Body returned by `PUT /v1/datapoints/{datapoint_id}`."""

    updated: bool
    result: UpdateDatapointResult


class DeleteDatapointResponse(Model):
    """Body returned by `DELETE /v1/datapoints/{datapoint_id}`."""

    deleted: bool


class BatchCreateDatapointsResponse(Model):
    """Body returned by `POST /v1/datapoints/batch`."""

    inserted: bool
    insertedIds: list[str]
