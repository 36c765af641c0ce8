"""Metric routes: ``/v1/metrics`` (list, create, update, delete, run) and metric versions.

The deprecated forms are served too: ``PUT /v1/metrics`` (id in the body), ``DELETE
/v1/metrics?metric_id=`` and ``POST /v1/metrics/run_metric``.

Running a metric: the only types the spec lets `run` take are PYTHON (user code) and LLM (a
call to a judge model). The local server never executes user code and never calls a model, so
it evaluates neither: every run that passes validation answers the spec's 422
``execution_error`` with a message saying so. Nothing in a definition is ever `exec`'d or
`eval`'d.
"""

from __future__ import annotations

import msgspec
from aiohttp import web

from ...models.metrics import (
    CreateMetricRequest,
    CreateMetricVersionRequest,
    LegacyRunMetricRequest,
    LegacyUpdateMetricRequest,
    RunMetricDefinition,
    RunMetricRequest,
    UpdateMetricRequest,
)
from .._http import STORE_KEY, ServerError, decode_body, json_response, path_id

__all__ = [
    "ROUTES",
    "create_metric",
    "create_version",
    "delete_metric",
    "delete_metric_legacy",
    "deploy_version",
    "list_metrics",
    "list_versions",
    "run_metric",
    "run_metric_legacy",
    "update_metric",
    "update_metric_legacy",
]

_create_decoder = msgspec.json.Decoder(CreateMetricRequest)
_update_decoder = msgspec.json.Decoder(UpdateMetricRequest)
_legacy_update_decoder = msgspec.json.Decoder(LegacyUpdateMetricRequest)
_version_decoder = msgspec.json.Decoder(CreateMetricVersionRequest)
_run_decoder = msgspec.json.Decoder(RunMetricRequest)
_legacy_run_decoder = msgspec.json.Decoder(LegacyRunMetricRequest)

_NOT_RUN = (
    "the local server does not run {type} metrics: it never executes metric code or calls a "
    "model; run this metric against HoneyHive"
)


def _not_found(metric_id: str) -> ServerError:
    return ServerError(404, f"Metric {metric_id} not found", "NOT_FOUND")


def _query(request: web.Request, name: str) -> str | None:
    value = request.query.get(name)
    return value if value else None


async def list_metrics(request: web.Request) -> web.Response:
    """``GET /v1/metrics?type=&id=``: every metric, oldest first."""
    metrics = request.app[STORE_KEY].metrics.select(_query(request, "type"), _query(request, "id"))
    return json_response({"metrics": metrics})


async def create_metric(request: web.Request) -> web.Response:
    """``POST /v1/metrics``: store a metric; the reply carries its id."""
    req = await decode_body(request, _create_decoder)
    metric = request.app[STORE_KEY].metrics.create(req)
    return json_response({"inserted": True, "metric_id": metric["id"]})


async def update_metric(request: web.Request) -> web.Response:
    """``PUT /v1/metrics/{metric_id}``: change the given fields."""
    metric_id = path_id(request, "metric_id")
    req = await decode_body(request, _update_decoder)
    if request.app[STORE_KEY].metrics.update(metric_id, req) is None:
        raise _not_found(metric_id)
    return json_response({"updated": True})


async def update_metric_legacy(request: web.Request) -> web.Response:
    """``PUT /v1/metrics`` (deprecated): the same, with the id in the body."""
    req = await decode_body(request, _legacy_update_decoder)
    if request.app[STORE_KEY].metrics.update(req.id, req) is None:
        raise _not_found(req.id)
    return json_response({"updated": True})


async def delete_metric(request: web.Request) -> web.Response:
    """``DELETE /v1/metrics/{metric_id}``: delete a metric and its versions."""
    metric_id = path_id(request, "metric_id")
    if not request.app[STORE_KEY].metrics.delete(metric_id):
        raise _not_found(metric_id)
    return json_response({"deleted": True})


async def delete_metric_legacy(request: web.Request) -> web.Response:
    """``DELETE /v1/metrics?metric_id=`` (deprecated)."""
    metric_id = _query(request, "metric_id")
    if metric_id is None:
        raise ServerError(400, "metric_id is required", "VALIDATION_ERROR")
    if not request.app[STORE_KEY].metrics.delete(metric_id):
        raise _not_found(metric_id)
    return json_response({"deleted": True})


async def list_versions(request: web.Request) -> web.Response:
    """``GET /v1/metrics/{metric_id}/versions``: every version, oldest first."""
    metric_id = path_id(request, "metric_id")
    metrics = request.app[STORE_KEY].metrics
    if metrics.get(metric_id) is None:
        raise _not_found(metric_id)
    return json_response({"success": True, "data": metrics.versions(metric_id)})


async def create_version(request: web.Request) -> web.Response:
    """``POST /v1/metrics/{metric_id}/versions``: a new draft (or deployed) version."""
    metric_id = path_id(request, "metric_id")
    req = await decode_body(request, _version_decoder)
    content = req.content
    if content.type == "LLM" and not (content.model_provider and content.model_name):
        raise ServerError(
            400, "an LLM metric needs model_provider and model_name", "VALIDATION_ERROR"
        )
    if content.type == "COMPOSITE" and not content.child_metrics:
        raise ServerError(400, "a COMPOSITE metric needs child_metrics", "VALIDATION_ERROR")
    metrics = request.app[STORE_KEY].metrics
    if metrics.get(metric_id) is None:
        raise _not_found(metric_id)
    version = metrics.create_version(
        metric_id, req.message, content, deploy=bool(req.deploy_immediately)
    )
    return json_response({"success": True, "data": version})


async def deploy_version(request: web.Request) -> web.Response:
    """``POST /v1/metrics/{metric_id}/versions/{version_name}/deploy``: make it the live one."""
    metric_id = path_id(request, "metric_id")
    name = path_id(request, "version_name")
    metrics = request.app[STORE_KEY].metrics
    if metrics.get(metric_id) is None:
        raise _not_found(metric_id)
    version = metrics.deploy(metric_id, name)
    if version is None:
        raise ServerError(404, f"Metric {metric_id} has no version {name}", "NOT_FOUND")
    return json_response({"success": True, "data": version})


def _refuse_to_run(metric: RunMetricDefinition) -> ServerError:
    return ServerError(422, _NOT_RUN.format(type=metric.type), "execution_error")


async def run_metric(request: web.Request) -> web.Response:
    """``POST /v1/metrics/run``: validated, then refused with 422 (see the module docstring)."""
    req = await decode_body(request, _run_decoder)
    raise _refuse_to_run(req.metric)


async def run_metric_legacy(request: web.Request) -> web.Response:
    """``POST /v1/metrics/run_metric`` (deprecated): as ``/v1/metrics/run``."""
    req = await decode_body(request, _legacy_run_decoder)
    raise _refuse_to_run(req.metric)


ROUTES = [
    web.post("/v1/metrics/run", run_metric),
    web.post("/v1/metrics/run_metric", run_metric_legacy),
    web.get("/v1/metrics", list_metrics),
    web.post("/v1/metrics", create_metric),
    web.put("/v1/metrics", update_metric_legacy),
    web.delete("/v1/metrics", delete_metric_legacy),
    web.put("/v1/metrics/{metric_id}", update_metric),
    web.delete("/v1/metrics/{metric_id}", delete_metric),
    web.get("/v1/metrics/{metric_id}/versions", list_versions),
    web.post("/v1/metrics/{metric_id}/versions", create_version),
    web.post("/v1/metrics/{metric_id}/versions/{version_name}/deploy", deploy_version),
]
