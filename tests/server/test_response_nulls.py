"""Event and session responses carry `null` only where the spec's type allows it (else no key)."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
import yaml

from tests.conftest import SHARED

from .helpers import call, create_event, start_session

DATA_PLANE = SHARED / "honeyhive-openapi.yaml"
PREVIEW = SHARED / "honeyhive-openapi-preview-v1.1.0.yaml"


def _schemas(path: Any) -> dict[str, Any]:
    if not path.is_file():
        pytest.skip(f"spec not found at {path}")
    with path.open(encoding="utf-8") as f:
        schemas: dict[str, Any] = yaml.safe_load(f)["components"]["schemas"]
    return schemas


def _nullable(schemas: dict[str, Any], schema: dict[str, Any]) -> set[str]:
    """The properties of `schema` whose type admits null (an untyped property does too)."""
    while "$ref" in schema:
        schema = schemas[schema["$ref"].rsplit("/", 1)[-1]]
    return {
        name
        for name, prop in schema.get("properties", {}).items()
        if "type" not in prop or "null" in (t if isinstance(t := prop["type"], list) else [t])
    }


def _nulls(event: dict[str, Any]) -> set[str]:
    return {name for name, value in event.items() if value is None}


@pytest.fixture
async def open_session(client: aiohttp.ClientSession) -> str:
    """A session without an end time, with one child event without an end time either."""
    sid: str = (await start_session(client, session_name="open"))["session_id"]
    await create_event(client, session_id=sid, event_name="child")
    return sid


async def test_get_event_and_search_and_export(
    client: aiohttp.ClientSession, open_session: str
) -> None:
    schemas = _schemas(DATA_PLANE)
    allowed = _nullable(schemas, schemas["GetEventResponseEvent"])
    event = (await call(client, "GET", f"/v1/events/{open_session}"))["event"]
    assert _nulls(event) <= allowed, event
    legacy = _nullable(schemas, schemas["LegacyEvent"])
    for path in ("/v1/events/search", "/v1/events/export"):
        body = {"filters": [{"field": "session_id", "operator": "is", "value": open_session}]}
        if path.endswith("export"):
            body["filters"][0]["type"] = "string"
        events = (await call(client, "POST", path, body))["events"]
        assert len(events) == 2
        for item in events:
            assert _nulls(item) <= legacy, (path, item)


async def test_start_session_and_get_session(
    client: aiohttp.ClientSession, open_session: str
) -> None:
    schemas = _schemas(DATA_PLANE)
    started = await start_session(client, session_id=open_session)
    assert _nulls(started) <= _nullable(schemas, schemas["PostSessionStartResponse"]), started
    assert "parent_id" not in started
    bare = await call(client, "GET", f"/session/{open_session}")
    assert _nulls(bare) <= _nullable(schemas, schemas["GetEventResponseEvent"]), bare


async def test_the_session_tree_has_no_null(
    client: aiohttp.ClientSession, open_session: str
) -> None:
    schemas = _schemas(PREVIEW)
    allowed = _nullable(schemas, schemas["GetSessionResponse"])
    tree = await call(client, "GET", f"/v1/sessions/{open_session}")
    nodes = [tree, *tree["children"]]
    assert len(nodes) == 2
    for node in nodes:
        assert _nulls(node) <= allowed, node
    assert "parent_id" not in tree
    assert ("end_time" in tree, "duration" in tree) == (False, False)


async def test_legacy_list_has_no_null_where_the_spec_says_not(
    client: aiohttp.ClientSession, open_session: str
) -> None:
    schemas = _schemas(PREVIEW)
    items = schemas["GetEventsLegacyResponse"]["properties"]["events"]["items"]
    allowed = _nullable(schemas, items)
    events = (await call(client, "GET", "/events?limit=7500"))["events"]
    mine = [e for e in events if e.get("session_id") == open_session]
    assert len(mine) == 2
    for item in mine:
        assert _nulls(item) <= allowed, item
