"""The bodies the client sends conform to HoneyHive's OpenAPI spec, and its decoders read the spec's examples.

The spec is `shared/honeyhive-openapi.yaml`, next to the repository. The client's bodies are
captured by the local server from real calls, then validated against the request schema of
their route with `$ref`s resolved inside the spec document.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import pytest
import yaml
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from honeyhive_async import AsyncHoneyHive, EventFilter, ExportFilter, MetricExecutionError
from honeyhive_async.models import (
    AddDatapointsResponse,
    AddDatapointsToDatasetRequest,
    BatchCreateDatapointsRequest,
    BatchCreateDatapointsResponse,
    BatchDateRange,
    CreateDatapointRequest,
    CreateDatapointResponse,
    CreateDatasetRequest,
    CreateDatasetResponse,
    CreateEventBatchRequest,
    CreateEventBatchResponse,
    CreateEventRequest,
    CreateEventResponse,
    CreateRunRequest,
    CreateRunResponse,
    DatapointMapping,
    DateRange,
    Event,
    EventsPage,
    ExportDateRange,
    ExportEventsRequest,
    LegacyUpdateDatasetRequest,
    PassingRange,
    SearchEventsRequest,
    SessionEventBatchRequest,
    SessionProperties,
    SessionTracesResponse,
    StartSessionRequest,
    UpdateDatapointRequest,
    UpdateDatapointResponse,
    UpdateDatasetRequest,
    UpdateDatasetResponse,
    UpdateEventRequest,
    UpdateRunRequest,
    UpdateRunResponse,
)
from honeyhive_async.models.charts import (
    ChartResponse,
    CreateChartRequest,
    QueryFilter,
    UpdateChartRequest,
)
from honeyhive_async.models.configurations import (
    CreateConfigurationRequest,
    CreateConfigurationResponse,
    UpdateConfigurationRequest,
    UpdateConfigurationResponse,
)
from honeyhive_async.models.metrics import (
    ChildMetric,
    CreateMetricRequest,
    CreateMetricResponse,
    CreateMetricVersionRequest,
    MetricCategory,
    MetricFilters,
    MetricThreshold,
    MetricVersionResponse,
    RunMetricDefinition,
    RunMetricRequest,
    RunMetricResponse,
    UpdateMetricRequest,
    UpdateMetricResponse,
)
from honeyhive_async.models.queues import (
    CreateQueueRequest,
    QueueFilters,
    QueueResponse,
    UpdateQueueRequest,
)
from honeyhive_async.server import LocalServer, RecordedRequest

SPEC_PATH = Path(__file__).resolve().parents[2] / "shared" / "honeyhive-openapi.yaml"
SPEC_URI = "urn:honeyhive:openapi"
DEFINITIONS = "#/components/schemas/"


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    schema: str
    """The request body schema under `components/schemas`."""
    request: type[msgspec.Struct]
    response: type[Any]
    """What the client decodes the 2xx body into."""

    @property
    def pattern(self) -> re.Pattern[str]:
        return re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", self.template) + "$")

    @property
    def id(self) -> str:
        return f"{self.method} {self.template}"


ROUTES = [
    Route("POST", "/v1/sessions", "StartSessionRequest", StartSessionRequest, Event),
    Route(
        "POST",
        "/v1/sessions/{session_id}/events/batch",
        "SessionEventBatchRequest",
        SessionEventBatchRequest,
        SessionTracesResponse,
    ),
    Route("POST", "/v1/events", "PostEventRequest", CreateEventRequest, CreateEventResponse),
    Route("PUT", "/v1/events/{event_id}", "UpdateEventRequest", UpdateEventRequest, object),
    Route(
        "POST",
        "/v1/events/batch",
        "PostEventBatchRequest",
        CreateEventBatchRequest,
        CreateEventBatchResponse,
    ),
    Route("POST", "/v1/events/search", "SearchEventsRequest", SearchEventsRequest, EventsPage),
    Route(
        "POST", "/v1/events/export", "LegacyExportEventsRequest", ExportEventsRequest, EventsPage
    ),
    Route(
        "POST",
        "/v1/datapoints",
        "CreateDatapointRequest",
        CreateDatapointRequest,
        CreateDatapointResponse,
    ),
    Route(
        "PUT",
        "/v1/datapoints/{datapoint_id}",
        "UpdateDatapointRequest",
        UpdateDatapointRequest,
        UpdateDatapointResponse,
    ),
    Route(
        "POST",
        "/v1/datapoints/batch",
        "BatchCreateDatapointsRequest",
        BatchCreateDatapointsRequest,
        BatchCreateDatapointsResponse,
    ),
    Route(
        "POST", "/v1/datasets", "CreateDatasetRequest", CreateDatasetRequest, CreateDatasetResponse
    ),
    Route(
        "PUT",
        "/v1/datasets/{dataset_id}",
        "UpdateDatasetRequest",
        UpdateDatasetRequest,
        UpdateDatasetResponse,
    ),
    Route(
        "POST",
        "/v1/datasets/{dataset_id}/datapoints",
        "AddDatapointsToDatasetRequest",
        AddDatapointsToDatasetRequest,
        AddDatapointsResponse,
    ),
    Route("POST", "/v1/runs", "PostExperimentRunRequest", CreateRunRequest, CreateRunResponse),
    Route(
        "PUT", "/v1/runs/{run_id}", "PutExperimentRunRequest", UpdateRunRequest, UpdateRunResponse
    ),
    Route("POST", "/v1/metrics", "CreateMetricRequest", CreateMetricRequest, CreateMetricResponse),
    Route(
        "PUT",
        "/v1/metrics/{metric_id}",
        "UpdateMetricRequest",
        UpdateMetricRequest,
        UpdateMetricResponse,
    ),
    Route(
        "POST",
        "/v1/metrics/{metric_id}/versions",
        "CreateMetricVersionRequest",
        CreateMetricVersionRequest,
        MetricVersionResponse,
    ),
    Route("POST", "/v1/metrics/run", "RunMetricRequest", RunMetricRequest, RunMetricResponse),
    Route(
        "POST",
        "/v1/configurations",
        "CreateConfigurationRequest",
        CreateConfigurationRequest,
        CreateConfigurationResponse,
    ),
    Route(
        "PUT",
        "/v1/configurations/{configId}",
        "UpdateConfigurationRequest",
        UpdateConfigurationRequest,
        UpdateConfigurationResponse,
    ),
    Route("POST", "/v1/charts", "CreateChartRequest", CreateChartRequest, ChartResponse),
    Route("PUT", "/v1/charts/{chart_id}", "UpdateChartRequest", UpdateChartRequest, ChartResponse),
    Route("POST", "/v1/queues", "CreateAnnotationQueueRequest", CreateQueueRequest, QueueResponse),
    Route(
        "PUT",
        "/v1/queues/{queue_id}",
        "UpdateAnnotationQueueRequest",
        UpdateQueueRequest,
        QueueResponse,
    ),
]

STRUCT_SCHEMAS = [
    *((route.request, route.schema) for route in ROUTES),
    (SessionProperties, "SessionProperties"),
    (EventFilter, "EventSearchFilter"),
    (DateRange, "SearchEventsRequestDateRange"),
    (ExportFilter, "SingleFilter"),
    (ExportDateRange, "LegacyExportEventsRequestDateRange"),
    (DatapointMapping, "DatapointMapping"),
    (BatchDateRange, "BatchDateRange"),
    (LegacyUpdateDatasetRequest, "LegacyUpdateDatasetRequest"),
    (PassingRange, "PassingRange"),
    (CreateMetricRequest, "MetricVersionContentRequest"),
    (RunMetricDefinition, "RunMetricRequestMetric"),
    (MetricThreshold, "UpdateMetricRequestThreshold"),
    (MetricCategory, "CreateMetricRequestCategoriesItem"),
    (ChildMetric, "CreateMetricRequestChildMetricsItem"),
    (MetricFilters, "CreateMetricRequestFilters"),
    (QueryFilter, "QueryFilter"),
    (QueueFilters, "CreateAnnotationQueueRequestFilters"),
]

EXAMPLES = [
    ("POST", "/v1/sessions/{session_id}/events/batch", "response"),
    ("POST", "/v1/events", "response"),
    ("POST", "/v1/events/batch", "response"),
    ("PUT", "/v1/events/{event_id}", "request"),
]
"""Every `example:` the spec gives for the routes above; kept exhaustive by a test."""


# -- the spec ----------------------------------------------------------------------------------

_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# JSON has no timestamps: keep unquoted dates in examples as the strings the API sends.
_JSONLoader: Any = type(
    "_JSONLoader",
    (_BaseLoader,),
    {
        "yaml_implicit_resolvers": {
            first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
            for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
        }
    },
)


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    if not SPEC_PATH.is_file():
        pytest.skip(
            f"HoneyHive OpenAPI spec not found at {SPEC_PATH} "
            "(the `shared/` folder beside the repository); spec conformance not checked"
        )
    with SPEC_PATH.open(encoding="utf-8") as f:
        loaded: dict[str, Any] = yaml.load(f, Loader=_JSONLoader)
    return loaded


def _is_rfc3339(value: object) -> bool:
    if not isinstance(value, str):
        return True
    # `fromisoformat` takes "Z" only from Python 3.11; RFC 3339 also needs "T" and an offset.
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    return "T" in value.upper() and parsed.tzinfo is not None


_FORMATS = FormatChecker(formats=())
_FORMATS.checks("date-time", raises=ValueError)(_is_rfc3339)


@pytest.fixture(scope="module")
def registry(spec: dict[str, Any]) -> Registry[Any]:
    resource: Resource[Any] = Resource.from_contents(spec, default_specification=DRAFT202012)
    registry: Registry[Any] = Registry().with_resource(SPEC_URI, resource)
    return registry


def _validator(registry: Registry[Any], schema: str) -> Draft202012Validator:
    return Draft202012Validator(
        {"$ref": f"{SPEC_URI}{DEFINITIONS}{schema}"}, registry=registry, format_checker=_FORMATS
    )


def _violations(registry: Registry[Any], schema: str, body: object) -> list[str]:
    errors = _validator(registry, schema).iter_errors(body)
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in errors]


def _component(spec: dict[str, Any], name: str) -> dict[str, Any]:
    schema: dict[str, Any] = spec["components"]["schemas"][name]
    return schema


def _json_content(part: dict[str, Any]) -> dict[str, Any]:
    content: dict[str, Any] = part.get("content", {}).get("application/json", {})
    return content


def _examples(spec: dict[str, Any], route: Route, kind: str) -> Iterator[Any]:
    operation = spec["paths"][route.template][route.method.lower()]
    if kind == "request":
        parts = [operation.get("requestBody", {})]
    else:
        parts = [r for code, r in operation["responses"].items() if str(code).startswith("2")]
    for part in parts:
        content = _json_content(part)
        if "example" in content:
            yield content["example"]
        for named in content.get("examples", {}).values():
            yield named["value"]


def _route(method: str, template: str) -> Route:
    return next(r for r in ROUTES if (r.method, r.template) == (method, template))


# -- exercising the client ---------------------------------------------------------------------


async def _exercise(client: AsyncHoneyHive) -> None:
    """Call every client method with every optional field it can send."""
    session = await client.session.start(
        session_name="conformance",
        event_name="session-event",
        source="tests",
        inputs={"q": "hi"},
        outputs={"a": "hello"},
        config={"model": "m"},
        metadata={"env": "test"},
        user_properties={"user": "u1"},
        start_time=1_700_000_000_000,
        end_time=1_700_000_001_000,
        duration=1000,
        children_ids=[],
    )
    sid = session.event_id
    full = await client.events.create(
        event_type="model",
        inputs={"prompt": "hi"},
        event_name="completion",
        session_id=sid,
        parent_id=sid,
        children_ids=[],
        source="tests",
        config={"model": "m"},
        outputs={"text": "hello"},
        error=None,
        start_time=1_700_000_000_100,
        end_time=1_700_000_000_200,
        duration=100,
        metadata={"cost": 0.1},
        feedback={"rating": 5},
        metrics={"score": 1},
        user_properties={"user": "u1"},
    )
    await client.events.create(event_type="tool", inputs={}, error="boom")
    await client.session.add_events(
        sid,
        [
            {"event_type": "tool", "inputs": {"i": 0}, "event_name": "added", "parent_id": sid},
            CreateEventRequest(event_type="chain", inputs={"i": 1}, error=None, duration=5),
        ],
    )
    await client.events.update(
        full.event_id,
        metadata={"tokens": 3},
        feedback={"ok": True},
        metrics={"m": 2},
        outputs=None,
        config={"t": 0.2},
        user_properties={"tier": "pro"},
        duration=150,
        end_time=1_700_000_000_250,
        children_ids=[str(uuid.uuid4())],
    )
    await client.events.update(full.event_id, outputs={"text": "bye"})
    await client.events.create_batch(
        [
            {"event_type": "tool", "inputs": {"i": 0}, "event_name": "a"},
            CreateEventRequest(event_type="chain", inputs={"i": 1}, error=None),
        ],
        single_session=True,
        session_properties={
            "session_name": "batch",
            "start_time": 1_700_000_000_000,
            "user_properties": {"user": "u2"},
            "metadata": {"env": "test"},
        },
    )
    await client.events.create_batch(
        [{"event_type": "model", "inputs": {}, "session_id": sid}], single_session=False
    )
    await client.events.search(
        filters=[
            EventFilter(field="session_id", operator="is", value=sid),
            EventFilter(field="error", operator="is", value=None),
            EventFilter(field="metadata.cost", operator="greater than", value=0, type="number"),
            {"field": "event_type", "operator": "is not", "value": "chain", "type": "string"},
            {"field": "metadata.flag", "operator": "exists", "value": None},
        ],
        date_range=(dt.datetime(2023, 1, 1), "2030-01-01T00:00:00.000Z"),
        limit=10,
        page=1,
        evaluation_id="run-1",
    )
    _ = [event async for event in client.events.iter(page_size=2)]
    await client.events.export(
        filters=[ExportFilter(field="session_id", operator="is", value=sid, type="string")],
        date_range=(dt.datetime(2023, 1, 1, tzinfo=dt.timezone.utc), dt.datetime(2030, 1, 1)),
        projections=["event_name", "metadata.cost"],
        limit=7500,
        page=1,
        ignore_order=True,
        evaluation_id="run-1",
    )
    run = await client.runs.create(
        name="conformance",
        run_id=str(uuid.uuid4()),
        description="every field",
        status="running",
        metadata={"git": "abc"},
        results={"score": 1},
        dataset_id="ds1",
        event_ids=[sid],
        configuration={"model": "m"},
        evaluators=["accuracy"],
        session_ids=[sid],
        datapoint_ids=["dp1"],
        passing_ranges={"accuracy": PassingRange(min=0.5, max=1), "ok": {"min": 1}},
    )
    await client.runs.update(
        run.run_id,
        name="renamed",
        description="updated",
        status="completed",
        metadata={"git": "def"},
        results={"score": 2},
        event_ids=[sid],
        configuration={"model": "n"},
        evaluators=[],
        session_ids=[sid],
        datapoint_ids=["dp1", "dp2"],
        passing_ranges={"accuracy": {"max": 1}},
    )
    await client.session.get(sid)
    await client.session.get_tree(sid)
    await client.events.get(full.event_id)
    await client.session.delete(sid)
    await _exercise_metrics(client)
    await _exercise_configurations(client)
    await _exercise_charts(client)
    await _exercise_queues(client)


async def _exercise_metrics(client: AsyncHoneyHive) -> None:
    optional: dict[str, Any] = {
        "description": "d",
        "return_type": "categorical",
        "enabled_in_prod": True,
        "needs_ground_truth": True,
        "sampling_percentage": 50,
        "model_provider": "openai",
        "model_name": "gpt-4o",
        "scale": 5,
        "threshold": {"min": 1, "max": 4, "pass_when": True, "passing_categories": ["good"]},
        "categories": [{"category": "good", "score": 1}, {"category": "bad", "score": None}],
        "child_metrics": [{"name": "c", "weight": 0.5, "id": "c1", "scale": 3}],
        "filters": {
            "filterArray": [
                {"field": "event_type", "operator": "is", "value": "model", "type": "string"}
            ]
        },
    }
    metric: dict[str, Any] = {"name": "judge", "type": "LLM", "criteria": "Rate {{outputs}}"}
    created = await client.metrics.create(**metric, **optional)
    await client.metrics.update(created.metric_id, **metric, **optional)
    await client.metrics.update(created.metric_id, name="renamed")
    await client.metrics.create_version(
        created.metric_id,
        message="v1",
        content={**metric, **optional},
        deploy_immediately=True,
    )
    with pytest.raises(MetricExecutionError):  # the local server runs no metric
        await client.metrics.run(metric={**metric, **optional}, event={"outputs": {"a": 1}})
    await client.metrics.list(type="LLM", id=created.metric_id)
    await client.metrics.list_versions(created.metric_id)
    await client.metrics.delete(created.metric_id)


async def _exercise_configurations(client: AsyncHoneyHive) -> None:
    parameters: dict[str, Any] = {
        "call_type": "chat",
        "model": "gpt-4o",
        "hyperparameters": {"temperature": 0.2},
        "responseFormat": {"type": "text"},
        "selectedFunctions": [{"id": "f1", "name": "lookup", "parameters": {}}],
        "functionCallParams": "auto",
        "forceFunction": {},
        "template": [{"role": "system", "content": "Be brief."}],
    }
    created = await client.configurations.create(
        name="v0",
        provider="openai",
        parameters=parameters,
        type="LLM",
        env=["dev", "prod"],
        tags=["a"],
        user_properties={"user": "u1"},
    )
    await client.configurations.update(
        created.insertedId,
        name="v1",
        provider="openai",
        parameters={**parameters, "template": "Be brief."},
        type="pipeline",
        env=["staging"],
        tags=[],
        user_properties={},
    )
    await client.configurations.list(name="v1", env="staging", tags="a")
    await client.configurations.delete(created.insertedId)


async def _exercise_charts(client: AsyncHoneyHive) -> None:
    query = [{"field": "event_type", "value": "model", "type": "string", "operator": "is"}]
    created = await client.charts.create(
        name="Cost",
        metric="cost",
        description="d",
        func="sum",
        group_by="event_name",
        bucketing="hour",
        date_range={"relative": "7d"},
        query=query,
        owner_id="u1",
    )
    chart_id = created.data.id
    await client.charts.update(
        chart_id,
        name="Cost 2",
        metric="cost",
        description="",
        func="avg",
        group_by=None,
        bucketing="week",
        date_range={"$gte": "2024-01-01T00:00:00Z", "$lte": 1_712_011_099_000},
        query=[{"field": "error", "value": None, "type": "string", "operator": "exists"}],
        owner_id="u2",
    )
    await client.charts.list()
    await client.charts.get(chart_id)
    await client.charts.delete(chart_id)


async def _exercise_queues(client: AsyncHoneyHive) -> None:
    filters = {
        "filterArray": [
            {"field": "event_type", "operator": "is", "value": "model", "type": "string"}
        ]
    }
    created = await client.queues.create(
        name="Review", description="d", filters=filters, enabled=True, event_ids=["e1"]
    )
    queue_id = created.queue.id
    await client.queues.update(
        queue_id,
        name="Review 2",
        description="",
        filters={"filterArray": []},
        enabled=False,
        add_event_ids=["e2"],
        remove_event_ids=["e1"],
    )
    await client.queues.list(enabled=False)
    await client.queues.get(queue_id)
    await client.queues.delete(queue_id)


async def _exercise_datasets(client: AsyncHoneyHive) -> None:
    """Call every datapoint and dataset method with every optional field it can send."""
    event = await client.events.create(event_type="model", inputs={"q": "hi"}, outputs={"a": 1})
    dataset = await client.datasets.create(name="conformance", description="d", datapoints=[])
    dataset_id = dataset.dataset_id
    created = await client.datapoints.create(
        inputs={"q": "hi"},
        history=[{"role": "user", "content": "hi"}],
        ground_truth={"a": 1},
        metadata={"k": "v"},
        linked_event=event.event_id,
        linked_datasets=[dataset_id],
    )
    dp = created.datapoint_id
    await client.datapoints.update(
        dp,
        inputs={"q": "bye"},
        history=[],
        ground_truth={"a": 2},
        metadata={"k": "w"},
        linked_event=event.event_id,
        linked_datasets=[dataset_id],
    )
    await client.datapoints.create_batch(
        events=[event.event_id],
        mapping={"inputs": ["inputs.q"], "history": [], "ground_truth": ["outputs.a"]},
        dataset_id=dataset_id,
    )
    await client.datapoints.create_batch(
        filters=[{"field": "event_type", "operator": "is", "value": "model", "type": "string"}],
        date_range=("2000-01-01T00:00:00Z", "2100-01-01T00:00:00Z"),
        check_state={event.event_id: True},
        select_all=False,
    )
    await client.datasets.update(dataset_id, name="renamed", description="e", datapoints=[dp])
    await client.datasets.add_datapoints(
        dataset_id,
        data=[{"question": "q", "answer": "a", "chat": [{"role": "user"}]}],
        mapping={"inputs": ["question"], "ground_truth": ["answer"], "history": ["chat"]},
    )
    await client.datapoints.list(datapoint_ids=[dp], dataset_name="renamed")
    await client.datapoints.get(dp)
    await client.datasets.list(dataset_id=dataset_id, name="renamed")
    await client.datasets.remove_datapoint(dataset_id, dp)
    await client.datapoints.delete(dp)
    await client.datasets.delete(dataset_id)


async def _captured(server: LocalServer) -> list[RecordedRequest]:
    async with AsyncHoneyHive(server.api_key, base_url=server.url, max_retries=0) as client:
        await _exercise(client)
        await _exercise_datasets(client)
    return list(server.requests)


# -- tests -------------------------------------------------------------------------------------


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.id)
def test_the_route_map_matches_the_spec(spec: dict[str, Any], route: Route) -> None:
    operation = spec["paths"][route.template][route.method.lower()]
    schema = _json_content(operation["requestBody"])["schema"]
    assert schema == {"$ref": DEFINITIONS + route.schema}


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.id)
async def test_every_body_the_client_sends_matches_the_request_schema(
    spec: dict[str, Any],
    registry: Registry[Any],
    honeyhive_server: LocalServer,
    route: Route,
) -> None:
    requests = await _captured(honeyhive_server)
    bodies = [
        r.json() for r in requests if r.method == route.method and route.pattern.match(r.path)
    ]

    assert bodies, f"the exercise never called {route.id}"
    for body in bodies:
        assert _violations(registry, route.schema, body) == [], body


async def test_every_request_is_json_or_bodiless(honeyhive_server: LocalServer) -> None:
    requests = await _captured(honeyhive_server)

    assert {r.method for r in requests} == {"GET", "POST", "PUT", "DELETE"}
    for r in requests:
        if r.method in ("GET", "DELETE"):
            assert (r.body, r.headers.get("Content-Type")) == (b"", None), r.path
        else:
            assert r.body, r.path
            assert r.headers["Content-Type"] == "application/json", r.path


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        pytest.param({"metadata": {"k": 1}, "unknown": 1}, "unknown fields", id="extra-field"),
        pytest.param({"events": [{"event_type": "tool"}]}, "inputs", id="event-without-inputs"),
        pytest.param({"events": [], "is_single_session": True}, "legacy", id="legacy-alias"),
    ],
)
def test_the_validator_rejects_what_strict_routes_reject(
    registry: Registry[Any], body: dict[str, Any], reason: str
) -> None:
    # The positive tests above are worth something only if the validator can say no.
    schema = "StartSessionRequest" if "metadata" in body else "PostEventBatchRequest"
    assert _violations(registry, schema, body), reason


def test_the_date_time_format_is_checked(registry: Registry[Any]) -> None:
    good = {"dateRange": {"start_time": "2024-01-01T00:00:00Z", "end_time": "2024-01-02T00:00:00Z"}}
    bad = {"dateRange": {"start_time": "2024-01-01", "end_time": "yesterday"}}
    assert _violations(registry, "SearchEventsRequest", good) == []
    assert len(_violations(registry, "SearchEventsRequest", bad)) == 2


@pytest.mark.parametrize(
    ("struct", "schema"), STRUCT_SCHEMAS, ids=lambda v: getattr(v, "__name__", v)
)
def test_every_request_struct_field_is_a_spec_property(
    spec: dict[str, Any], struct: type[msgspec.Struct], schema: str
) -> None:
    component = _component(spec, schema)
    properties = set(component["properties"])
    fields = msgspec.structs.fields(struct)

    assert sorted({f.encode_name for f in fields} - properties) == []
    # And what the spec requires, the Struct cannot leave out.
    required = {f.encode_name for f in fields if f.required}
    assert set(component.get("required", [])) <= required


def test_every_spec_example_of_the_clients_routes_is_checked(spec: dict[str, Any]) -> None:
    found = {
        (route.method, route.template, kind)
        for route in ROUTES
        for kind in ("request", "response")
        if any(True for _ in _examples(spec, route, kind))
    }
    assert found == set(EXAMPLES)


@pytest.mark.parametrize(("method", "template", "kind"), EXAMPLES)
def test_the_client_reads_and_writes_the_spec_examples(
    spec: dict[str, Any], registry: Registry[Any], method: str, template: str, kind: str
) -> None:
    route = _route(method, template)
    examples = list(_examples(spec, route, kind))
    assert examples

    for example in examples:
        encoded = msgspec.json.encode(example)
        if kind == "request":
            assert _violations(registry, route.schema, example) == []
            body = msgspec.json.decode(encoded, type=route.request)
            assert msgspec.json.decode(msgspec.json.encode(body)) == example
        else:
            decoded = msgspec.json.decode(encoded, type=route.response)
            names = {f.encode_name: f.name for f in msgspec.structs.fields(route.response)}
            assert set(example) <= set(names)
            for key, value in example.items():
                assert getattr(decoded, names[key]) == value
