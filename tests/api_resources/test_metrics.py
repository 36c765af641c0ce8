"""`client.metrics`: request shapes (aioresponses) and round trips through the local server."""

from __future__ import annotations

from typing import Any

import pytest
from aioresponses import aioresponses

from honeyhive_async import (
    AsyncHoneyHive,
    BadRequestError,
    MetricCompilationError,
    MetricExecutionError,
    MetricLLMResponseParseError,
    MetricTemplateRenderError,
    NotFoundError,
    UnprocessableEntityError,
)
from honeyhive_async.models import Metric, MetricThreshold, MetricVersion
from honeyhive_async.server import LocalServer
from tests.api_resources.helpers import mock_sent
from tests.conftest import MOCK_URL
from tests.integration.conftest import sent

METRIC_ITEM: dict[str, Any] = {
    "id": "m1",
    "name": "Answer relevance",
    "type": "LLM",
    "criteria": "Rate {{outputs.content}}",
    "description": None,
    "return_type": "float",
    "enabled_in_prod": False,
    "needs_ground_truth": False,
    "sampling_percentage": 10,
    "model_provider": "openai",
    "model_name": "gpt-4o",
    "scale": 5,
    "threshold": {"min": 3},
    "categories": None,
    "child_metrics": None,
    "filters": {"filterArray": []},
    "created_at": "2024-04-01T22:38:19.000Z",
    "updated_at": None,
}
VERSION: dict[str, Any] = {
    "name": "v1",
    "full_sha": "abc123",
    "message": "first",
    "date": "2024-04-01 22:38:19",
    "deployed": False,
    "content": {
        k: v for k, v in METRIC_ITEM.items() if k not in {"id", "created_at", "updated_at"}
    },
}
PYTHON_METRIC = {"name": "len", "type": "PYTHON", "criteria": "def metric(event): return 1"}


class TestMetricsRequestShape:
    """What goes on the wire and how replies decode, against aioresponses (no sockets)."""

    async def test_list_sends_the_filters_as_query_and_returns_the_list(
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive
    ) -> None:
        mock_api.get(f"{MOCK_URL}/v1/metrics?id=m1&type=LLM", payload={"metrics": [METRIC_ITEM]})
        metrics = await mock_client.metrics.list(type="LLM", id="m1")
        assert [type(m) for m in metrics] == [Metric]
        (metric,) = metrics
        assert (metric.id, metric.name, metric.scale, metric.threshold) == (
            "m1",
            "Answer relevance",
            5,
            {"min": 3},
        )
        assert metric.created_at_ms == 1_712_011_099_000.0
        assert metric.updated_at_ms is None
        assert mock_sent(mock_api, "GET", "/v1/metrics?id=m1&type=LLM") is None

    async def test_list_without_filters_sends_no_query(
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive
    ) -> None:
        mock_api.get(f"{MOCK_URL}/v1/metrics", payload={"metrics": []})
        assert await mock_client.metrics.list() == []

    async def test_create_sends_only_the_given_fields(
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive
    ) -> None:
        mock_api.post(f"{MOCK_URL}/v1/metrics", payload={"inserted": True, "metric_id": "m9"})
        created = await mock_client.metrics.create(
            name="judge",
            type="LLM",
            criteria="Rate it",
            model_provider="openai",
            model_name="gpt-4o",
            threshold=MetricThreshold(min=3),
            categories=[{"category": "good", "score": 1}, {"category": "bad", "score": None}],
            filters={
                "filterArray": [
                    {"field": "event_type", "operator": "is", "value": "model", "type": "string"}
                ]
            },
        )
        assert (created.inserted, created.metric_id) == (True, "m9")
        assert mock_sent(mock_api, "POST", "/v1/metrics") == {
            "name": "judge",
            "type": "LLM",
            "criteria": "Rate it",
            "model_provider": "openai",
            "model_name": "gpt-4o",
            "threshold": {"min": 3.0},
            "categories": [{"category": "good", "score": 1.0}, {"category": "bad", "score": None}],
            "filters": {
                "filterArray": [
                    {"field": "event_type", "operator": "is", "value": "model", "type": "string"}
                ]
            },
        }

    async def test_a_bad_nested_argument_fails_before_any_io(
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive
    ) -> None:
        with pytest.raises(ValueError, match=r"categories\[0\]"):
            await mock_client.metrics.create(
                name="n", type="HUMAN", criteria="c", categories=[{"score": 1}]
            )
        with pytest.raises(TypeError, match="event must be a mapping"):
            await mock_client.metrics.run(metric=PYTHON_METRIC, event=[1])  # type: ignore[arg-type]
        assert mock_api.requests == {}

    async def test_update_and_delete_name_the_metric_in_the_path(
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive
    ) -> None:
        mock_api.put(f"{MOCK_URL}/v1/metrics/m%2F1", payload={"updated": True})
        mock_api.delete(f"{MOCK_URL}/v1/metrics/m%2F1", payload={"deleted": True})
        assert (await mock_client.metrics.update("m/1", description="d", scale=3)).updated
        assert mock_sent(mock_api, "PUT", "/v1/metrics/m%2F1") == {"description": "d", "scale": 3}
        assert (await mock_client.metrics.delete("m/1")).deleted
        assert mock_sent(mock_api, "DELETE", "/v1/metrics/m%2F1") is None

    @pytest.mark.parametrize(
        "call",
        [
            lambda c: c.metrics.update("  ", name="x"),
            lambda c: c.metrics.delete(""),
            lambda c: c.metrics.list_versions(""),
            lambda c: c.metrics.create_version(" ", message="m", content=PYTHON_METRIC),
            lambda c: c.metrics.deploy_version("m1", ""),
        ],
    )
    async def test_empty_ids_fail_before_any_io(
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive, call: Any
    ) -> None:
        with pytest.raises(ValueError, match="must be a non-empty string"):
            await call(mock_client)
        assert mock_api.requests == {}

    async def test_run_sends_the_metric_and_the_event(
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive
    ) -> None:
        mock_api.post(
            f"{MOCK_URL}/v1/metrics/run",
            payload={"success": True, "loading": False, "result": 0.5, "explanation": None},
        )
        event = {"event_type": "model", "outputs": {"content": "hi"}, "custom": 1}
        result = await mock_client.metrics.run(metric=PYTHON_METRIC, event=event)
        assert (result.success, result.loading, result.result, result.explanation) == (
            True,
            False,
            0.5,
            None,
        )
        assert mock_sent(mock_api, "POST", "/v1/metrics/run") == {
            "metric": PYTHON_METRIC,
            "event": event,
        }

    @pytest.mark.parametrize(
        ("code", "error"),
        [
            ("execution_error", MetricExecutionError),
            ("compilation_error", MetricCompilationError),
            ("template_render_error", MetricTemplateRenderError),
            ("llm_response_parse_error", MetricLLMResponseParseError),
            ("something_new", UnprocessableEntityError),
            (None, UnprocessableEntityError),
        ],
    )
    async def test_a_422_error_code_picks_its_error(
        self,
        mock_api: aioresponses,
        mock_client: AsyncHoneyHive,
        code: str | None,
        error: type[UnprocessableEntityError],
    ) -> None:
        payload: dict[str, Any] = {"message": "boom"}
        if code is not None:
            payload["errorCode"] = code
        mock_api.post(f"{MOCK_URL}/v1/metrics/run", status=422, payload=payload)
        with pytest.raises(UnprocessableEntityError) as info:
            await mock_client.metrics.run(metric=PYTHON_METRIC, event={})
        assert type(info.value) is error
        assert info.value.error_code == code
        assert info.value.server_message == "boom"

    async def test_versions_list_create_and_deploy(
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive
    ) -> None:
        base = f"{MOCK_URL}/v1/metrics/m1/versions"
        mock_api.get(base, payload={"success": True, "data": [VERSION]})
        mock_api.post(base, payload={"success": True, "data": VERSION})
        mock_api.post(f"{base}/v1/deploy", payload={"success": True, "data": VERSION})

        (listed,) = await mock_client.metrics.list_versions("m1")
        assert isinstance(listed, MetricVersion)
        assert listed.date_ms == 1_712_011_099_000.0
        assert listed.content.model_name == "gpt-4o"
        created = await mock_client.metrics.create_version(
            "m1", message="first", content=PYTHON_METRIC, deploy_immediately=True
        )
        assert created.data.name == "v1"
        assert mock_sent(mock_api, "POST", "/v1/metrics/m1/versions") == {
            "message": "first",
            "content": PYTHON_METRIC,
            "deploy_immediately": True,
        }
        deployed = await mock_client.metrics.deploy_version("m1", "v1")
        assert deployed.success is True
        assert mock_sent(mock_api, "POST", "/v1/metrics/m1/versions/v1/deploy") is None


class TestMetricsRoundTrip:
    """Every method end to end against the local server: what is stored and returned."""

    async def test_create_list_update_delete(
        self, server: LocalServer, client: AsyncHoneyHive
    ) -> None:
        created = await client.metrics.create(
            name="judge", type="HUMAN", criteria="Is it right?", scale=5
        )
        assert created.inserted is True
        other = await client.metrics.create(**PYTHON_METRIC)  # type: ignore[arg-type]

        (metric,) = await client.metrics.list(id=created.metric_id)
        assert (metric.id, metric.name, metric.type, metric.scale) == (
            created.metric_id,
            "judge",
            "HUMAN",
            5,
        )
        # The spec's defaults fill what was not given (HUMAN metrics run in prod by default).
        assert (metric.description, metric.return_type, metric.sampling_percentage) == (
            "",
            "float",
            10,
        )
        assert metric.enabled_in_prod is True
        assert metric.filters == {"filterArray": []}
        assert metric.created_at_ms is not None
        assert metric.updated_at is None
        assert [m.id for m in await client.metrics.list()] == [created.metric_id, other.metric_id]
        assert [m.id for m in await client.metrics.list(type="PYTHON")] == [other.metric_id]

        updated = await client.metrics.update(created.metric_id, description="now described")
        assert updated.updated is True
        (metric,) = await client.metrics.list(id=created.metric_id)
        assert (metric.description, metric.name, metric.scale) == ("now described", "judge", 5)
        assert metric.updated_at_ms is not None
        assert sent(server, "PUT", f"/v1/metrics/{created.metric_id}")[0].json() == {
            "description": "now described"
        }

        assert (await client.metrics.delete(created.metric_id)).deleted is True
        assert [m.id for m in await client.metrics.list()] == [other.metric_id]

    async def test_unknown_ids_are_not_found(self, client: AsyncHoneyHive) -> None:
        with pytest.raises(NotFoundError):
            await client.metrics.update("nope", name="x")
        with pytest.raises(NotFoundError):
            await client.metrics.delete("nope")
        with pytest.raises(NotFoundError):
            await client.metrics.list_versions("nope")
        with pytest.raises(NotFoundError):
            await client.metrics.create_version("nope", message="m", content=PYTHON_METRIC)
        metric_id = (await client.metrics.create(**PYTHON_METRIC)).metric_id  # type: ignore[arg-type]
        with pytest.raises(NotFoundError) as info:
            await client.metrics.deploy_version(metric_id, "v9")
        assert info.value.error_code == "NOT_FOUND"

    async def test_a_value_out_of_the_specs_bounds_is_a_bad_request(
        self, client: AsyncHoneyHive
    ) -> None:
        with pytest.raises(BadRequestError, match="sampling_percentage"):
            await client.metrics.create(**PYTHON_METRIC, sampling_percentage=101)  # type: ignore[arg-type]
        with pytest.raises(BadRequestError, match="criteria"):
            await client.metrics.create(name="n", type="PYTHON", criteria="")
        assert await client.metrics.list() == []

    async def test_versions_are_numbered_and_one_is_deployed(self, client: AsyncHoneyHive) -> None:
        metric_id = (await client.metrics.create(**PYTHON_METRIC)).metric_id  # type: ignore[arg-type]
        assert await client.metrics.list_versions(metric_id) == []

        first = await client.metrics.create_version(metric_id, message="one", content=PYTHON_METRIC)
        second = await client.metrics.create_version(
            metric_id,
            message="two",
            content={**PYTHON_METRIC, "criteria": "def metric(event): return 2"},
            deploy_immediately=True,
        )
        assert (first.data.name, first.data.deployed) == ("v1", False)
        assert (second.data.name, second.data.deployed) == ("v2", True)
        assert first.data.full_sha != second.data.full_sha
        assert second.data.content.criteria == "def metric(event): return 2"
        assert second.data.date_ms is not None

        deployed = await client.metrics.deploy_version(metric_id, "v1")
        assert (deployed.data.name, deployed.data.deployed, deployed.data.message) == (
            "v1",
            True,
            "one",
        )
        versions = await client.metrics.list_versions(metric_id)
        assert [(v.name, v.deployed) for v in versions] == [("v1", True), ("v2", False)]

    async def test_an_llm_version_needs_its_model(self, client: AsyncHoneyHive) -> None:
        metric_id = (await client.metrics.create(**PYTHON_METRIC)).metric_id  # type: ignore[arg-type]
        with pytest.raises(BadRequestError, match="model_provider"):
            await client.metrics.create_version(
                metric_id, message="m", content={"name": "j", "type": "LLM", "criteria": "c"}
            )

    @pytest.mark.parametrize("metric_type", ["PYTHON", "LLM"])
    async def test_the_local_server_refuses_to_run_a_metric(
        self, client: AsyncHoneyHive, metric_type: str
    ) -> None:
        metric = {"name": "m", "type": metric_type, "criteria": "__import__('os').remove('x')"}
        with pytest.raises(MetricExecutionError, match="does not run") as info:
            await client.metrics.run(metric=metric, event={"outputs": {"content": "hi"}})
        assert info.value.status == 422
        assert info.value.error_code == "execution_error"

    async def test_run_takes_only_python_and_llm_metrics(self, client: AsyncHoneyHive) -> None:
        with pytest.raises(ValueError, match="metric"):
            await client.metrics.run(metric={**PYTHON_METRIC, "type": "HUMAN"}, event={})
