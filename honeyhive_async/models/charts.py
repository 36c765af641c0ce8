"""Chart models: `/v1/charts` (list, create, get, update, delete).

`dateRange` stays plain JSON: the spec allows ``{"relative": "7d"}`` or ``{"$gte": ...,
"$lte": ...}`` (strings or Unix ms), two shapes one Struct field cannot tell apart.
"""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta

from ._base import JSONObject, Model, RequestModel, field_ms

__all__ = [
    "Chart",
    "ChartBucketing",
    "ChartResponse",
    "ChartsResponse",
    "CreateChartRequest",
    "DeleteChartResponse",
    "QueryFilter",
    "UpdateChartRequest",
]

ChartBucketing = Literal["minute", "hour", "day", "week", "month"]

_Name = Annotated[str, Meta(max_length=200)]
_Id = Annotated[str, Meta(min_length=1)]


class QueryFilter(RequestModel):
    """One filter on a chart's data, e.g. ``event_type is model``."""

    field: str
    value: str | None
    type: str
    """The field's data type: ``"string"``, ``"number"``, ..."""
    operator: str
    """``"is"``, ``"is not"``, ``"contains"``, ``"greater than"``, ..."""


class UpdateChartRequest(RequestModel):
    """Body of `PUT /v1/charts/{chart_id}`: only the fields given change."""

    name: _Name | None = None
    description: str | None = None
    metric: str | None = None
    func: str | None = None
    """The aggregation: ``"sum"``, ``"avg"``, ``"median"``, ``"min"``, ``"max"``, ..."""
    groupBy: str | None = None
    bucketing: ChartBucketing | None = None
    dateRange: JSONObject | None = None
    """``{"relative": "7d"}`` or ``{"$gte": start, "$lte": end}`` (ISO strings or Unix ms)."""
    query: list[QueryFilter] | None = None
    owner_id: _Id | None = None


class CreateChartRequest(UpdateChartRequest, kw_only=True):
    """Body of `POST /v1/charts`."""

    name: _Name
    metric: _Id


class Chart(Model):
    """A chart as the API returns it."""

    id: str
    name: str
    metric: str
    description: str | None = None
    func: str | None = None
    groupBy: str | None = None
    bucketing: str | None = None
    dateRange: JSONObject | None = None
    query: list[JSONObject] | None = None
    owner_id: str | None = None
    owner_profile: JSONObject | None = None
    is_active: bool = True
    created_at: str | float | None = None
    """ISO 8601 (or Unix ms); see `created_at_ms`."""
    updated_at: str | float | None = None

    @property
    def created_at_ms(self) -> float | None:
        """`created_at` as Unix milliseconds."""
        return field_ms(self.created_at, "created_at")

    @property
    def updated_at_ms(self) -> float | None:
        """`updated_at` as Unix milliseconds (None until the chart is updated)."""
        return field_ms(self.updated_at, "updated_at")


class ChartsResponse(Model):
    """Body of `GET /v1/charts`."""

    success: bool
    data: list[Chart]


class ChartResponse(Model):
    """Body of a chart's create, get and update: the chart in `data`."""

    success: bool
    data: Chart


class DeleteChartResponse(Model):
    """Body of `DELETE /v1/charts/{chart_id}`."""

    success: bool
    message: str = ""
