"""Schemathesis fuzzes every operation the local server serves against HoneyHive's spec.

Each served operation of the data plane spec (and of the preview spec where only it defines the
operation) gets two bounded, derandomized runs against a real `LocalServer` on loopback (aiohttp
has no in-process transport for schemathesis): requests the spec calls valid must get no 5xx and
a body the spec's response schema accepts; requests it calls invalid must get no 5xx. Where the
spec itself is wrong, `ALLOWLIST` drops one check for one operation, with the reason.
Operations with nothing to make invalid (no parameters, no body) are left out of the invalid
run. Schemathesis still skips the 13 whose every input accepts any value (an optional string
query, say): "Impossible to generate negative test cases"; those skips are not results.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import schemathesis  # in the `test` extra: a missing install fails here, never skips
from hypothesis import HealthCheck, Phase, settings
from schemathesis import BaseSchema, GenerationMode
from schemathesis.checks import not_a_server_error, response_schema_conformance

from honeyhive_async.server import LocalServer
from tests.tracing.conftest import ThreadedServer
from tools.api_coverage import SPECS, load_spec, missing_specs, route_key, served_routes

# status_code_conformance is left out: the specs list no 404 for most `{id}` routes and no 400
# or 422 for values the API refuses (the local server answers those as HoneyHive does), so it
# failed 45 of 68 operations on documented behaviour; the 4xx answers are checked by
# tests/server/test_http.py and each group's tests instead.
CHECKS = [not_a_server_error, response_schema_conformance]

MAX_EXAMPLES = 15
"""Per operation: about 70 operations keep the whole module within a few minutes."""

ALLOWLIST: Mapping[tuple[str, str], str] = {}
"""(operation label "METHOD /path", check name) -> why that check is dropped for that operation:
the spec is wrong there, or the server's fix is on its way on another branch."""

_FUZZ_SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,  # the same cases on every run: a failure here is reproducible
    deadline=None,  # a shared CI machine; speed is measured in benchmarks/, not here
    database=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: bounded time, the case is reported
    suppress_health_check=list(HealthCheck),
)


def _pruned_spec(path: Path, keep: set[tuple[str, str]]) -> dict[str, Any]:
    """The spec at `path` with only the operations whose `route_key` is in `keep`."""
    document = copy.deepcopy(load_spec(path))
    for route, item in list(document["paths"].items()):
        for method in [m for m in item if m in ("get", "put", "post", "delete", "patch")]:
            if route_key(method, route) not in keep:
                del item[method]
        if not any(m in item for m in ("get", "put", "post", "delete", "patch")):
            del document["paths"][route]
    return document


def _spec_keys(path: Path) -> set[tuple[str, str]]:
    return {
        route_key(method, route)
        for route, item in load_spec(path)["paths"].items()
        for method in item
        if method in ("get", "put", "post", "delete", "patch")
    }


if missing_specs():
    pytest.skip(f"HoneyHive spec files not found: {missing_specs()}", allow_module_level=True)


def _with_inputs(path: Path) -> set[tuple[str, str]]:
    """Operations with something to make invalid: a parameter or a body.

    The negative run leaves out the others: schemathesis can only skip them, and a skip is not
    a result.
    """
    return {
        route_key(method, route)
        for route, item in load_spec(path)["paths"].items()
        for method, operation in item.items()
        if method in ("get", "put", "post", "delete", "patch")
        and (item.get("parameters") or operation.get("parameters") or operation.get("requestBody"))
    }


def _schemas(mode: str) -> tuple[BaseSchema, BaseSchema]:
    """The data plane's served operations, and the served operations only the preview defines."""
    data_plane, preview = SPECS["data plane"], SPECS["preview"]
    served = served_routes()
    if mode == GenerationMode.NEGATIVE:
        served &= _with_inputs(data_plane) | _with_inputs(preview)
    data_plane_keys = _spec_keys(data_plane)
    preview_only_keys = (served & _spec_keys(preview)) - data_plane_keys
    schemas = (
        schemathesis.openapi.from_dict(_pruned_spec(data_plane, served & data_plane_keys)),
        schemathesis.openapi.from_dict(_pruned_spec(preview, preview_only_keys)),
    )
    for schema in schemas:
        schema.config.generation.update(
            modes=[GenerationMode(mode)],
            with_security_parameters=False,  # the Bearer key is sent by `_call`
            deterministic=True,
            max_examples=MAX_EXAMPLES,
            no_shrink=True,
        )
        # "coverage" adds boundary, missing-parameter and missing-auth cases: negative data.
        phases = ["examples", "fuzzing"]
        schema.config.phases.update(
            phases=phases if mode == GenerationMode.POSITIVE else ["coverage", *phases]
        )
    return schemas


# Loaded at import: schemathesis's lazy `from_fixture` does not run on pytest 9.
data_plane_valid, preview_only_valid = _schemas(GenerationMode.POSITIVE)
data_plane_invalid, preview_only_invalid = _schemas(GenerationMode.NEGATIVE)


@pytest.fixture(scope="module")
def fuzz_server() -> Iterator[LocalServer]:
    with ThreadedServer() as server:
        yield server


def _call(case: Any, server: LocalServer, checks: list[Any]) -> None:
    excluded = [check for check in checks if (case.operation.label, check.__name__) in ALLOWLIST]
    case.call_and_validate(
        base_url=server.url,
        headers={"Authorization": f"Bearer {server.api_key}"},
        checks=checks,
        excluded_checks=excluded,
        timeout=30,
    )


# Valid requests: no 5xx, and a response body the spec's schema accepts.
@data_plane_valid.parametrize()
@_FUZZ_SETTINGS
def test_data_plane_operation(case: Any, fuzz_server: LocalServer) -> None:
    _call(case, fuzz_server, CHECKS)


@preview_only_valid.parametrize()
@_FUZZ_SETTINGS
def test_preview_only_operation(case: Any, fuzz_server: LocalServer) -> None:
    _call(case, fuzz_server, CHECKS)


# Requests the spec calls invalid (wrong types, missing fields, no auth): never a 5xx. Their
# answers are 4xx the specs mostly do not describe, so their bodies are not checked here.
@data_plane_invalid.parametrize()
@_FUZZ_SETTINGS
def test_data_plane_operation_refuses_invalid_input(case: Any, fuzz_server: LocalServer) -> None:
    _call(case, fuzz_server, [not_a_server_error])


@preview_only_invalid.parametrize()
@_FUZZ_SETTINGS
def test_preview_only_operation_refuses_invalid_input(case: Any, fuzz_server: LocalServer) -> None:
    _call(case, fuzz_server, [not_a_server_error])


def test_the_allowlist_names_only_fuzzed_operations_and_known_checks() -> None:
    labels = {
        f"{method.upper()} {path}"
        for schema in (data_plane_valid, preview_only_valid)
        for path, item in schema.raw_schema["paths"].items()
        for method in item
    }
    names = {check.__name__ for check in CHECKS}
    assert {label for label, _ in ALLOWLIST} <= labels
    assert {check for _, check in ALLOWLIST} <= names
