"""Schemathesis chains the local server's operations: create, then read, update and delete by id.

`test_schemathesis.py` fuzzes each operation alone, so an `{id}` route mostly sees ids that do not
exist and answers 404. Here schemathesis's state machine feeds the ids that producers return into
the operations that take them (links it infers from the spec, plus the explicit `LINKS` below
where the spec's response shapes hide the id from its inference), so those routes are exercised
on real records: no 5xx, and every body the spec's response schema accepts. Each scenario starts
on an empty server and the run is derandomized and bounded; which routes it reaches still depends
on the server's answers (new ids, timestamps), so each explicit link is also checked on its own.
"""

from __future__ import annotations

import collections
from collections.abc import Mapping
from typing import Any, ClassVar

import aiohttp
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error, response_schema_conformance

from honeyhive_async.server import LocalServer
from tests.tracing.conftest import ThreadedServer
from tools.api_coverage import SPECS, missing_specs, served_routes

if missing_specs():
    pytest.skip(f"HoneyHive spec files not found: {missing_specs()}", allow_module_level=True)

from tests.test_schemathesis import _pruned_spec, _spec_keys  # after the skip

MAX_SCENARIOS = 60
STEPS_PER_SCENARIO = 10

# (producer "METHOD /path", its status) -> {link name: (consumer operationId, parameters)}.
# The spec's create responses nest the new id (`result.insertedId`, `insertedIds[0]`), which
# schemathesis's inference does not follow; these are the links a client follows by hand.
LINKS: Mapping[tuple[str, str], Mapping[str, tuple[str, Mapping[str, str]]]] = {
    ("post", "/v1/datasets"): {
        f"{op}_new_dataset": (op, {"dataset_id": "$response.body#/result/insertedId"})
        for op in ("updateDataset", "deleteDataset", "addDatapoints")
    },
    ("post", "/v1/datapoints"): {
        f"{op}_new_datapoint": (op, {"datapoint_id": "$response.body#/result/insertedIds/0"})
        for op in ("getDatapoint", "updateDatapoint", "deleteDatapoint")
    },
    ("post", "/v1/configurations"): {
        f"{op}_new_configuration": (op, {"configId": "$response.body#/insertedId"})
        for op in ("updateConfiguration", "deleteConfiguration")
    },
    ("post", "/v1/metrics"): {
        f"{op}_new_metric": (op, {"metric_id": "$response.body#/metric_id"})
        for op in ("updateMetric", "deleteMetric", "getMetricVersions", "createMetricVersion")
    },
    ("post", "/v1/metrics/{metric_id}/versions"): {
        "deploy_new_version": (
            "deployMetricVersion",
            {"metric_id": "$request.path.metric_id", "version_name": "$response.body#/data/name"},
        )
    },
    ("post", "/v1/datasets/{dataset_id}/datapoints"): {
        "remove_added_datapoint": (
            "removeDatapoint",
            {
                "dataset_id": "$request.path.dataset_id",
                "datapoint_id": "$response.body#/datapoint_ids/0",
            },
        )
    },
}


def _operations_by_id(document: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    return {
        operation["operationId"]: (method, path)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "operationId" in operation
    }


def _with_links(document: dict[str, Any]) -> dict[str, Any]:
    """`document` with `LINKS` added to its producers' 200 responses."""
    known = _operations_by_id(document)
    for (method, path), links in LINKS.items():
        response = document["paths"][path][method]["responses"]["200"]
        for name, (target, parameters) in links.items():
            if target not in known:  # a typo, or an operation no longer served
                raise LookupError(f"LINKS: {name} targets {target!r}, not a served operation")
            links_of = response.setdefault("links", {})
            links_of[name] = {"operationId": target, "parameters": dict(parameters)}
    return document


def _refs(node: Any, schemas: Mapping[str, Any], found: set[str]) -> set[str]:
    """The component schemas `node` refers to, directly or through other components."""
    if isinstance(node, dict):
        if isinstance(ref := node.get("$ref"), str) and ref.startswith("#/components/schemas/"):
            name = ref.rsplit("/", 1)[1]
            if name not in found:
                found.add(name)
                _refs(schemas[name], schemas, found)
        for value in node.values():
            _refs(value, schemas, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, schemas, found)
    return found


def _closed(node: Any) -> None:
    """Mark every object schema under `node` that lists its properties as closed."""
    if isinstance(node, dict):
        if "properties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        for value in node.values():
            _closed(value)
    elif isinstance(node, list):
        for value in node:
            _closed(value)


def _closed_request_bodies(document: dict[str, Any]) -> dict[str, Any]:
    """`document` with its request-only schemas closed to unknown fields.

    The v1 routes reject unknown fields (HoneyHive's contract, and the local server's), but the
    spec's objects leave `additionalProperties` open, so schemathesis's "valid" bodies mostly
    carry extra keys and get a 400 before any id is created. Schemas that responses share are
    left as they are: closing them would judge response bodies, not generate requests.
    """
    schemas = document["components"]["schemas"]
    operations = [
        operation
        for item in document["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict)
    ]
    requests = _refs([op.get("requestBody", {}) for op in operations], schemas, set())
    responses = _refs([op.get("responses", {}) for op in operations], schemas, set())
    for name in requests - responses:
        _closed(schemas[name])
    for operation in operations:
        for media in operation.get("requestBody", {}).get("content", {}).values():
            if "$ref" not in media.get("schema", {}):
                _closed(media.get("schema", {}))
    return document


def _stateful_schema() -> Any:
    data_plane = SPECS["data plane"]
    pruned = _pruned_spec(data_plane, served_routes() & _spec_keys(data_plane))
    document = _with_links(_closed_request_bodies(pruned))
    schema = schemathesis.openapi.from_dict(document)
    schema.config.generation.update(
        modes=[GenerationMode(GenerationMode.POSITIVE)],
        with_security_parameters=False,  # the Bearer key is sent by `get_call_kwargs`
        deterministic=True,
    )
    schema.config.phases.update(phases=["stateful"])
    return schema


_schema = _stateful_schema()
RESPONSES: collections.Counter[tuple[str, int]] = collections.Counter()
"""(operation label, status) -> how many times the workflows saw it."""


class Workflow(_schema.as_state_machine()):  # type: ignore[misc]
    """One scenario: a fresh server, then a chain of linked calls."""

    _threaded: ThreadedServer
    server: ClassVar[LocalServer | None] = None

    def setup(self) -> None:
        self._threaded = ThreadedServer()
        type(self).server = self._threaded.__enter__()

    def teardown(self) -> None:
        self._threaded.__exit__(None, None, None)

    def get_call_kwargs(self, case: Any) -> dict[str, Any]:
        server = type(self).server
        assert server is not None
        return {
            "base_url": server.url,
            "headers": {"Authorization": f"Bearer {server.api_key}"},
            "timeout": 30,
        }

    def after_call(self, response: Any, case: Any) -> None:
        RESPONSES[(case.operation.label, response.status_code)] += 1

    def validate_response(
        self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any
    ) -> None:
        case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])


def test_linked_workflows_get_no_server_error_and_conform_to_the_spec() -> None:
    RESPONSES.clear()
    Workflow.run(
        settings=settings(
            max_examples=MAX_SCENARIOS,
            stateful_step_count=STEPS_PER_SCENARIO,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )
    # Which `{id}` routes a run reaches depends on the server's answers (ids, timestamps), so
    # no particular one is required here; the links themselves are checked below.
    assert any(200 <= status < 300 and "{" in label for label, status in RESPONSES)


# One valid body per producer, and a consumer per link that needs no body of its own.
_PRODUCER_BODIES: Mapping[tuple[str, str], Any] = {
    ("post", "/v1/datasets"): {"name": "linked"},
    ("post", "/v1/datapoints"): {"inputs": {"q": 1}},
    ("post", "/v1/configurations"): {
        "name": "c",
        "provider": "openai",
        "parameters": {"call_type": "chat", "model": "gpt-4o"},
    },
    ("post", "/v1/metrics"): {"name": "m", "type": "PYTHON", "criteria": "result = 1"},
    ("post", "/v1/metrics/{metric_id}/versions"): {
        "message": "v",
        "content": {"name": "m", "type": "PYTHON", "criteria": "result = 2"},
    },
    ("post", "/v1/datasets/{dataset_id}/datapoints"): {
        "data": [{"q": 1}],
        "mapping": {"inputs": ["q"], "ground_truth": [], "history": []},
    },
}
_BODILESS = {"get", "delete"}


def _resolve(expression: str, path_params: Mapping[str, str], body: Any) -> str:
    """An OpenAPI link parameter: ``$request.path.NAME`` or ``$response.body#/json/pointer``."""
    if expression.startswith("$request.path."):
        return path_params[expression.removeprefix("$request.path.")]
    value = body
    for step in expression.removeprefix("$response.body#/").split("/"):
        value = value[int(step)] if isinstance(value, list) else value[step]
    assert isinstance(value, str), (expression, value)
    return value


_CONSUMER_BODIES: Mapping[str, Any] = {
    "updateDataset": {"description": "linked"},
    "addDatapoints": {"data": [{"q": 2}], "mapping": {"inputs": ["q"]}},
    "updateDatapoint": {"metadata": {"linked": True}},
    "updateConfiguration": {
        "name": "c2",
        "provider": "openai",
        "parameters": {"call_type": "chat", "model": "gpt-4o"},
    },
    "updateMetric": {"description": "linked"},
    "createMetricVersion": {
        "message": "v",
        "content": {"name": "m", "type": "PYTHON", "criteria": "result = 3"},
    },
}


async def _json(response: aiohttp.ClientResponse) -> Any:
    assert response.status < 300, (response.method, response.url.path, await response.text())
    return await response.json()


@pytest.mark.parametrize(
    ("producer", "link"),
    [(producer, name) for producer, links in LINKS.items() for name in links],
)
async def test_each_explicit_link_leads_from_a_created_record_to_it(
    honeyhive_server: LocalServer, producer: tuple[str, str], link: str
) -> None:
    target, parameters = LINKS[producer][link]
    method, path = _operations_by_id(_schema.raw_schema)[target]
    headers = {"Authorization": f"Bearer {honeyhive_server.api_key}"}
    async with aiohttp.ClientSession(base_url=honeyhive_server.url, headers=headers) as http:
        made: dict[str, str] = {}  # a producer with a path parameter hangs off a record
        if "{metric_id}" in producer[1]:
            body = _PRODUCER_BODIES[("post", "/v1/metrics")]
            made["metric_id"] = (await _json(await http.post("/v1/metrics", json=body)))[
                "metric_id"
            ]
        if "{dataset_id}" in producer[1]:
            body = {"name": "parent"}
            reply = await _json(await http.post("/v1/datasets", json=body))
            made["dataset_id"] = reply["result"]["insertedId"]
        url = producer[1].format(**made)
        created = await _json(await http.request(producer[0], url, json=_PRODUCER_BODIES[producer]))
        values = {name: _resolve(expr, made, created) for name, expr in parameters.items()}
        body = None if method in _BODILESS else _CONSUMER_BODIES.get(target)
        await _json(await http.request(method, path.format(**values), json=body))
