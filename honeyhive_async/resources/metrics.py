"""`client.metrics`: metric definitions, their versions, and running a metric on an event."""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from typing import Any

from .._resource import AsyncAPIResource, path_id
from ..models.metrics import (
    ChildMetric,
    CreateMetricRequest,
    CreateMetricResponse,
    CreateMetricVersionRequest,
    DeleteMetricResponse,
    Metric,
    MetricCategory,
    MetricFilters,
    MetricReturnType,
    MetricsResponse,
    MetricThreshold,
    MetricType,
    MetricVersion,
    MetricVersionResponse,
    MetricVersionsResponse,
    RunMetricDefinition,
    RunMetricRequest,
    RunMetricResponse,
    UpdateMetricRequest,
    UpdateMetricResponse,
)
from ._convert import struct_list, to_struct

__all__ = ["AsyncMetrics"]

_Threshold = MetricThreshold | Mapping[str, Any]
_Categories = Sequence[MetricCategory | Mapping[str, Any]]
_Children = Sequence[ChildMetric | Mapping[str, Any]]
_Filters = MetricFilters | Mapping[str, Any]


def _nested(
    threshold: _Threshold | None,
    categories: _Categories | None,
    child_metrics: _Children | None,
    filters: _Filters | None,
) -> dict[str, Any]:
    """The nested arguments as Structs, validated before any I/O."""
    return {
        "threshold": None
        if threshold is None
        else to_struct(threshold, MetricThreshold, "threshold"),
        "categories": struct_list(categories, MetricCategory, "categories"),
        "child_metrics": struct_list(child_metrics, ChildMetric, "child_metrics"),
        "filters": None if filters is None else to_struct(filters, MetricFilters, "filters"),
    }


class AsyncMetrics(AsyncAPIResource):
    """List, create, update, delete and run metrics; list, create and deploy their versions."""

    async def list(
        self, *, type: str | None = None, id: str | None = None
    ) -> builtins.list[Metric]:
        """Return every metric (`GET /v1/metrics`), optionally only one type or one id.

        Args:
            type: ``"PYTHON"``, ``"LLM"``, ``"HUMAN"`` or ``"COMPOSITE"``.
            id: A metric id.
        """
        params = {"type": type, "id": id}
        return (await self._get("/v1/metrics", cast_to=MetricsResponse, params=params)).metrics

    async def create(
        self,
        *,
        name: str,
        type: MetricType,
        criteria: str,
        description: str | None = None,
        return_type: MetricReturnType | None = None,
        enabled_in_prod: bool | None = None,
        needs_ground_truth: bool | None = None,
        sampling_percentage: float | None = None,
        model_provider: str | None = None,
        model_name: str | None = None,
        scale: int | None = None,
        threshold: _Threshold | None = None,
        categories: _Categories | None = None,
        child_metrics: _Children | None = None,
        filters: _Filters | None = None,
    ) -> CreateMetricResponse:
        """Create a metric (`POST /v1/metrics`); the reply carries its `metric_id`.

        Args:
            name: Up to 200 characters.
            type: ``"PYTHON"``, ``"LLM"``, ``"HUMAN"`` or ``"COMPOSITE"``.
            criteria: The code (PYTHON), prompt template (LLM) or rubric (HUMAN).
            description: Free text shown with the metric.
            return_type: ``"float"`` (the server's default), ``"boolean"``, ``"string"``,
                ``"categorical"``.
            enabled_in_prod: Run it on production traffic (server default: False).
            needs_ground_truth: It needs `feedback.ground_truth` on the event.
            sampling_percentage: 0 to 100 (server default 10).
            model_provider: The judge's provider (LLM metrics), e.g. ``"openai"``.
            model_name: The judge's model (LLM metrics).
            scale: The top of the score scale (a positive integer).
            threshold: `MetricThreshold` or a mapping (`min`, `max`, `pass_when`,
                `passing_categories`).
            categories: `MetricCategory` items or mappings (`category`, `score`).
            child_metrics: Children of a COMPOSITE metric (`name`, `weight`, `id`, `scale`).
            filters: `MetricFilters` or ``{"filterArray": [...]}``: which events it runs on.
        """
        body = CreateMetricRequest(
            name=name,
            type=type,
            criteria=criteria,
            description=description,
            return_type=return_type,
            enabled_in_prod=enabled_in_prod,
            needs_ground_truth=needs_ground_truth,
            sampling_percentage=sampling_percentage,
            model_provider=model_provider,
            model_name=model_name,
            scale=scale,
            **_nested(threshold, categories, child_metrics, filters),
        )
        # Not idempotent: a repeated create would make a second metric.
        return await self._post(
            "/v1/metrics", cast_to=CreateMetricResponse, body=body, idempotent=False
        )

    async def update(
        self,
        metric_id: str,
        *,
        name: str | None = None,
        type: MetricType | None = None,
        criteria: str | None = None,
        description: str | None = None,
        return_type: MetricReturnType | None = None,
        enabled_in_prod: bool | None = None,
        needs_ground_truth: bool | None = None,
        sampling_percentage: float | None = None,
        model_provider: str | None = None,
        model_name: str | None = None,
        scale: int | None = None,
        threshold: _Threshold | None = None,
        categories: _Categories | None = None,
        child_metrics: _Children | None = None,
        filters: _Filters | None = None,
    ) -> UpdateMetricResponse:
        """Change the given fields of a metric (`PUT /v1/metrics/{metric_id}`); see `create`."""
        path = f"/v1/metrics/{path_id('metric_id', metric_id)}"
        body = UpdateMetricRequest(
            name=name,
            type=type,
            criteria=criteria,
            description=description,
            return_type=return_type,
            enabled_in_prod=enabled_in_prod,
            needs_ground_truth=needs_ground_truth,
            sampling_percentage=sampling_percentage,
            model_provider=model_provider,
            model_name=model_name,
            scale=scale,
            **_nested(threshold, categories, child_metrics, filters),
        )
        return await self._put(path, cast_to=UpdateMetricResponse, body=body)

    async def delete(self, metric_id: str) -> DeleteMetricResponse:
        """Delete a metric (`DELETE /v1/metrics/{metric_id}`)."""
        path = f"/v1/metrics/{path_id('metric_id', metric_id)}"
        return await self._delete(path, cast_to=DeleteMetricResponse)

    async def run(
        self,
        *,
        metric: RunMetricDefinition | Mapping[str, Any],
        event: Mapping[str, Any],
    ) -> RunMetricResponse:
        """Evaluate a PYTHON or LLM metric on one event (`POST /v1/metrics/run`).

        Args:
            metric: `RunMetricDefinition` or a mapping (`name`, `type`, `criteria`, ...).
            event: The event as JSON: `event_type`, `inputs`, `outputs`, `feedback`, ...

        Raises:
            MetricExecutionError: the metric's code failed (422 ``execution_error``); also
                `MetricCompilationError`, `MetricTemplateRenderError` and
                `MetricLLMResponseParseError`, all `UnprocessableEntityError`s.
        """
        if not isinstance(event, Mapping):
            raise TypeError(f"event must be a mapping, got {type(event).__name__}")
        body = RunMetricRequest(
            metric=to_struct(metric, RunMetricDefinition, "metric"), event=dict(event)
        )
        return await self._post("/v1/metrics/run", cast_to=RunMetricResponse, body=body)

    async def list_versions(self, metric_id: str) -> builtins.list[MetricVersion]:
        """Return every version of a metric, oldest first (`GET /v1/metrics/{id}/versions`)."""
        path = f"/v1/metrics/{path_id('metric_id', metric_id)}/versions"
        return (await self._get(path, cast_to=MetricVersionsResponse)).data

    async def create_version(
        self,
        metric_id: str,
        *,
        message: str,
        content: CreateMetricRequest | Mapping[str, Any],
        deploy_immediately: bool | None = None,
    ) -> MetricVersionResponse:
        """Snapshot a metric definition as a new version (`POST /v1/metrics/{id}/versions`).

        Args:
            metric_id: The metric to version.
            message: What changed, like a commit message.
            content: The definition: `CreateMetricRequest` or a mapping with `name`, `type`,
                `criteria` and any optional field of `create`.
            deploy_immediately: Also make it the live version (default: a draft).
        """
        path = f"/v1/metrics/{path_id('metric_id', metric_id)}/versions"
        body = CreateMetricVersionRequest(
            message=message,
            content=to_struct(content, CreateMetricRequest, "content"),
            deploy_immediately=deploy_immediately,
        )
        return await self._post(path, cast_to=MetricVersionResponse, body=body, idempotent=False)

    async def deploy_version(self, metric_id: str, version_name: str) -> MetricVersionResponse:
        """Make a version the live one (`POST /v1/metrics/{id}/versions/{name}/deploy`)."""
        mid = path_id("metric_id", metric_id)
        name = path_id("version_name", version_name)
        return await self._post(
            f"/v1/metrics/{mid}/versions/{name}/deploy", cast_to=MetricVersionResponse
        )
