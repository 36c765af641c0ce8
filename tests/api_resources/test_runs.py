"""`client.runs`: request shapes (aioresponses) and round trips through the local server."""

from __future__ import annotations

import asyncio
import re
import uuid
from typing import Any
from urllib.parse import parse_qs

import msgspec
import pytest
from aioresponses import aioresponses

from honeyhive_async import (
    APIStatusError,
    AsyncHoneyHive,
    BadRequestError,
    NotFoundError,
    UnprocessableEntityError,
)
from honeyhive_async._pagination import PageIterator
from honeyhive_async.models import EventFilter, ExperimentRun, RunsPage
from honeyhive_async.server import LocalServer
from tests.api_resources.helpers import at, mock_sent
from tests.conftest import MOCK_URL

RUN_ID = "9a1c3b4e-0d6f-4f43-9d0a-8b8f6f1d2e3c"
OLD_ID = "5b2d1f0e-7c1a-4e2b-8f3d-1a2b3c4d5e6f"

RUN_OBJECT: dict[str, Any] = {
    "id": RUN_ID,
    "run_id": RUN_ID,
    "name": "nightly",
    "description": None,
    "status": "completed",
    "metadata": {"git": "abc"},
    "results": {},
    "metrics": {"accuracy": 0.9},
    "event_ids": ["s1"],
    "configuration": {"model": "m"},
    "is_active": True,
    "created_at": "2024-04-01 22:38:19",
    "updated_at": "2024-04-01T22:40:00.000Z",
    "scope_type": "project",
    "scope_id": "p1",
    "dataset_id": None,
    "dataset_name": None,
}


def _pagination(page: int, limit: int, total: int) -> dict[str, Any]:
    return {
        "page": page,
        "limit": limit,
        "total": total,
        "total_unfiltered": total,
        "total_pages": -(-total // limit),
        "has_next": page * limit < total,
        "has_prev": page > 1,
    }


def sent_queries(mock_api: aioresponses, method: str, path: str) -> list[list[tuple[str, str]]]:
    """The decoded query parameters of each intercepted request to `path`, sorted by key.

    aioresponses re-encodes and sorts the query, so the exact encoding is `_qs`'s tests' job.
    """
    return [
        sorted(url.query.items())
        for (verb, url), calls in mock_api.requests.items()
        if verb == method and url.path == path
        for _ in calls
    ]


def url_re(path: str) -> re.Pattern[str]:
    return re.compile(re.escape(MOCK_URL + path) + r"(\?.*)?$")


class TestRunsRequestShape:
    """What goes on the wire and how the spec's shapes decode, against aioresponses."""

    async def test_create_sends_the_body_and_generates_a_run_id(
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive
    ) -> None:
        mock_api.post(f"{MOCK_URL}/v1/runs", payload={"evaluation": RUN_OBJECT, "run_id": RUN_ID})
        created = await mock_client.runs.create(
            name="nightly",
            event_ids=["s1"],
            dataset_id="ds1",
            passing_ranges={"accuracy": {"min": 0.5}},
        )
        body = mock_sent(mock_api, "POST", "/v1/runs")
        assert isinstance(body, dict)
        assert set(body) == {"run_id", "name", "event_ids", "dataset_id", "passing_ranges"}
        assert uuid.UUID(body["run_id"]).version == 4
        assert body["passing_ranges"] == {"accuracy": {"min": 0.5}}
        assert created.run_id == RUN_ID
        run = created.evaluation
        assert run.metrics == {"accuracy": 0.9}
        assert run.created_at_ms == 1_712_011_099_000.0
        assert run.updated_at_ms == 1_712_011_200_000.0

    async def test_list_encodes_every_query_parameter(
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive
    ) -> None:
        mock_api.get(
            url_re("/v1/runs"),
            payload={
                "evaluations": [RUN_OBJECT],
                "pagination": _pagination(2, 10, 11),
                "metrics": ["accuracy"],
            },
        )
        page = await mock_client.runs.list(
            dataset_id="ds1",
            page=2,
            limit=10,
            run_ids=["a", "b"],
            name="nightly run",
            status="completed",
            date_range=(1_700_000_000_000, "2030-01-01T00:00:00Z"),
            sort_by="name",
            sort_order="asc",
        )
        assert sent_queries(mock_api, "GET", "/v1/runs") == [
            [
                ("dataset_id", "ds1"),
                ("dateRange", '{"$gte":1700000000000,"$lte":"2030-01-01T00:00:00Z"}'),
                ("limit", "10"),
                ("name", "nightly run"),
                ("page", "2"),
                ("run_ids[]", "a"),
                ("run_ids[]", "b"),
                ("sort_by", "name"),
                ("sort_order", "asc"),
                ("status", "completed"),
            ]
        ]
        assert isinstance(page, RunsPage)
        assert page.pagination.total == 11
        assert page.pagination.has_prev is True
        assert page.metrics == ["accuracy"]
        assert page.evaluations[0].run_id == RUN_ID

    @pytest.mark.parametrize(
        ("page", "limit", "message"),
        [
            (None, 101, "limit must be between 1 and 100"),
            (None, 0, "limit must be between 1 and 100"),
            (0, None, "page must be between 1"),
        ],
    )
    async def test_list_limits_fail_before_any_io(
        self,
        mock_api: aioresponses,
        mock_client: AsyncHoneyHive,
        page: int | None,
        limit: int | None,
        message: str,
    ) -> None:
        with pytest.raises(ValueError, match=message):
            await mock_client.runs.list(page=page, limit=limit)
        assert mock_api.requests == {}

    async def test_an_empty_run_ids_list_matches_no_run_without_a_request(
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive
    ) -> None:
        # No `run_ids[]` key on the wire would mean "every run".
        page = await mock_client.runs.list(run_ids=[], page=2, limit=5)
        assert page.evaluations == []
        assert (page.pagination.page, page.pagination.limit, page.pagination.total) == (2, 5, 0)
        assert page.pagination.has_next is False
        assert [run async for run in mock_client.runs.iter(run_ids=())] == []
        assert mock_api.requests == {}

    @pytest.mark.parametrize("bad", ["", "   "])
    async def test_empty_ids_fail_before_any_io(
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive, bad: str
    ) -> None:
        runs = mock_client.runs
        calls = [
            (runs.get(bad), "run_id"),
            (runs.update(bad, name="x"), "run_id"),
            (runs.delete(bad), "run_id"),
            (runs.summary(bad), "run_id"),
            (runs.compare(bad, OLD_ID), "new_run_id"),
            (runs.compare_events(RUN_ID, bad), "old_run_id"),
            (runs.schema(bad), "run_id"),
            (runs.metrics(bad), "run_id"),
            (runs.create(name="x", run_id=bad), "run_id"),
        ]
        for call, name in calls:
            with pytest.raises(ValueError, match=f"{name} must be a non-empty string"):
                await call
        assert mock_api.requests == {}

    async def test_get_update_delete(
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive
    ) -> None:
        path = f"{MOCK_URL}/v1/runs/{RUN_ID}"
        mock_api.get(path, payload={"evaluation": RUN_OBJECT})
        mock_api.put(path, payload={"evaluation": RUN_OBJECT, "warning": "late"})
        mock_api.delete(path, payload={"id": RUN_ID, "deleted": True})
        assert (await mock_client.runs.get(RUN_ID)).evaluation.name == "nightly"
        updated = await mock_client.runs.update(RUN_ID, status="completed", metadata={"a": 1})
        assert mock_sent(mock_api, "PUT", f"/v1/runs/{RUN_ID}") == {
            "status": "completed",
            "metadata": {"a": 1},
        }
        assert updated.warning == "late"
        deleted = await mock_client.runs.delete(RUN_ID)
        assert (deleted.id, deleted.deleted) == (RUN_ID, True)

    async def test_summary_sends_the_function_and_filters_and_decodes_the_spec_shape(
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive
    ) -> None:
        mock_api.get(
            url_re(f"/v1/runs/{RUN_ID}/summary"),
            payload={
                "status": "completed",
                "success": True,
                "passed": ["d1"],
                "failed": ["d2"],
                "metrics": {
                    "aggregation_function": "p95",
                    "details": [
                        {
                            "metric_name": "accuracy",
                            "metric_type": "PYTHON",
                            "event_name": "answer",
                            "event_type": "model",
                            "aggregate": 0.5,
                            "values": [1, 0],
                            "passing_range": {"min": 0.5, "max": 1},
                            "datapoints": {"passed": ["d1"], "failed": ["d2"]},
                        }
                    ],
                },
                "datapoints": [
                    {"datapoint_id": None, "session_id": "s1", "passed": True, "metrics": []}
                ],
                "event_details": [{"event_name": "answer", "event_type": "model"}],
                "run_object": RUN_OBJECT,
            },
        )
        summary = await mock_client.runs.summary(
            RUN_ID,
            aggregate_function="p95",
            filters=[EventFilter(field="event_type", operator="is", value="model")],
        )
        assert sent_queries(mock_api, "GET", f"/v1/runs/{RUN_ID}/summary") == [
            [
                ("aggregate_function", "p95"),
                ("filters", '[{"field":"event_type","operator":"is","value":"model"}]'),
            ]
        ]
        detail = summary.metrics.details[0]
        assert (detail.aggregate, detail.values) == (0.5, [1.0, 0.0])
        assert detail.passing_range is not None
        assert detail.passing_range.min == 0.5
        assert detail.datapoints is not None
        assert detail.datapoints.failed == ["d2"]
        assert summary.datapoints[0].datapoint_id is None
        assert summary.run_object.run_id == RUN_ID

    @pytest.mark.parametrize(
        ("status", "error"),
        [(400, BadRequestError), (404, NotFoundError), (422, UnprocessableEntityError)],
    )
    async def test_error_statuses_raise_typed_errors(
        self,
        mock_api: aioresponses,
        mock_client: AsyncHoneyHive,
        status: int,
        error: type[APIStatusError],
    ) -> None:
        mock_api.get(
            url_re(f"/v1/runs/{RUN_ID}/summary"),
            status=status,
            payload={"message": "no", "errorCode": "VALIDATION_ERROR"},
        )
        with pytest.raises(error) as caught:
            await mock_client.runs.summary(RUN_ID)
        assert caught.value.status == status
        assert caught.value.error_code == "VALIDATION_ERROR"

    async def test_an_unknown_aggregate_function_fails_before_any_io(
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive
    ) -> None:
        with pytest.raises(ValueError, match="aggregate_function must be one of"):
            await mock_client.runs.summary(RUN_ID, aggregate_function="mode")  # type: ignore[arg-type]
        assert mock_api.requests == {}

    async def test_compare_and_compare_events(
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive
    ) -> None:
        base = f"/v1/runs/{RUN_ID}/compare/{OLD_ID}"
        mock_api.get(
            url_re(base),
            payload={
                "metrics": [
                    {
                        "metric_name": "accuracy",
                        "old_aggregate": 0.5,
                        "new_aggregate": 0.75,
                        "difference": 0.25,
                        "percentage_change": 50,
                    }
                ],
                "commonDatapoints": ["d1"],
                "event_details": [{"event_name": "a", "event_type": "model", "presence": "both"}],
                "old_run": RUN_OBJECT,
                "new_run": RUN_OBJECT,
            },
        )
        mock_api.get(
            url_re(base + "/events"),
            payload={
                "events": [{"datapoint_id": "d1", "event_1": {"x": 1}, "event_2": {"x": 2}}],
                "totalEvents": 1,
            },
        )
        comparison = await mock_client.runs.compare(RUN_ID, OLD_ID, aggregate_function="max")
        assert comparison.commonDatapoints == ["d1"]
        assert comparison.metrics[0].percentage_change == 50.0
        assert comparison.event_details[0].presence == "both"
        events = await mock_client.runs.compare_events(
            RUN_ID,
            OLD_ID,
            event_name="a",
            event_type="model",
            filter={"field": "metadata.x", "operator": "exists", "value": None},
            limit=5,
            page=2,
        )
        assert sent_queries(mock_api, "GET", base) == [[("aggregate_function", "max")]]
        assert sent_queries(mock_api, "GET", base + "/events") == [
            [
                ("event_name", "a"),
                ("event_type", "model"),
                ("filter", '{"field":"metadata.x","operator":"exists","value":null}'),
                ("limit", "5"),
                ("page", "2"),
            ]
        ]
        assert events.totalEvents == 1
        assert events.events[0].event_2 == {"x": 2}

    async def test_schema_and_metrics(
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive
    ) -> None:
        schema = {
            "fields": [{"name": "inputs.q", "event_type": "model"}],
            "datasets": ["ds1"],
            "mappings": {"answer": [{"field_name": "inputs.q", "event_type": "model"}]},
        }
        mock_api.get(url_re("/v1/runs/schema"), payload=schema)
        mock_api.get(url_re(f"/v1/runs/{RUN_ID}/schema"), payload=schema)
        mock_api.get(
            url_re(f"/v1/runs/{RUN_ID}/metrics"),
            payload={
                "events": [
                    {
                        "event_name": "answer",
                        "event_type": "model",
                        "session_id": "s1",
                        "metadata": {"datapoint_id": "d1"},
                        "metrics": {"accuracy": 1, "ok": True},
                    }
                ],
                "totalEvents": 1,
            },
        )
        project = await mock_client.runs.schema()
        one = await mock_client.runs.schema(RUN_ID, date_range="7d")
        metrics = await mock_client.runs.metrics(RUN_ID, date_range={"$gte": 1, "$lte": 2})
        assert project == one
        assert project.mappings["answer"][0].field_name == "inputs.q"
        assert sent_queries(mock_api, "GET", f"/v1/runs/{RUN_ID}/schema") == [[("dateRange", "7d")]]
        assert sent_queries(mock_api, "GET", f"/v1/runs/{RUN_ID}/metrics") == [
            [("dateRange", '{"$gte":1,"$lte":2}')]
        ]
        assert metrics.events[0].metrics == {"accuracy": 1, "ok": True}
        assert metrics.events[0].metadata.datapoint_id == "d1"

    async def test_iter_pages_until_the_pagination_says_the_end(
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive
    ) -> None:
        for page in (1, 2):
            mock_api.get(
                url_re("/v1/runs"),
                payload={
                    "evaluations": [
                        {**RUN_OBJECT, "id": f"r{page}-{i}", "run_id": f"r{page}-{i}"}
                        for i in range(2 if page == 1 else 1)
                    ],
                    "pagination": _pagination(page, 2, 3),
                    "metrics": [],
                },
            )
        runs = [run.run_id async for run in mock_client.runs.iter(page_size=2, status="running")]
        assert runs == ["r1-0", "r1-1", "r2-0"]
        assert sent_queries(mock_api, "GET", "/v1/runs") == [
            [("limit", "2"), ("page", str(page)), ("status", "running")] for page in (1, 2)
        ]


async def _runs(client: AsyncHoneyHive, count: int, dataset_id: str) -> list[str]:
    ids = []
    for i in range(count):
        created = await client.runs.create(name=f"run-{i}", dataset_id=dataset_id)
        ids.append(created.run_id)
    return ids


class TestRunsRoundTrip:
    """Every method end to end against the local server."""

    async def test_create_get_update_delete(self, client: AsyncHoneyHive) -> None:
        created = await client.runs.create(
            name="nightly", metadata={"git": "abc"}, configuration={"model": "m"}
        )
        run_id = created.run_id
        assert uuid.UUID(run_id).version == 4
        run = created.evaluation
        assert (run.id, run.run_id, run.name, run.status) == (run_id, run_id, "nightly", "pending")
        assert run.created_at_ms is not None

        fetched = (await client.runs.get(run_id)).evaluation
        assert fetched == run

        updated = await client.runs.update(run_id, status="completed", results={"score": 1})
        assert updated.evaluation.status == "completed"
        assert updated.evaluation.results == {"score": 1}
        assert updated.evaluation.metadata == {"git": "abc"}
        assert (await client.runs.get(run_id)).evaluation.status == "completed"

        deleted = await client.runs.delete(run_id)
        assert (deleted.id, deleted.deleted) == (run_id, True)
        with pytest.raises(NotFoundError):
            await client.runs.get(run_id)

    async def test_a_repeated_create_returns_the_stored_run(self, client: AsyncHoneyHive) -> None:
        first = await client.runs.create(name="once", run_id=RUN_ID)
        again = await client.runs.create(name="twice", run_id=RUN_ID)
        assert again.evaluation == first.evaluation

    @pytest.mark.parametrize("method", ["get", "update", "delete", "summary", "metrics", "schema"])
    async def test_unknown_runs_are_not_found(self, client: AsyncHoneyHive, method: str) -> None:
        call = getattr(client.runs, method)
        with pytest.raises(NotFoundError) as caught:
            await call(str(uuid.uuid4()))
        assert caught.value.error_code == "NOT_FOUND"

    async def test_a_bad_body_is_a_bad_request(self, client: AsyncHoneyHive) -> None:
        with pytest.raises(BadRequestError, match="status"):
            await client.runs.create(name="x", status="done")  # type: ignore[arg-type]

    @pytest.mark.parametrize(("count", "pages"), [(0, 1), (3, 1), (5, 2), (7, 3)])
    async def test_list_and_iter_page_edges(
        self, server: LocalServer, client: AsyncHoneyHive, count: int, pages: int
    ) -> None:
        dataset = f"ds-{count}"
        ids = await _runs(client, count, dataset)
        await _runs(client, 2, "other")

        first = await client.runs.list(dataset_id=dataset, limit=3, sort_order="asc")
        assert first.pagination.total == count
        assert first.pagination.total_unfiltered == count + 2
        assert first.pagination.has_next is (count > 3)
        assert [run.run_id for run in first.evaluations] == ids[:3]

        server.requests.clear()
        seen = [r.run_id async for r in client.runs.iter(dataset_id=dataset, page_size=3)]
        assert sorted(seen) == sorted(ids)
        assert len([r for r in server.requests if r.path == "/v1/runs"]) == pages

    async def test_list_filters_and_sorts(self, client: AsyncHoneyHive) -> None:
        ids = await _runs(client, 3, "ds")
        await client.runs.update(ids[1], status="completed")
        completed = await client.runs.list(status="completed")
        assert [run.run_id for run in completed.evaluations] == [ids[1]]
        chosen = await client.runs.list(run_ids=[ids[0], ids[2]], sort_by="name", sort_order="desc")
        assert [run.run_id for run in chosen.evaluations] == [ids[2], ids[0]]
        named = await client.runs.list(name="run-1")
        assert [run.run_id for run in named.evaluations] == [ids[1]]
        assert (await client.runs.list(run_ids=[])).evaluations == []
        none = await client.runs.list(date_range=("2000-01-01T00:00:00Z", "2000-01-02T00:00:00Z"))
        assert none.evaluations == []

    async def test_iter_takes_more_run_ids_than_one_request_carries(
        self, server: LocalServer, client: AsyncHoneyHive
    ) -> None:
        ids = await _runs(client, 130, "ds")
        unknown = [str(uuid.uuid4()) for _ in range(100)]
        # The first 100 ids match no run: that empty chunk must not end the iteration.
        wanted = unknown + ids[:120]
        server.requests.clear()

        seen = [run.run_id async for run in client.runs.iter(run_ids=wanted, page_size=50)]

        assert sorted(seen) == sorted(ids[:120])
        sent = [r for r in server.requests if r.path == "/v1/runs"]
        per_request = [parse_qs(r.query).get("run_ids[]", []) for r in sent]
        assert all(1 <= len(chunk) <= 100 for chunk in per_request)
        assert sorted(set().union(*per_request)) == sorted(wanted)

    async def test_list_refuses_more_run_ids_than_one_request_carries(
        self, server: LocalServer, client: AsyncHoneyHive
    ) -> None:
        server.requests.clear()
        with pytest.raises(ValueError, match=r"at most 100 in one request, got 101; iter\("):
            await client.runs.list(run_ids=[str(i) for i in range(101)])
        assert not server.requests

    async def test_iter_yields_each_run_once_when_one_is_created_meanwhile(
        self, client: AsyncHoneyHive
    ) -> None:
        ids = await _runs(client, 4, "ds")
        seen = []
        async for run in client.runs.iter(page_size=2):  # newest first
            seen.append(run.run_id)
            if len(seen) == 1:
                await client.runs.create(name="late")  # shifts the later pages by one
        assert len(seen) == len(set(seen))
        assert set(ids) <= set(seen)

    async def test_iter_stops_its_fetch_ahead_when_left(self, client: AsyncHoneyHive) -> None:
        await _runs(client, 4, "ds")
        before = asyncio.all_tasks()
        async with client.runs.iter(page_size=2) as runs:
            async for run in runs:
                assert isinstance(run, ExperimentRun)
                break
        assert asyncio.all_tasks() - before == set()


async def _session(client: AsyncHoneyHive, run_id: str, datapoint: str, **metrics: Any) -> str:
    """A session of `run_id` on `datapoint` with one model event carrying `metrics`."""
    session = await client.session.start(
        session_name="eval",
        metadata={"run_id": run_id, "datapoint_id": datapoint},
        start_time=at(0),
    )
    await client.events.create(
        event_type="model",
        event_name="answer",
        inputs={"q": datapoint},
        session_id=session.event_id,
        parent_id=session.event_id,
        metrics=metrics,
        start_time=at(1),
    )
    return session.event_id


class TestRunResultsRoundTrip:
    """Summary, compare, compare events, metrics and schema over sessions on the local server."""

    async def test_summary_aggregates_the_metrics_of_the_runs_events(
        self, client: AsyncHoneyHive
    ) -> None:
        run_id = (
            await client.runs.create(name="new", passing_ranges={"accuracy": {"min": 0.5}})
        ).run_id
        await _session(client, run_id, "d1", accuracy=1.0, ok=True)
        await _session(client, run_id, "d2", accuracy=0.2, ok=False)
        await _session(client, run_id, "d3", accuracy=0.6, ok=True)

        summary = await client.runs.summary(run_id)
        assert summary.success is True
        assert summary.run_object.run_id == run_id
        assert (summary.passed, summary.failed) == (["d1", "d3"], ["d2"])
        details = {d.metric_name: d for d in summary.metrics.details}
        assert summary.metrics.aggregation_function == "average"
        accuracy = details["accuracy"]
        assert accuracy.aggregate == pytest.approx(0.6)
        assert accuracy.values == [1.0, 0.2, 0.6]
        assert (accuracy.event_name, accuracy.event_type) == ("answer", "model")
        assert accuracy.datapoints is not None
        assert (accuracy.datapoints.passed, accuracy.datapoints.failed) == (["d1", "d3"], ["d2"])
        assert details["ok"].aggregate == pytest.approx(2 / 3)
        assert {(e.event_name, e.event_type) for e in summary.event_details} == {
            ("eval", "session"),
            ("answer", "model"),
        }

        top = await client.runs.summary(run_id, aggregate_function="max")
        assert {d.metric_name: d.aggregate for d in top.metrics.details}["accuracy"] == 1.0
        only = await client.runs.summary(
            run_id, filters=[{"field": "inputs.q", "operator": "is", "value": "d2"}]
        )
        assert {d.metric_name: d.values for d in only.metrics.details}["accuracy"] == [0.2]

    async def test_compare_matches_the_common_datapoints(
        self, server: LocalServer, client: AsyncHoneyHive
    ) -> None:
        old = (await client.runs.create(name="old")).run_id
        new = (await client.runs.create(name="new")).run_id
        await _session(client, old, "d1", accuracy=0.5)
        await _session(client, old, "d2", accuracy=0.5)
        await _session(client, new, "d2", accuracy=0.75)
        await _session(client, new, "d3", accuracy=0.0)

        comparison = await client.runs.compare(new, old)
        assert comparison.commonDatapoints == ["d2"]
        (metric,) = comparison.metrics
        assert (metric.old_aggregate, metric.new_aggregate) == (0.5, 0.75)
        assert metric.difference == pytest.approx(0.25)
        assert metric.percentage_change == pytest.approx(50.0)
        assert (comparison.new_run.run_id, comparison.old_run.run_id) == (new, old)
        assert {d.presence for d in comparison.event_details} == {"both"}

        paired = await client.runs.compare_events(new, old, event_type="model")
        assert paired.totalEvents == 1
        (pair,) = paired.events
        assert pair.datapoint_id == "d2"
        assert pair.event_1["metrics"] == {"accuracy": 0.75}
        assert pair.event_2["metrics"] == {"accuracy": 0.5}
        everything = await client.runs.compare_events(new, old)
        assert everything.totalEvents == 2  # the session events pair up too
        second = await client.runs.compare_events(new, old, page=2, limit=1)
        assert [p.event_1["event_type"] for p in second.events] == ["model"]
        assert (await client.runs.compare_events(new, old, page=3, limit=1)).events == []

        server.requests.clear()
        pairs = client.runs.iter_compare_events(new, old, page_size=1)
        assert isinstance(pairs, PageIterator)  # the next page is fetched while one is read
        walked = [pair.event_1["event_type"] async for pair in pairs]
        assert sorted(walked) == ["model", "session"]
        asked = [parse_qs(r.query)["page"] for r in server.requests if r.path.endswith("/events")]
        assert asked == [["1"], ["2"]]  # stops exactly at `totalEvents`, no empty third page

    async def test_metrics_and_schema(self, client: AsyncHoneyHive) -> None:
        run_id = (await client.runs.create(name="m", dataset_id="ds1")).run_id
        session_id = await _session(client, run_id, "d1", accuracy=1, ok=True)

        metrics = await client.runs.metrics(run_id)
        assert metrics.totalEvents == 1
        (row,) = metrics.events
        assert (row.event_name, row.session_id, row.metadata.datapoint_id) == (
            "answer",
            session_id,
            "d1",
        )
        assert row.metrics == {"accuracy": 1, "ok": True}

        schema = await client.runs.schema(run_id)
        names = {(f.name, f.event_type) for f in schema.fields}
        assert {("inputs.q", "model"), ("metrics.accuracy", "model")} <= names
        assert ("metadata.run_id", "session") in names
        assert schema.datasets == ["ds1"]
        assert {m.field_name for m in schema.mappings["answer"]} >= {"inputs.q"}
        assert (await client.runs.schema()).fields == schema.fields

    async def test_bad_query_values_are_bad_requests(self, client: AsyncHoneyHive) -> None:
        run_id = (await client.runs.create(name="q")).run_id
        with pytest.raises(BadRequestError, match="filter"):
            await client.runs.summary(
                run_id,
                filters=[{"field": "metrics.x", "operator": "is", "value": "x", "type": "number"}],
            )
        with pytest.raises(BadRequestError, match="dateRange"):
            await client.runs.schema(run_id, date_range="last week")


def test_the_spec_example_shape_round_trips_through_the_model() -> None:
    run = msgspec.json.decode(msgspec.json.encode(RUN_OBJECT), type=ExperimentRun)
    assert run.status == "completed"
    assert run.dataset_id is None
