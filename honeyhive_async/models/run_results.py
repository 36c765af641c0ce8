"""What experiment runs compute: summary, comparison, compared events, metrics and schema."""

from __future__ import annotations

from typing import Any, Literal, get_args

from ._base import JSONObject, Model
from .runs import ExperimentRun, PassingRange

__all__ = [
    "AGGREGATE_FUNCTIONS",
    "COMPARE_EVENTS_MAX_LIMIT",
    "AggregateFunction",
    "ComparableEvent",
    "CompareEventsPage",
    "DatapointResult",
    "EventComparisonDetail",
    "EventDetail",
    "EventMetricData",
    "EventMetricMetadata",
    "EventsSchema",
    "MetricComparison",
    "MetricDatapoints",
    "MetricDetail",
    "MetricsAggregation",
    "RunComparison",
    "RunMetrics",
    "RunSummary",
    "SchemaField",
    "SchemaMapping",
]

AggregateFunction = Literal["average", "min", "max", "median", "p95", "p99", "p90", "sum", "count"]
AGGREGATE_FUNCTIONS: tuple[str, ...] = get_args(AggregateFunction)
"""Every `aggregate_function` the summary and compare routes take."""
COMPARE_EVENTS_MAX_LIMIT = 1000
"""The largest `limit` of `GET /v1/runs/{new}/compare/{old}/events`."""


class MetricDatapoints(Model):
    """Datapoint (or session) ids that passed and failed one metric."""

    passed: list[str] = []
    failed: list[str] = []


class MetricDetail(Model):
    """One metric of one kind of event, aggregated over the run."""

    metric_name: str
    metric_type: str | None = None
    event_name: str | None = None
    event_type: str | None = None
    aggregate: float | None = None
    values: list[float] = []
    passing_range: PassingRange | None = None
    datapoints: MetricDatapoints | None = None


class MetricsAggregation(Model):
    """Every metric of a run, aggregated with `aggregation_function`."""

    aggregation_function: str | None = None
    details: list[MetricDetail] = []


class DatapointResult(Model):
    """Whether one datapoint (one session of the run) passed, with its metric values."""

    session_id: str
    passed: bool
    datapoint_id: str | None = None
    metrics: list[Any] = []


class EventDetail(Model):
    """A kind of event the run has."""

    event_name: str
    event_type: str


class RunSummary(Model):
    """Body returned by `GET /v1/runs/{run_id}/summary`."""

    status: str
    success: bool
    passed: list[str]
    failed: list[str]
    metrics: MetricsAggregation
    datapoints: list[DatapointResult]
    event_details: list[EventDetail]
    run_object: ExperimentRun
    error: str | None = None


class MetricComparison(Model):
    """One metric in both runs; `difference` is new minus old."""

    metric_name: str
    metric_type: str | None = None
    old_aggregate: float | None = None
    new_aggregate: float | None = None
    difference: float | None = None
    percentage_change: float | None = None


class EventComparisonDetail(Model):
    """A kind of event and which runs have it."""

    event_name: str
    event_type: str
    presence: Literal["old", "new", "both"]


class RunComparison(Model):
    """Body returned by `GET /v1/runs/{new_run_id}/compare/{old_run_id}`."""

    metrics: list[MetricComparison]
    commonDatapoints: list[str]
    event_details: list[EventComparisonDetail]
    old_run: ExperimentRun
    new_run: ExperimentRun


class ComparableEvent(Model):
    """The same event of one datapoint in both runs (`event_1` from the new run)."""

    datapoint_id: str
    event_1: JSONObject
    event_2: JSONObject


class CompareEventsPage(Model):
    """Body returned by `GET /v1/runs/{new_run_id}/compare/{old_run_id}/events`."""

    events: list[ComparableEvent]
    totalEvents: int


class EventMetricMetadata(Model):
    """The metadata a metrics row carries."""

    datapoint_id: str | None = None


class EventMetricData(Model):
    """One event's metrics."""

    event_name: str
    event_type: str
    session_id: str
    metadata: EventMetricMetadata
    metrics: dict[str, float | bool]


class RunMetrics(Model):
    """Body returned by `GET /v1/runs/{run_id}/metrics`."""

    events: list[EventMetricData]
    totalEvents: int


class SchemaField(Model):
    """A field events carry (``inputs.question``, ``metrics.accuracy``, ...)."""

    name: str
    event_type: str


class SchemaMapping(Model):
    """A field of the events of one name."""

    field_name: str
    event_type: str


class EventsSchema(Model):
    """Body returned by `GET /v1/runs/schema` and `GET /v1/runs/{run_id}/schema`."""

    fields: list[SchemaField]
    datasets: list[str]
    mappings: dict[str, list[SchemaMapping]]
