"""Which operations of HoneyHive's OpenAPI specs the local server serves and the client calls.

``python -m tools.api_coverage`` (from the repository root) writes docs/API-COVERAGE.md;
tests/test_spec_coverage.py renders the same text in memory and fails while the file differs,
or while an operation is neither covered (served and called) nor given a reason in `REASONS`.

The specs are read from ``../shared`` next to the repository: the data plane v1.2.1 spec, which
wins, then the operations only the preview v1.1.0 spec defines. Two operations are the same when
method and path match with path parameters compared by position (``/v1/datapoints/{id}`` is
``/v1/datapoints/{datapoint_id}``).
"""

from __future__ import annotations

import re
import sys
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import yaml

from honeyhive_async import AsyncHoneyHive
from honeyhive_async._operations import CLIENT_METHODS
from honeyhive_async.server.app import create_app
from honeyhive_async.server.ui import is_ui_path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "API-COVERAGE.md"
SPECS: Mapping[str, Path] = {
    "data plane": ROOT.parent / "shared" / "honeyhive-openapi.yaml",
    "preview": ROOT.parent / "shared" / "honeyhive-openapi-preview-v1.1.0.yaml",
}
"""Spec name -> file, the winning spec first."""

_HTTP_METHODS = ("get", "put", "post", "delete", "patch")

REASONS: Mapping[str, str] = {
    # Legacy routes the client reaches through their v1 successor. The local server serves them
    # for the official SDKs (tests/clients/ runs honeyhive 0.2.57 and 1.7.0 against it).
    "startSessionLegacy": "legacy, served for the official SDKs; the client uses POST /v1/sessions",
    "addSessionTracesLegacy": (
        "legacy, served for the official SDKs; the tracer sends events with POST /v1/events/batch"
    ),
    "createEventLegacy": "legacy, served for the official SDKs; the client uses POST /v1/events",
    "updateEventLegacy": (
        "legacy, served for the official SDKs; the client uses PUT /v1/events/{event_id}"
    ),
    "createModelEventLegacy": (
        "legacy, served for the official SDKs; the client uses POST /v1/events"
    ),
    "createEventBatchLegacy": (
        "legacy, served for the official SDKs; the client uses POST /v1/events/batch"
    ),
    "createModelEventBatchLegacy": (
        "legacy, served for the official SDKs; the client uses POST /v1/events/batch"
    ),
    "updateMetricLegacy": "legacy; the client uses PUT /v1/metrics/{metric_id}",
    "deleteMetricLegacy": "legacy; the client uses DELETE /v1/metrics/{metric_id}",
    "runMetricLegacy": "legacy; the client uses POST /v1/metrics/run",
    "updateDatasetLegacy": "legacy; the client uses PUT /v1/datasets/{dataset_id}",
    "deleteDatasetLegacy": "legacy; the client uses DELETE /v1/datasets/{dataset_id}",
    "removeDatapointLegacy": (
        "legacy; the client uses DELETE /v1/datasets/{dataset_id}/datapoints/{datapoint_id}"
    ),
    "getExperimentResultLegacy": "legacy; the client uses GET /v1/runs/{run_id}/summary",
    "getExperimentComparisonLegacy": (
        "legacy; the client uses GET /v1/runs/{new_run_id}/compare/{old_run_id}"
    ),
    "getExperimentCompareEventsLegacy": (
        "legacy; the client uses GET /v1/runs/{new_run_id}/compare/{old_run_id}/events"
    ),
}
"""operationId -> why that operation is not covered (served by the local server and called by
the client). Only uncovered operations may have one: remove the line when you cover it."""


@dataclass(frozen=True, slots=True)
class Operation:
    """One operation of the merged specs."""

    method: str
    """Upper case, e.g. ``GET``."""
    path: str
    """As the winning spec spells it."""
    operation_id: str
    specs: tuple[str, ...]
    """The names (keys of `SPECS`) of the specs that define it."""

    @property
    def key(self) -> tuple[str, str]:
        """What identifies the operation across specs and the server's route table."""
        return route_key(self.method, self.path)


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the coverage table."""

    operation: Operation
    served: bool
    client_method: str | None
    reason: str | None

    @property
    def covered(self) -> bool:
        """Served by the local server and called by a client method."""
        return self.served and self.client_method is not None


def route_key(method: str, path: str) -> tuple[str, str]:
    """Return ``(METHOD, path)`` with every path parameter replaced by ``{}``."""
    return method.upper(), re.sub(r"\{[^}/]+\}", "{}", path)


def missing_specs(specs: Mapping[str, Path] = SPECS) -> list[Path]:
    """Return the spec files that do not exist."""
    return [path for path in specs.values() if not path.is_file()]


def load_spec(path: Path) -> dict[str, typing.Any]:
    """Return one spec document."""
    with path.open(encoding="utf-8") as fh:
        document: dict[str, typing.Any] = yaml.safe_load(fh)
    return document


def load_operations(specs: Mapping[str, Path] = SPECS) -> list[Operation]:
    """Return every operation of the specs, merged (the first spec wins), in spec order."""
    merged: dict[tuple[str, str], Operation] = {}
    for name, path in specs.items():
        for route, item in load_spec(path)["paths"].items():
            for method in _HTTP_METHODS:
                if method not in item:
                    continue
                key = route_key(method, route)
                if key in merged:
                    earlier = merged[key]
                    merged[key] = Operation(
                        earlier.method, earlier.path, earlier.operation_id, (*earlier.specs, name)
                    )
                else:
                    merged[key] = Operation(
                        method.upper(), route, item[method]["operationId"], (name,)
                    )
    return list(merged.values())


def served_routes() -> set[tuple[str, str]]:
    """Return the ``route_key`` of every API route the local server installs (HEAD left out).

    The web view's pages (``/ui``) are HTML for people, not API operations: left out.
    """
    app = create_app(api_key="api-coverage", db=":memory:")
    return {
        route_key(route.method, route.resource.canonical)
        for route in app.router.routes()
        if route.method != "HEAD"
        and route.resource is not None
        and not is_ui_path(route.resource.canonical)
    }


def resolve_client_method(dotted: str) -> typing.Callable[..., typing.Any]:
    """Return the resource method ``"group.method"`` names; raise `LookupError` if none."""
    group, _, method = dotted.partition(".")
    prop = AsyncHoneyHive.__dict__.get(group)
    if not isinstance(prop, cached_property):
        raise LookupError(f"AsyncHoneyHive has no group property {group!r} (from {dotted!r})")
    resource = typing.get_type_hints(prop.func)["return"]
    found = getattr(resource, method, None)
    if not callable(found) or method.startswith("_"):
        raise LookupError(f"{resource.__name__} has no public method {method!r} (from {dotted!r})")
    return typing.cast(typing.Callable[..., typing.Any], found)


def coverage_rows(
    operations: Iterable[Operation],
    served: set[tuple[str, str]],
    client_methods: Mapping[str, str] = CLIENT_METHODS,
    reasons: Mapping[str, str] = REASONS,
) -> list[Row]:
    """Return one row per operation; a reason only where the operation is not covered."""
    rows = []
    for op in operations:
        client_method = client_methods.get(op.operation_id)
        is_served = op.key in served
        covered = is_served and client_method is not None
        reason = None if covered else reasons.get(op.operation_id)
        rows.append(Row(op, is_served, client_method, reason))
    return rows


def render(rows: Iterable[Row]) -> str:
    """Return docs/API-COVERAGE.md's text."""
    rows = list(rows)
    covered = sum(row.covered for row in rows)
    lines = [
        "# API coverage",
        "",
        "Generated by `python -m tools.api_coverage` from the OpenAPI specs in `../shared`",
        "(data plane v1.2.1, which wins, and preview v1.1.0), the local server's route table and",
        "`honeyhive_async/_operations.py`. Do not edit by hand: tests/test_spec_coverage.py fails",
        "while this file is stale. Path parameters are compared by position.",
        "",
        f"{covered} of {len(rows)} operations are covered (served by the local server and called",
        "by a client method).",
        "",
        "| Method | Path | operationId | Spec(s) | Local server | Client method | Reason not covered |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        op = row.operation
        client = f"`client.{row.client_method}`" if row.client_method else "—"
        if row.covered:
            reason = ""
        else:
            reason = row.reason or "**MISSING: add one to REASONS in tools/api_coverage.py**"
        lines.append(
            f"| {op.method} | `{op.path}` | {op.operation_id} | {', '.join(op.specs)} "
            f"| {'yes' if row.served else 'no'} | {client} | {reason} |"
        )
    return "\n".join(lines) + "\n"


def build() -> str:
    """Return the coverage document for the specs, server and client as they are now."""
    return render(coverage_rows(load_operations(), served_routes()))


def main() -> int:
    """Write docs/API-COVERAGE.md."""
    if missing := missing_specs():
        print(f"spec not found: {', '.join(map(str, missing))}", file=sys.stderr)  # noqa: T201
        return 1
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(build(), encoding="utf-8")
    print(f"wrote {DOC.relative_to(ROOT)}")  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
