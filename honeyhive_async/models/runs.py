"""Experiment run models: `POST/GET /v1/runs`, `GET/PUT/DELETE /v1/runs/{run_id}`."""

from __future__ import annotations

from typing import Any, Literal

from ._base import JSONObject, Model, RequestModel, field_ms

__all__ = [
    "RUNS_MAX_LIMIT",
    "CreateRunRequest",
    "CreateRunResponse",
    "DeleteRunResponse",
    "ExperimentRun",
    "GetRunResponse",
    "Pagination",
    "PassingRange",
    "RunStatus",
    "RunsPage",
    "RunsSortBy",
    "UpdateRunRequest",
    "UpdateRunResponse",
]

RUNS_MAX_LIMIT = 100
"""The largest `limit` of `GET /v1/runs`."""

RunStatus = Literal["pending", "completed", "failed", "cancelled", "running"]
RunsSortBy = Literal["created_at", "updated_at", "name", "status"]


class PassingRange(Model):
    """The range a metric's value must fall in for a datapoint to pass (both ends inclusive)."""

    min: float | None = None
    max: float | None = None


class CreateRunRequest(RequestModel):
    """Body of `POST /v1/runs`."""

    run_id: str | None = None
    name: str | None = None
    description: str | None = None
    status: RunStatus | None = None
    metadata: JSONObject | None = None
    results: JSONObject | None = None
    dataset_id: str | None = None
    event_ids: list[str] | None = None
    """Session (or event) ids of the run."""
    configuration: JSONObject | None = None
    evaluators: list[Any] | None = None
    session_ids: list[str] | None = None
    datapoint_ids: list[str] | None = None
    passing_ranges: dict[str, PassingRange] | None = None
    """Per metric name, the range a passing value falls in."""


class UpdateRunRequest(RequestModel):
    """Body of `PUT /v1/runs/{run_id}`: only the fields given change."""

    name: str | None = None
    description: str | None = None
    status: RunStatus | None = None
    metadata: JSONObject | None = None
    results: JSONObject | None = None
    event_ids: list[str] | None = None
    configuration: JSONObject | None = None
    evaluators: list[Any] | None = None
    session_ids: list[str] | None = None
    datapoint_ids: list[str] | None = None
    passing_ranges: dict[str, PassingRange] | None = None


class ExperimentRun(Model):
    """An experiment run (`ExperimentRunObject`)."""

    id: str
    run_id: str
    name: str | None = None
    description: str | None = None
    status: str | None = None
    metadata: JSONObject = {}
    results: JSONObject = {}
    metrics: dict[str, float] = {}
    event_ids: list[str] = []
    configuration: JSONObject = {}
    is_active: bool = True
    created_at: str | float | None = None
    """An ISO 8601 string (or Unix ms); see `created_at_ms`."""
    updated_at: str | float | None = None
    scope_type: str | None = None
    scope_id: str | None = None
    dataset_id: str | None = None
    dataset_name: str | None = None

    @property
    def created_at_ms(self) -> float | None:
        """`created_at` as Unix milliseconds."""
        return field_ms(self.created_at, "created_at")

    @property
    def updated_at_ms(self) -> float | None:
        """`updated_at` as Unix milliseconds."""
        return field_ms(self.updated_at, "updated_at")


class Pagination(Model):
    """Where a page of `GET /v1/runs` sits in the whole list."""

    page: int
    limit: int
    total: int
    total_unfiltered: int = 0
    total_pages: int = 0
    has_next: bool = False
    has_prev: bool = False


class CreateRunResponse(Model):
    """Body returned by `POST /v1/runs`."""

    evaluation: ExperimentRun
    run_id: str


class GetRunResponse(Model):
    """Body returned by `GET /v1/runs/{run_id}`."""

    evaluation: ExperimentRun


class UpdateRunResponse(Model):
    """Body returned by `PUT /v1/runs/{run_id}`."""

    evaluation: ExperimentRun
    warning: str | None = None


class RunsPage(Model):
    """Body returned by `GET /v1/runs`: one page of runs."""

    evaluations: list[ExperimentRun]
    pagination: Pagination
    metrics: list[str] = []
    """Names of the metrics the runs on this page carry."""


class DeleteRunResponse(Model):
    """Body returned by `DELETE /v1/runs/{run_id}`."""

    id: str
    deleted: bool
