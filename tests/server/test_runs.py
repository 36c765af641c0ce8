"""The local server's run routes: shapes, paging, legacy paths, and 4xx (never 5xx) for bad input."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest

from honeyhive_async.models._decode import gc_paused
from honeyhive_async.server import LocalServer
from honeyhive_async.server.store.run_results import EventSelection, RunResults
from tests.server.helpers import call, create_event, start_session

RUN_OBJECT_FIELDS = {
    "id",
    "run_id",
    "name",
    "description",
    "status",
    "metadata",
    "results",
    "metrics",
    "event_ids",
    "configuration",
    "is_active",
    "created_at",
    "updated_at",
    "scope_type",
    "scope_id",
    "dataset_id",
    "dataset_name",
}


async def create_run(client: aiohttp.ClientSession, **fields: Any) -> dict[str, Any]:
    result: dict[str, Any] = await call(client, "POST", "/v1/runs", {"name": "r", **fields})
    return result


async def test_create_answers_the_spec_shape(client: aiohttp.ClientSession) -> None:
    created = await create_run(client, session_ids=["s1"], passing_ranges={"a": {"min": 1}})
    assert set(created) == {"evaluation", "run_id"}
    run = created["evaluation"]
    assert set(run) == RUN_OBJECT_FIELDS  # what the request adds (session ids, ...) stays inside
    assert run["run_id"] == run["id"] == created["run_id"]
    assert run["status"] == "pending"
    assert run["created_at"].endswith("Z")


async def test_list_answers_the_spec_pagination(client: aiohttp.ClientSession) -> None:
    for _ in range(5):
        await create_run(client)
    body = await call(client, "GET", "/v1/runs?limit=2&page=2")
    assert body["pagination"] == {
        "page": 2,
        "limit": 2,
        "total": 5,
        "total_unfiltered": 5,
        "total_pages": 3,
        "has_next": True,
        "has_prev": True,
    }
    assert len(body["evaluations"]) == 2
    assert body["metrics"] == []
    last = await call(client, "GET", "/v1/runs?limit=2&page=3")
    assert (len(last["evaluations"]), last["pagination"]["has_next"]) == (1, False)
    past = await call(client, "GET", f"/v1/runs?limit=2&page={2**70}")
    assert past["evaluations"] == []


async def test_run_ids_are_read_with_and_without_brackets(client: aiohttp.ClientSession) -> None:
    ids = [(await create_run(client))["run_id"] for _ in range(3)]
    body = await call(client, "GET", f"/v1/runs?run_ids[]={ids[0]}&run_ids={ids[1]}")
    assert {run["run_id"] for run in body["evaluations"]} == {ids[0], ids[1]}


async def test_legacy_paths_answer_as_their_replacements(client: aiohttp.ClientSession) -> None:
    old = (await create_run(client))["run_id"]
    new = (await create_run(client))["run_id"]
    for legacy, current in [
        (f"/v1/runs/{new}/result", f"/v1/runs/{new}/summary"),
        (f"/v1/runs/{new}/compare-with/{old}", f"/v1/runs/{new}/compare/{old}"),
        (
            f"/v1/runs/compare/events?run_id_1={new}&run_id_2={old}",
            f"/v1/runs/{new}/compare/{old}/events",
        ),
    ]:
        assert await call(client, "GET", legacy) == await call(client, "GET", current)
    await call(client, "GET", f"/v1/runs/compare/events?run_id_1={new}", status=400)


async def test_sessions_join_a_run_by_listing_or_by_metadata(
    server: LocalServer, client: aiohttp.ClientSession
) -> None:
    listed = (await start_session(client, session_name="listed"))["session_id"]
    run_id = (await create_run(client, event_ids=[listed]))["run_id"]
    tagged = (await start_session(client, session_name="tagged", metadata={"run_id": run_id}))[
        "session_id"
    ]
    await start_session(client, session_name="other", metadata={"run_id": "another"})
    run = server.store.runs.get(run_id)
    assert run is not None
    assert [s["event_id"] for s in server.store.runs.sessions(run)] == [listed, tagged]


async def test_a_run_id_elsewhere_in_a_session_or_needing_json_escapes(
    server: LocalServer, client: aiohttp.ClientSession
) -> None:
    # Sessions are found by the run id's JSON text in their body, then checked field by field.
    run_id = (await create_run(client, run_id='run "é" \\ 1'))["run_id"]
    assert run_id == 'run "é" \\ 1'
    tagged = (await start_session(client, session_name="t", metadata={"run_id": run_id}))[
        "session_id"
    ]
    await start_session(client, session_name="mentions", inputs={"run_id": run_id})
    await start_session(client, session_name="nested", metadata={"note": {"run_id": run_id}})
    run = server.store.runs.get(run_id)
    assert run is not None
    assert [s["event_id"] for s in server.store.runs.sessions(run)] == [tagged]


async def test_summary_passes_datapoints_by_passing_range(
    server: LocalServer, client: aiohttp.ClientSession
) -> None:
    run_id = (await create_run(client, passing_ranges={"score": {"min": 2, "max": 4}}))["run_id"]
    for datapoint, score in [("d1", 1), ("d2", 3), ("d3", 5)]:
        sid = (await start_session(client, metadata={"run_id": run_id, "datapoint_id": datapoint}))[
            "session_id"
        ]
        await create_event(client, session_id=sid, metrics={"score": score, "label": "text"})
    summary = await call(client, "GET", f"/v1/runs/{run_id}/summary?aggregate_function=median")
    assert (summary["passed"], summary["failed"]) == (["d2"], ["d1", "d3"])
    (detail,) = summary["metrics"]["details"]  # a text metric is no number: left out
    assert detail["aggregate"] == 3
    assert detail["passing_range"] == {"min": 2, "max": 4}
    assert detail["metric_type"] == "CLIENT_SIDE"
    assert [p["passed"] for p in summary["datapoints"]] == [False, True, False]
    assert all("error" not in p for p in summary["datapoints"])
    # Each datapoint's metrics as honeyhive 1.7.0's `DatapointMetric` reads them (`name`).
    assert summary["datapoints"][1]["metrics"][0] == {
        "name": "score",
        "event_name": "unknown",
        "event_type": "tool",
        "value": 3,
        "passed": True,
    }
    run = server.store.runs.get(run_id)
    assert run is not None
    counted = RunResults(server.store.runs).summary(run, "count", EventSelection())
    assert counted["metrics"]["details"][0]["aggregate"] == 3


async def test_summary_reads_every_session_in_one_query_as_event_by_event(
    server: LocalServer, client: aiohttp.ClientSession
) -> None:
    """The summary's one-query path (three fields decoded) answers what reading each event does."""
    run_id = (await create_run(client, passing_ranges={"score": {"min": 2}}))["run_id"]
    tagged = (await start_session(client, metadata={"run_id": run_id, "datapoint_id": "d1"}))[
        "session_id"
    ]
    listed = (await start_session(client, metadata={"datapoint_id": "d2"}))["session_id"]
    other = (await start_session(client, metadata={"run_id": "another"}))["session_id"]
    await call(client, "PUT", f"/v1/runs/{run_id}", {"event_ids": [listed]})
    # Out of start order within a session, and a text, a boolean and a nested metric.
    for session_id, start, name, metrics in [
        (tagged, 3_000, "judge", {"score": 3, "ok": True, "label": "text"}),
        (tagged, 1_000, "llm", {}),
        (tagged, 2_000, "first", {"score": 1, "nested": {"a": 1}}),
        (listed, 1_500, "judge", {"score": 5, "ok": False}),
        (other, 1_000, "judge", {"score": 100}),
    ]:
        await create_event(
            client, session_id=session_id, event_name=name, start_time=start, metrics=metrics
        )
    summary = await call(client, "GET", f"/v1/runs/{run_id}/summary")
    run = server.store.runs.get(run_id)
    assert run is not None
    results = RunResults(server.store.runs)
    assert EventSelection(filters=[]).keeps_all  # as the route builds it: the one-query path
    assert summary == results.summary(run, "average", EventSelection())
    # Any other selection reads the events one session at a time.
    assert summary == results.summary(run, "average", EventSelection(start_from=-1.0))
    assert (summary["passed"], summary["failed"]) == ([], ["d1", "d2"])
    assert [m["event_name"] for m in summary["datapoints"][0]["metrics"]] == [
        "first",
        "judge",
        "judge",
    ]
    scores = {
        d["metric_name"]: d["values"]
        for d in summary["metrics"]["details"]
        if d["event_name"] == "judge"
    }
    assert scores == {"ok": [1.0, 0.0], "score": [3.0, 5.0]}
    assert {"event_name": "llm", "event_type": "tool"} in summary["event_details"]


@pytest.fixture
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    (gc.enable if was else gc.disable)()


async def test_summary_is_built_with_the_collector_paused_and_restored(
    client: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch, collector_on: None
) -> None:
    seen: list[bool] = []
    built = RunResults.summary

    def summary(self: RunResults, *args: Any) -> dict[str, Any]:
        seen.append(gc.isenabled())
        return built(self, *args)

    monkeypatch.setattr(RunResults, "summary", summary)
    run_id = (await create_run(client))["run_id"]
    await call(client, "GET", f"/v1/runs/{run_id}/summary")
    assert seen == [False]
    assert gc.isenabled()


def test_the_pause_restores_the_collector_and_leaves_it_off_if_it_was(
    collector_on: None,
) -> None:
    inside: list[bool] = []

    def fails() -> None:
        with gc_paused():
            inside.append(gc.isenabled())
            raise KeyError("x")

    with pytest.raises(KeyError):
        fails()
    assert inside == [False]
    assert gc.isenabled()
    gc.disable()
    with gc_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


async def test_metrics_at_the_ends_of_the_float_range_give_numbers_not_nulls(
    client: aiohttp.ClientSession,
) -> None:
    """JSON has no infinity: an aggregate or difference past the float range would be `null`."""
    runs = {}
    for name, scores in (("new", [1.7e308, 1.7e308]), ("old", [-1.7e308, 1e308])):
        run_id = (await create_run(client))["run_id"]
        runs[name] = run_id
        for i, score in enumerate(scores):
            metadata = {"run_id": run_id, "datapoint_id": f"d{i}"}
            sid = (await start_session(client, metadata=metadata))["session_id"]
            await create_event(client, session_id=sid, metrics={"score": score})
    summary = await call(client, "GET", f"/v1/runs/{runs['old']}/summary?aggregate_function=median")
    (detail,) = summary["metrics"]["details"]
    assert detail["aggregate"] == pytest.approx((1e308 - 1.7e308) / 2)
    path = f"/v1/runs/{runs['new']}/compare/{runs['old']}?aggregate_function=min"
    (row,) = (await call(client, "GET", path))["metrics"]
    # new min 1.7e308 - old min -1.7e308 is past the float range: left out, not null
    assert row == {
        "metric_name": "score",
        "metric_type": "CLIENT_SIDE",
        "old_aggregate": -1.7e308,
        "new_aggregate": 1.7e308,
    }


async def test_a_value_nested_deeper_than_the_limit_is_400_and_not_stored(
    client: aiohttp.ClientSession,
) -> None:
    # Stored ~980 deep, a run made GET /v1/runs answer 500 (RecursionError) from then on.
    deep = b'{"metadata": ' + b'{"a": ' * 900 + b"1" + b"}" * 901
    run_id = (await create_run(client))["run_id"]
    for method, path in (("POST", "/v1/runs"), ("PUT", f"/v1/runs/{run_id}")):
        async with client.request(method, path, data=deep) as resp:
            assert resp.status == 400
            assert "metadata" in (await resp.json())["message"]
    listed = await call(client, "GET", "/v1/runs")
    assert [run["metadata"] for run in listed["evaluations"]] == [{}]


async def test_an_empty_run_summarizes_to_empty_lists(client: aiohttp.ClientSession) -> None:
    run_id = (await create_run(client))["run_id"]
    summary = await call(client, "GET", f"/v1/runs/{run_id}/summary")
    assert summary["metrics"] == {"aggregation_function": "average", "details": []}
    assert (summary["passed"], summary["failed"], summary["datapoints"]) == ([], [], [])
    metrics = await call(client, "GET", f"/v1/runs/{run_id}/metrics")
    assert metrics == {"events": [], "totalEvents": 0}


@pytest.mark.parametrize(
    ("method", "path", "body", "needle"),
    [
        ("POST", "/v1/runs", {"name": "x", "colour": "red"}, "colour"),
        ("POST", "/v1/runs", {"name": 5}, "name"),
        ("POST", "/v1/runs", {"event_ids": "s1"}, "event_ids"),
        ("POST", "/v1/runs", {"status": "done"}, "status"),
        ("POST", "/v1/runs", {"passing_ranges": {"a": {"min": "low"}}}, "passing_ranges"),
        ("POST", "/v1/runs", {"run_id": ""}, "run_id"),
        ("POST", "/v1/runs", {"run_id": "  "}, "run_id"),
        ("POST", "/v1/runs", {"datapoint_ids": ["d1", ""]}, "datapoint_ids"),
        ("PUT", "/v1/runs/any", {"datapoint_ids": [""]}, "datapoint_ids"),
        ("GET", "/v1/runs?limit=0", None, "limit"),
        ("GET", "/v1/runs?limit=101", None, "limit"),
        ("GET", "/v1/runs?limit=1_0", None, "limit"),
        ("GET", f"/v1/runs?limit={'9' * 5000}", None, "limit"),
        ("GET", "/v1/runs?page=0", None, "page"),
        ("GET", "/v1/runs?page=x", None, "page"),
        ("GET", "/v1/runs?status=done", None, "status"),
        ("GET", "/v1/runs?sort_by=colour", None, "sort_by"),
        ("GET", "/v1/runs?sort_order=up", None, "sort_order"),
        ("GET", "/v1/runs?dateRange=yesterday", None, "dateRange"),
        ("GET", '/v1/runs?dateRange={"$gte":"noon","$lte":1}', None, "dateRange"),
        ("GET", '/v1/runs?dateRange={"$gte":1e999}', None, "dateRange"),
        ("GET", '/v1/runs?dateRange={"$after":1}', None, "dateRange"),
        ("GET", "/v1/runs/schema?dateRange=" + "[" * 1000, None, "dateRange"),
    ],
)
async def test_bad_input_is_a_400_naming_the_field(
    client: aiohttp.ClientSession, method: str, path: str, body: Any, needle: str
) -> None:
    result = await call(client, method, path, body, status=400)
    assert needle in result["message"]
    assert result["errorCode"] == "VALIDATION_ERROR"


@pytest.mark.parametrize(
    ("suffix", "needle"),
    [
        ("/summary?aggregate_function=mode", "aggregate_function"),
        ("/summary?filters=[{}]", "filters"),
        ("/summary?filters=" + "[" * 1000, "filters"),
        ('/summary?filters={"field":"x","operator":"is","value":"a","type":"number"}', "filter"),
        ("/metrics?filters=nope", "filters"),
        ("/metrics?dateRange=soon", "dateRange"),
        ("/schema?dateRange=soon", "dateRange"),
        ("/compare/{id}?aggregate_function=mode", "aggregate_function"),
        ("/compare/{id}/events?limit=1001", "limit"),
        ("/compare/{id}/events?page=0", "page"),
        ("/compare/{id}/events?filter=[", "filter"),
    ],
)
async def test_bad_queries_on_a_run_are_400s(
    client: aiohttp.ClientSession, suffix: str, needle: str
) -> None:
    run_id = (await create_run(client))["run_id"]
    result = await call(
        client, "GET", f"/v1/runs/{run_id}" + suffix.replace("{id}", run_id), status=400
    )
    assert needle in result["message"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/runs/nope"),
        ("PUT", "/v1/runs/nope"),
        ("DELETE", "/v1/runs/nope"),
        ("GET", "/v1/runs/nope/summary"),
        ("GET", "/v1/runs/nope/result"),
        ("GET", "/v1/runs/nope/metrics"),
        ("GET", "/v1/runs/nope/schema"),
        ("GET", "/v1/runs/nope/compare/nada"),
        ("GET", "/v1/runs/nope/compare-with/nada"),
        ("GET", "/v1/runs/nope/compare/nada/events"),
        ("GET", "/v1/runs/compare/events?run_id_1=nope&run_id_2=nada"),
    ],
)
async def test_unknown_runs_are_404s(client: aiohttp.ClientSession, method: str, path: str) -> None:
    body: dict[str, Any] | None = {} if method == "PUT" else None
    result = await call(client, method, path, body, status=404)
    assert result["errorCode"] == "NOT_FOUND"


@pytest.mark.parametrize(
    "body",
    [b"{not json", b'{"name":"x","metadata":{"a":' + b"[" * 100_000 + b"]" * 100_000 + b"}}"],
    ids=["not-json", "nested-too-deep"],
)
async def test_a_body_that_is_not_json_is_a_400(client: aiohttp.ClientSession, body: bytes) -> None:
    run_id = (await create_run(client))["run_id"]
    for method, path in [("POST", "/v1/runs"), ("PUT", f"/v1/runs/{run_id}")]:
        async with client.request(method, path, data=body) as resp:
            assert resp.status == 400
            assert (await resp.json())["errorCode"] == "INVALID_JSON"
