"""`/v1/metrics`: the store, the routes, the deprecated forms, and hostile bodies."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from honeyhive_async.models import CreateMetricRequest, UpdateMetricRequest
from honeyhive_async.server.store import Store

from .helpers import call

PYTHON_METRIC = {"name": "len", "type": "PYTHON", "criteria": "def metric(event): return 1"}


async def _create(client: aiohttp.ClientSession, **fields: Any) -> str:
    result = await call(client, "POST", "/v1/metrics", {**PYTHON_METRIC, **fields})
    assert result["inserted"] is True
    metric_id: str = result["metric_id"]
    return metric_id


async def _get(client: aiohttp.ClientSession, metric_id: str) -> dict[str, Any]:
    (metric,) = (await call(client, "GET", f"/v1/metrics?id={metric_id}"))["metrics"]
    assert isinstance(metric, dict)
    return metric


def test_the_store_keeps_metrics_and_versions_in_its_database(tmp_path: Any) -> None:
    path = str(tmp_path / "hh.db")
    store = Store(path)
    metric = store.metrics.create(CreateMetricRequest(name="n", type="PYTHON", criteria="c"))
    store.metrics.create_version(
        metric["id"], "m", CreateMetricRequest(name="n", type="PYTHON", criteria="c"), True
    )
    store.close()

    reopened = Store(path)
    assert reopened.metrics.get(metric["id"]) == metric
    assert [v["deployed"] for v in reopened.metrics.versions(metric["id"])] == [True]
    assert reopened.metrics.update("nope", UpdateMetricRequest(name="x")) is None
    assert reopened.metrics.delete(metric["id"]) is True
    assert reopened.metrics.versions(metric["id"]) == []
    reopened.close()


async def test_a_new_metric_has_every_required_field_and_no_null_where_not_allowed(
    client: aiohttp.ClientSession,
) -> None:
    metric = await _get(client, await _create(client))
    required = {
        "name", "type", "criteria", "description", "return_type", "enabled_in_prod",
        "needs_ground_truth", "sampling_percentage", "filters", "id", "created_at", "updated_at",
    }  # fmt: skip
    assert set(metric) == required
    nullable = {"description", "updated_at"}
    assert [k for k, v in metric.items() if v is None and k not in nullable] == []
    assert metric["created_at"].endswith("Z")


async def test_the_deprecated_update_and_delete_take_the_id_elsewhere(
    client: aiohttp.ClientSession,
) -> None:
    metric_id = await _create(client)
    body = {"id": metric_id, "description": "legacy"}
    assert await call(client, "PUT", "/v1/metrics", body) == {"updated": True}
    assert (await _get(client, metric_id))["description"] == "legacy"
    await call(client, "PUT", "/v1/metrics", {"id": "nope", "name": "x"}, status=404)
    await call(client, "PUT", "/v1/metrics", {"name": "x"}, status=400)

    await call(client, "DELETE", "/v1/metrics", status=400)
    await call(client, "DELETE", "/v1/metrics?metric_id=nope", status=404)
    assert await call(client, "DELETE", f"/v1/metrics?metric_id={metric_id}") == {"deleted": True}
    assert (await call(client, "GET", "/v1/metrics"))["metrics"] == []


async def test_the_deprecated_run_is_refused_like_the_new_one(
    client: aiohttp.ClientSession,
) -> None:
    body = {"metric": PYTHON_METRIC, "event": {}, "extra": "the legacy body is open"}
    refused = await call(client, "POST", "/v1/metrics/run_metric", body, status=422)
    assert refused["errorCode"] == "execution_error"
    assert "does not run PYTHON metrics" in refused["message"]


@pytest.mark.parametrize(
    ("method", "path", "body", "needle"),
    [
        ("POST", "/v1/metrics", {**PYTHON_METRIC, "bogus": 1}, "bogus"),
        ("POST", "/v1/metrics", {"name": "n", "type": "PYTHON"}, "criteria"),
        ("POST", "/v1/metrics", {**PYTHON_METRIC, "type": "SQL"}, "$.type"),
        ("POST", "/v1/metrics", {**PYTHON_METRIC, "name": "x" * 201}, "$.name"),
        ("POST", "/v1/metrics", {**PYTHON_METRIC, "scale": 0}, "$.scale"),
        ("POST", "/v1/metrics", {**PYTHON_METRIC, "threshold": {"min": 1, "x": 2}}, "x"),
        ("POST", "/v1/metrics", {**PYTHON_METRIC, "categories": []}, "$.categories"),
        ("POST", "/v1/metrics", {**PYTHON_METRIC, "filters": {}}, "filterArray"),
        ("POST", "/v1/metrics/run", {"metric": PYTHON_METRIC}, "event"),
        ("POST", "/v1/metrics/run", {"metric": PYTHON_METRIC, "event": [1]}, "$.event"),
        ("POST", "/v1/metrics/run", {"metric": PYTHON_METRIC, "event": {}, "x": 1}, "x"),
        ("POST", "/v1/metrics/m1/versions", {"content": PYTHON_METRIC}, "message"),
    ],
)
async def test_a_bad_body_is_a_400_naming_the_field(
    client: aiohttp.ClientSession, method: str, path: str, body: Any, needle: str
) -> None:
    result = await call(client, method, path, body, status=400)
    assert needle in result["message"]
    assert result["errorCode"] == "VALIDATION_ERROR"


@pytest.mark.parametrize(
    "raw",
    [b"", b"{", b"nul", b'{"metric": ' * 5000 + b"1" + b"}" * 5000],
    ids=["empty", "truncated", "not-json", "deep"],
)
@pytest.mark.parametrize("path", ["/v1/metrics", "/v1/metrics/run", "/v1/metrics/m/versions"])
async def test_undecodable_bodies_are_a_400(
    client: aiohttp.ClientSession, path: str, raw: bytes
) -> None:
    headers = {"Content-Type": "application/json"}
    async with client.post(path, data=raw, headers=headers) as resp:
        assert resp.status == 400
        # A deep body may first meet a field the route does not take: then it names that.
        assert (await resp.json())["errorCode"] in {"INVALID_JSON", "VALIDATION_ERROR"}


async def test_an_event_nested_too_deeply_to_decode_is_a_400(
    client: aiohttp.ClientSession,
) -> None:
    deep = b'{"a": ' * 5000 + b"1" + b"}" * 5000
    raw = b'{"metric": {"name": "n", "type": "LLM", "criteria": "c"}, "event": ' + deep + b"}"
    async with client.post("/v1/metrics/run", data=raw) as resp:
        assert resp.status == 400
        assert (await resp.json())["message"] == "Request body is nested too deeply"


async def test_a_huge_integer_is_kept_exactly(client: aiohttp.ClientSession) -> None:
    metric_id = await _create(client, scale=10**40)
    assert (await _get(client, metric_id))["scale"] == 10**40


async def test_a_composite_version_needs_children(client: aiohttp.ClientSession) -> None:
    metric_id = await _create(client)
    content = {"name": "c", "type": "COMPOSITE", "criteria": "weighted"}
    body = {"message": "m", "content": content}
    result = await call(client, "POST", f"/v1/metrics/{metric_id}/versions", body, status=400)
    assert "child_metrics" in result["message"]
    content["child_metrics"] = [{"name": "a", "weight": 1}]  # type: ignore[assignment]
    version = await call(client, "POST", f"/v1/metrics/{metric_id}/versions", body)
    assert version["data"]["content"]["child_metrics"] == [{"name": "a", "weight": 1.0}]
    assert version["data"]["content"]["enabled_in_prod"] is False
