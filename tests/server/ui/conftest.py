from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from honeyhive_async.models import CreateEventRequest, CreateRunRequest, StartSessionRequest
from honeyhive_async.server import LocalServer
from honeyhive_async.server._http import STORE_KEY
from honeyhive_async.server.store import Store

# The plugin's fixture, imported so this folder also runs on its own.
from honeyhive_async.testing import honeyhive_server  # noqa: F401

T0 = 1_796_000_000_000.0
"""A fixed start (2026-11-30), so times and bars are exact."""


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None, html
    return found.group(1)


def new_client(server: LocalServer) -> aiohttp.ClientSession:
    # unsafe=True: aiohttp's jar otherwise drops cookies set by an IP address (127.0.0.1).
    return aiohttp.ClientSession(base_url=server.url, cookie_jar=aiohttp.CookieJar(unsafe=True))


async def sign_in(http: aiohttp.ClientSession, api_key: str) -> aiohttp.ClientResponse:
    form = await (await http.get("/ui/login")).text()
    return await http.post(
        "/ui/login",
        data={"api_key": api_key, "csrf": csrf_of(form), "next": "/ui"},
        allow_redirects=False,
    )


@pytest.fixture
def server(honeyhive_server: LocalServer) -> LocalServer:  # noqa: F811 - requests the fixture
    return honeyhive_server


@pytest.fixture
def store(server: LocalServer) -> Store:
    return server.app[STORE_KEY]


@pytest.fixture
async def anonymous(server: LocalServer) -> AsyncIterator[aiohttp.ClientSession]:
    async with new_client(server) as http:
        yield http


@pytest.fixture
async def ui(server: LocalServer) -> AsyncIterator[aiohttp.ClientSession]:
    """A browser signed in to the web view."""
    async with new_client(server) as http:
        reply = await sign_in(http, server.api_key)
        assert reply.status == 303
        yield http


def add_session(store: Store, session_id: str, **fields: Any) -> None:
    fields.setdefault("start_time", T0)
    store.start_session(StartSessionRequest(session_id=session_id, **fields))


def add_event(store: Store, event_id: str, session_id: str, **fields: Any) -> None:
    fields.setdefault("event_type", "tool")
    fields.setdefault("inputs", {})
    store.create_event(CreateEventRequest(event_id=event_id, session_id=session_id, **fields))


def add_run(store: Store, run_id: str, name: str, scores: dict[str, dict[str, float]]) -> None:
    """A run whose sessions are one per datapoint, each with an evaluated event."""
    store.runs.create(CreateRunRequest(run_id=run_id, name=name))
    for point, metrics in scores.items():
        session_id = f"{run_id}-{point}"
        add_session(
            store,
            session_id,
            session_name="row",
            metadata={"run_id": run_id, "datapoint_id": point},
            inputs={"question": f"question {point}"},
            outputs={"answer": f"answer {point} ({run_id})"},
        )
        add_event(store, f"{session_id}-e", session_id, event_type="chain", metrics=metrics)
