"""Auth, error bodies, request ids, body validation and the request log."""

from __future__ import annotations

import io
import re

import aiohttp
import pytest

from honeyhive_async.server import LocalServer
from honeyhive_async.server.app import MAX_BODY_BYTES, REQUEST_LOG_SIZE
from honeyhive_async.server.routes import ROUTE_TABLES

from .helpers import call, create_event

ROUTES = [
    ("GET", "/session/abc"),
    ("POST", "/v1/sessions"),
    ("GET", "/v1/sessions/abc"),
    ("DELETE", "/v1/sessions/abc"),
    ("POST", "/v1/sessions/abc/events/batch"),
    ("POST", "/v1/events"),
    ("GET", "/v1/events/abc"),
    ("PUT", "/v1/events/abc"),
    ("DELETE", "/v1/events/abc"),
    ("GET", "/v1/events/schema"),
    ("GET", "/v1/events/chart"),
    ("GET", "/events"),
    ("POST", "/v1/events/batch"),
    ("POST", "/v1/events/search"),
    ("POST", "/v1/events/export"),
    ("POST", "/session/start"),
    ("POST", "/session/abc/traces"),
    ("POST", "/events"),
    ("PUT", "/events"),
    ("POST", "/events/batch"),
    ("POST", "/events/model"),
    ("POST", "/events/model/batch"),
    ("POST", "/events/export"),
    ("GET", "/v1/datapoints"),
    ("POST", "/v1/datapoints"),
    ("POST", "/v1/datapoints/batch"),
    ("GET", "/v1/datapoints/abc"),
    ("PUT", "/v1/datapoints/abc"),
    ("DELETE", "/v1/datapoints/abc"),
    ("GET", "/v1/datasets"),
    ("POST", "/v1/datasets"),
    ("PUT", "/v1/datasets"),
    ("DELETE", "/v1/datasets"),
    ("PUT", "/v1/datasets/abc"),
    ("DELETE", "/v1/datasets/abc"),
    ("POST", "/v1/datasets/abc/datapoints"),
    ("DELETE", "/v1/datasets/abc/datapoints/def"),
    ("DELETE", "/v1/datasets/abc/def"),
    ("POST", "/v1/runs"),
    ("GET", "/v1/runs"),
    ("GET", "/v1/runs/schema"),
    ("GET", "/v1/runs/compare/events"),
    ("GET", "/v1/runs/abc"),
    ("PUT", "/v1/runs/abc"),
    ("DELETE", "/v1/runs/abc"),
    ("GET", "/v1/runs/abc/schema"),
    ("GET", "/v1/runs/abc/metrics"),
    ("GET", "/v1/runs/abc/summary"),
    ("GET", "/v1/runs/abc/result"),
    ("GET", "/v1/runs/abc/compare/def"),
    ("GET", "/v1/runs/abc/compare-with/def"),
    ("GET", "/v1/runs/abc/compare/def/events"),
    ("GET", "/v1/metrics"),
    ("POST", "/v1/metrics"),
    ("PUT", "/v1/metrics"),
    ("DELETE", "/v1/metrics"),
    ("PUT", "/v1/metrics/abc"),
    ("DELETE", "/v1/metrics/abc"),
    ("GET", "/v1/metrics/abc/versions"),
    ("POST", "/v1/metrics/abc/versions"),
    ("POST", "/v1/metrics/abc/versions/v1/deploy"),
    ("POST", "/v1/metrics/run"),
    ("POST", "/v1/metrics/run_metric"),
    ("GET", "/v1/configurations"),
    ("POST", "/v1/configurations"),
    ("PUT", "/v1/configurations/abc"),
    ("DELETE", "/v1/configurations/abc"),
    ("GET", "/v1/projects"),
    ("POST", "/v1/projects"),
    ("PUT", "/v1/projects"),
    ("DELETE", "/v1/projects"),
    ("GET", "/v1/charts"),
    ("POST", "/v1/charts"),
    ("GET", "/v1/charts/abc"),
    ("PUT", "/v1/charts/abc"),
    ("DELETE", "/v1/charts/abc"),
    ("GET", "/v1/queues"),
    ("POST", "/v1/queues"),
    ("GET", "/v1/queues/abc"),
    ("PUT", "/v1/queues/abc"),
    ("DELETE", "/v1/queues/abc"),
    ("POST", "/opentelemetry/v1/traces"),
    ("POST", "/_faults"),
    ("GET", "/_faults"),
    ("DELETE", "/_faults"),
    ("POST", "/_faults/random"),
    ("GET", "/_faults/random"),
    ("POST", "/_faults/accepted"),
    ("GET", "/_faults/accepted"),
]


def test_routes_lists_every_installed_route() -> None:
    """A new group's routes must join `ROUTES`, so the auth test below covers them."""
    for table in ROUTE_TABLES:
        for route in table:
            pattern = re.sub(r"\{[^}]+\}", "[^/]+", route.path)
            assert any(
                method == route.method and re.fullmatch(pattern, path) for method, path in ROUTES
            ), f"{route.method} {route.path} is missing from ROUTES"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-key"},
        {"Authorization": "local-dev-key"},
        {"Authorization": "Basic local-dev-key"},
    ],
    ids=["missing", "wrong-key", "no-scheme", "wrong-scheme"],
)
@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_every_route_requires_the_bearer_key(
    server: LocalServer, method: str, path: str, headers: dict[str, str]
) -> None:
    async with (
        aiohttp.ClientSession(base_url=server.url) as session,
        session.request(method, path, json={}, headers=headers) as resp,
    ):
        assert resp.status == 401
        assert resp.content_type == "application/json"
        body = await resp.json()
    assert body["errorCode"] == "UNAUTHORIZED"
    assert isinstance(body["message"], str)
    assert len(resp.headers["x-request-id"]) == 32


async def test_bearer_scheme_is_case_insensitive(server: LocalServer) -> None:
    headers = {"Authorization": f"bearer {server.api_key}"}
    async with (
        aiohttp.ClientSession(base_url=server.url, headers=headers) as session,
        session.get("/_faults") as resp,
    ):
        assert resp.status == 200


async def test_every_response_has_a_distinct_request_id(client: aiohttp.ClientSession) -> None:
    ids = set()
    for method, path in [("GET", "/_faults"), ("GET", "/v1/events/nope"), ("GET", "/nowhere")]:
        async with client.request(method, path) as resp:
            ids.add(resp.headers["x-request-id"])
    assert len(ids) == 3


@pytest.mark.parametrize(
    ("method", "path", "body", "needle"),
    [
        ("POST", "/v1/sessions", {"session_name": "s", "bogus": 1}, "bogus"),
        ("POST", "/v1/events", {"event_type": "tool", "inputs": {}, "project": "p"}, "project"),
        ("POST", "/v1/events", {"event_type": "tool"}, "inputs"),
        ("POST", "/v1/events", {"event_type": "span", "inputs": {}}, "event_type"),
        ("POST", "/v1/events", {"event_type": "tool", "inputs": [1]}, "$.inputs"),
        ("PUT", "/v1/events/abc", {"metadata": "x"}, "$.metadata"),
        (
            "POST",
            "/v1/events/batch",
            {"events": [], "is_single_session": True},
            "is_single_session",
        ),
        (
            "POST",
            "/v1/events/batch",
            {"events": [{"event_type": "tool", "inputs": {}, "x": 1}]},
            "x",
        ),
        (
            "POST",
            "/v1/events/search",
            {"filters": [{"field": "a", "operator": "like", "value": 1}]},
            "operator",
        ),
        ("POST", "/v1/events/search", {"ignore": True}, "ignore"),
        # The legacy export takes `project` (and ignores it), but no other unknown field.
        ("POST", "/v1/events/export", {"project": "p", "fliters": []}, "fliters"),
        ("POST", "/session/start", {"project": "p"}, "session"),
        ("POST", "/session/start", {"session": {"inputs": [1]}}, "session.inputs"),
        ("POST", "/session/start", {"session": {"start_time": "soon"}}, "session.start_time"),
        ("POST", "/events", {"event": {"inputs": {}}}, "event.event_type"),
        ("POST", "/events", {"event": {"event_type": "tool"}}, "event.inputs"),
        ("POST", "/events", {"event": "not json"}, "event"),
        ("PUT", "/events", {"metadata": {}}, "event_id"),
        ("PUT", "/events", {"event_id": "e", "outputs": ["x"]}, "outputs"),
        ("POST", "/events/batch", {"events": [{"event_type": "tool"}, 1]}, "events[1]"),
        ("POST", "/events/model", {"model_event": {"provider": "openai"}}, "model_name"),
        ("POST", "/events/model/batch", {"model_events": {}}, "model_events"),
        (
            "POST",
            "/events/export",
            {"filters": [{"field": "a", "operator": "is", "value": "x", "type": "id"}]},
            "type",
        ),
        (
            "POST",
            "/v1/events/export",
            {"filters": [{"field": "a", "operator": "is", "value": 1}]},
            "type",
        ),
        ("POST", "/_faults", {"n": 1, "satus": 503}, "satus"),
    ],
)
async def test_bad_bodies_get_400_naming_the_field(
    client: aiohttp.ClientSession, method: str, path: str, body: object, needle: str
) -> None:
    result = await call(client, method, path, body, status=400)
    assert result["errorCode"] == "VALIDATION_ERROR"
    assert needle in result["message"]


@pytest.mark.parametrize("raw", [b"", b"{", b"not json", b'{"session_name": "s",}'])
async def test_malformed_json_is_400(client: aiohttp.ClientSession, raw: bytes) -> None:
    async with client.post("/v1/sessions", data=raw) as resp:
        assert resp.status == 400
        body = await resp.json()
    assert body["errorCode"] == "INVALID_JSON"
    assert "JSON" in body["message"]


async def test_unknown_route_and_wrong_method_are_json(client: aiohttp.ClientSession) -> None:
    body = await call(client, "GET", "/v2/nothing", status=404)
    assert body == {"message": "Not Found: GET /v2/nothing", "errorCode": "NOT_FOUND"}
    # DELETE is taken: `DELETE /v1/events/{event_id}` (preview spec) matches the path.
    async with client.patch("/v1/events/batch") as resp:
        assert resp.status == 405
        assert "POST" in resp.headers["Allow"]
        assert (await resp.json())["errorCode"] == "METHOD_NOT_ALLOWED"


async def test_blank_path_id_is_400(client: aiohttp.ClientSession) -> None:
    body = await call(client, "GET", "/v1/events/%20", status=400)
    assert "event_id" in body["message"]


async def test_oversized_body_is_413_json(
    server: LocalServer, client: aiohttp.ClientSession
) -> None:
    raw = b'{"event_type": "tool", "inputs": {"x": "' + b"a" * MAX_BODY_BYTES + b'"}}'
    async with client.post("/v1/events", data=io.BytesIO(raw)) as resp:
        assert resp.status == 413
        assert (await resp.json())["errorCode"] == "PAYLOAD_TOO_LARGE"
    assert server.store.count() == 0
    assert server.requests[-1].path == "/v1/events"


async def test_request_log_keeps_method_path_headers_and_body(
    server: LocalServer, client: aiohttp.ClientSession
) -> None:
    await create_event(client, event_name="logged")
    await call(client, "GET", "/v1/events/missing?x=1", status=404)
    await call(client, "GET", "/_faults")  # the admin route is not logged

    first, second = server.requests
    assert (first.method, first.path, first.query) == ("POST", "/v1/events", "")
    assert first.headers["authorization"] == f"Bearer {server.api_key}"
    assert first.json() == {"event_type": "tool", "inputs": {}, "event_name": "logged"}
    assert (second.method, second.path, second.query, second.body) == (
        "GET",
        "/v1/events/missing",
        "x=1",
        b"",
    )


async def test_request_log_logs_unauthorized_requests_and_is_bounded(server: LocalServer) -> None:
    async with aiohttp.ClientSession(base_url=server.url) as session:
        for _ in range(REQUEST_LOG_SIZE + 5):
            async with session.get("/v1/events/x") as resp:
                assert resp.status == 401
    assert len(server.requests) == REQUEST_LOG_SIZE
    assert "Authorization" not in server.requests[0].headers


async def test_request_log_tells_connections_apart(
    server: LocalServer, client: aiohttp.ClientSession
) -> None:
    headers = {"Authorization": f"Bearer {server.api_key}"}
    await call(client, "GET", "/v1/events/a", status=404)
    await call(client, "GET", "/v1/events/b", status=404)  # the same keep-alive connection
    async with aiohttp.ClientSession(base_url=server.url, headers=headers) as other:
        await call(other, "GET", "/v1/events/c", status=404)
    # The other session has closed its connection: it no longer counts.
    await call(client, "GET", "/v1/events/d", status=404)

    first, again, other_request, later = server.requests
    assert first.peer is not None
    assert first.peer[0] == "127.0.0.1"
    assert again.peer == later.peer == first.peer
    assert other_request.peer not in (None, first.peer)
    assert [r.open_connections for r in server.requests] == [1, 1, 2, 1]


async def test_a_body_that_cannot_be_decoded_is_400(client: aiohttp.ClientSession) -> None:
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    async with client.post("/v1/sessions", data=b"not gzip", headers=headers) as resp:
        assert resp.status == 400
        body = await resp.json()
    assert body["errorCode"] == "INVALID_BODY"
    assert "content-encoding" in body["message"].lower()
