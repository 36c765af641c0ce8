"""Metric models: `/v1/metrics` (list, create, update, delete, run) and its versions.

Request Structs carry the spec's bounds as `Meta` constraints: the client sends what it is
given and the server (the local one decodes these very Structs) answers 400 for a value out
of bounds. Responses keep the nested objects (`threshold`, `categories`, `child_metrics`,
`filters`) as plain JSON, so that a field HoneyHive adds inside one never breaks decoding.
"""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta

from ._base import JSONObject, Model, RequestModel, field_ms
from .events import ExportFilter

__all__ = [
    "ChildMetric",
    "CreateMetricRequest",
    "CreateMetricResponse",
    "CreateMetricVersionRequest",
    "DeleteMetricResponse",
    "LegacyRunMetricRequest",
    "LegacyUpdateMetricRequest",
    "Metric",
    "MetricCategory",
    "MetricFilters",
    "MetricReturnType",
    "MetricThreshold",
    "MetricType",
    "MetricVersion",
    "MetricVersionContent",
    "MetricVersionResponse",
    "MetricVersionsResponse",
    "MetricsResponse",
    "RunMetricDefinition",
    "RunMetricRequest",
    "RunMetricResponse",
    "UpdateMetricRequest",
    "UpdateMetricResponse",
]

MetricType = Literal["PYTHON", "LLM", "HUMAN", "COMPOSITE"]
MetricReturnType = Literal["float", "boolean", "string", "categorical"]

_Name = Annotated[str, Meta(max_length=200)]
_Criteria = Annotated[str, Meta(min_length=1)]
_Percentage = Annotated[float, Meta(ge=0, le=100)]
_Scale = Annotated[int, Meta(gt=0)]


class MetricThreshold(RequestModel):
    """When a metric's result passes: a numeric range, a value, or passing categories."""

    min: float | None = None
    max: float | None = None
    pass_when: bool | float | None = None
    passing_categories: Annotated[list[_Name], Meta(min_length=1)] | None = None


class MetricCategory(RequestModel):
    """One category of a categorical metric and its score (null: unscored)."""

    category: _Name
    score: float | None


class ChildMetric(RequestModel):
    """One weighted child of a COMPOSITE metric."""

    name: _Name
    weight: float
    id: Annotated[str, Meta(min_length=1)] | None = None
    scale: _Scale | None = None


class MetricFilters(RequestModel):
    """Which events a metric runs on (an empty list: all)."""

    filterArray: list[ExportFilter]


class _MetricFields(RequestModel):
    """The optional fields of a metric definition, shared by create, update, version and run."""

    description: str | None = None
    return_type: MetricReturnType | None = None
    enabled_in_prod: bool | None = None
    needs_ground_truth: bool | None = None
    sampling_percentage: _Percentage | None = None
    model_provider: str | None = None
    model_name: str | None = None
    scale: _Scale | None = None
    threshold: MetricThreshold | None = None
    categories: Annotated[list[MetricCategory], Meta(min_length=1)] | None = None
    child_metrics: Annotated[list[ChildMetric], Meta(min_length=1)] | None = None
    filters: MetricFilters | None = None


class CreateMetricRequest(_MetricFields, kw_only=True):
    """Body of `POST /v1/metrics`, and the `content` of a new metric version."""

    name: _Name
    type: MetricType
    criteria: _Criteria
    """The code (PYTHON), prompt template (LLM) or rubric (HUMAN) of the metric."""


class UpdateMetricRequest(_MetricFields):
    """Body of `PUT /v1/metrics/{metric_id}`: only the fields given change."""

    name: _Name | None = None
    type: MetricType | None = None
    criteria: _Criteria | None = None


class LegacyUpdateMetricRequest(UpdateMetricRequest, kw_only=True):
    """Body of the deprecated `PUT /v1/metrics` (the id in the body)."""

    id: Annotated[str, Meta(min_length=1)]


class CreateMetricVersionRequest(RequestModel):
    """Body of `POST /v1/metrics/{metric_id}/versions`."""

    message: str
    content: CreateMetricRequest
    deploy_immediately: bool | None = None


class RunMetricDefinition(_MetricFields, kw_only=True):
    """The metric of `POST /v1/metrics/run`: only PYTHON and LLM metrics run on demand."""

    name: _Name
    type: Literal["LLM", "PYTHON"]
    criteria: _Criteria


class RunMetricRequest(RequestModel):
    """Body of `POST /v1/metrics/run`: a metric definition and the event to evaluate it on."""

    metric: RunMetricDefinition
    event: JSONObject
    """`event_type`, `event_name`, `inputs`, `outputs`, `feedback.ground_truth`, ... (open)."""


class LegacyRunMetricRequest(Model):
    """Body of the deprecated `POST /v1/metrics/run_metric` (the spec leaves it open)."""

    metric: RunMetricDefinition
    event: JSONObject


# -- responses ---------------------------------------------------------------------------------


class MetricVersionContent(Model):
    """A metric definition as the API returns it (a version's snapshot, or the metric itself)."""

    name: str
    type: str
    criteria: str
    description: str | None = None
    return_type: str | None = None
    enabled_in_prod: bool | None = None
    needs_ground_truth: bool | None = None
    sampling_percentage: float | None = None
    model_provider: str | None = None
    model_name: str | None = None
    scale: int | None = None
    threshold: JSONObject | None = None
    categories: list[JSONObject] | None = None
    child_metrics: list[JSONObject] | None = None
    filters: JSONObject | None = None


class Metric(MetricVersionContent, kw_only=True):
    """One metric of `GET /v1/metrics` (`MetricItem`)."""

    id: str
    created_at: str | float | None = None
    """ISO 8601 (or Unix ms); see `created_at_ms`."""
    updated_at: str | float | None = None

    @property
    def created_at_ms(self) -> float | None:
        """`created_at` as Unix milliseconds."""
        return field_ms(self.created_at, "created_at")

    @property
    def updated_at_ms(self) -> float | None:
        """`updated_at` as Unix milliseconds (None until the metric is updated)."""
        return field_ms(self.updated_at, "updated_at")


class MetricsResponse(Model):
    """Body of `GET /v1/metrics`."""

    metrics: list[Metric]


class CreateMetricResponse(Model):
    """Body of `POST /v1/metrics`."""

    inserted: bool
    metric_id: str


class UpdateMetricResponse(Model):
    """Body of `PUT /v1/metrics/{metric_id}`."""

    updated: bool


class DeleteMetricResponse(Model):
    """Body of `DELETE /v1/metrics/{metric_id}`."""

    deleted: bool


class RunMetricResponse(Model):
    """Body of `POST /v1/metrics/run`."""

    success: bool
    loading: bool
    result: bool | float | str | None = None
    explanation: str | None = None


class MetricVersion(Model):
    """A snapshot of a metric definition: `name` (e.g. ``"v2"``), `deployed`, `content`."""

    name: str
    full_sha: str
    message: str
    date: str | float
    """ISO 8601 (or Unix ms); see `date_ms`."""
    deployed: bool
    content: MetricVersionContent

    @property
    def date_ms(self) -> float | None:
        """`date` as Unix milliseconds."""
        return field_ms(self.date, "date")


class MetricVersionsResponse(Model):
    """Body of `GET /v1/metrics/{metric_id}/versions`: every version, oldest first."""

    success: bool
    data: list[MetricVersion]


class MetricVersionResponse(Model):
    """Body of a version's create and deploy: the version."""

    success: bool
    data: MetricVersion
