"""No query string or path id makes a web view page answer 5xx (hypothesis, bounded)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlencode

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from honeyhive_async.server import LocalServer
from honeyhive_async.server.ui._html import CSP
from tests.tracing.conftest import ThreadedServer

TEMPLATES = [
    "/ui",
    "/ui/sessions/{id}",
    "/ui/sessions/{id}/events/{id}",
    "/ui/events/{id}/field/{id}",
    "/ui/events/{id}/field/inputs",
    "/ui/runs",
    "/ui/runs/{id}",
    "/ui/runs/{id}/compare",
    "/ui/runs/{id}/compare/{id}",
    "/ui/datasets/{id}",
    "/ui/static/{id}",
    "/ui/{id}",
]
PARAMS = [
    "name",
    "source",
    "user_property",
    "error",
    "since",
    "until",
    "page",
    "event",
    "with",
    "next",
]

texts = st.text(max_size=30) | st.sampled_from(
    [
        "s1",
        "e1",
        "r1",
        "-1",
        "0",
        "99999999999999999999",
        "1e400",
        "2026-13-01",
        "%",
        "a=b",
        "yes",
        "..",
        "\x00",
    ]
)


@pytest.fixture(scope="module")
def seeded() -> Iterator[tuple[LocalServer, requests.Session]]:
    with ThreadedServer() as server:
        api = {"Authorization": f"Bearer {server.api_key}"}
        requests.post(
            f"{server.url}/v1/sessions",
            json={"session_id": "s1", "session_name": "x"},
            headers=api,
            timeout=10,
        ).raise_for_status()
        event: dict[str, Any] = {
            "event_id": "e1",
            "session_id": "s1",
            "event_type": "model",
            "inputs": {"a": 1},
        }
        requests.post(
            f"{server.url}/v1/events", json=event, headers=api, timeout=10
        ).raise_for_status()
        requests.post(
            f"{server.url}/v1/runs", json={"run_id": "r1", "name": "run"}, headers=api, timeout=10
        ).raise_for_status()
        browser = requests.Session()
        form = browser.get(f"{server.url}/ui/login", timeout=10).text
        token = re.search(r'name="csrf" value="([^"]+)"', form)
        assert token is not None
        reply = browser.post(
            f"{server.url}/ui/login",
            data={"api_key": server.api_key, "csrf": token.group(1)},
            timeout=10,
        )
        assert reply.status_code == 200
        yield server, browser


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    template=st.sampled_from(TEMPLATES),
    ident=texts,
    query=st.dictionaries(st.sampled_from(PARAMS), texts, max_size=4),
)
def test_no_input_makes_a_5xx(seeded, template: str, ident: str, query: dict[str, str]) -> None:
    server, browser = seeded
    # Dots percent-encoded: a bare ".." is resolved by the client and leaves /ui.
    path = template.replace("{id}", quote(ident, safe="").replace(".", "%2E"))
    url = f"{server.url}{path}?{urlencode(query)}"
    reply = browser.get(url, timeout=10, allow_redirects=False)
    assert reply.status_code < 500, (url, reply.status_code, reply.text[:500])
    assert reply.headers["Content-Security-Policy"] == CSP
