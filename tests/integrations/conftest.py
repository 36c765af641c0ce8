"""Fixtures for the provider integrations: a fake provider, a tracer, the tracer's clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from honeyhive_async import AsyncHoneyHive
from honeyhive_async.server import LocalServer
from honeyhive_async.tracing import Tracer, set_default_tracer
from honeyhive_async.tracing import _span as span_module
from tests.tracing.conftest import events_of, make_tracer

from .fake_provider import FakeProvider


class Clock:
    """The tracer's clock (`perf_counter`), moved only by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def fake() -> Iterator[FakeProvider]:
    with FakeProvider() as provider:
        yield provider


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    now = Clock()
    monkeypatch.setattr(span_module, "_perf", now)
    return now


@pytest.fixture
def no_tracer() -> Iterator[None]:
    """No default tracer while the test runs (a tracer another test made stays the default)."""
    previous = set_default_tracer(None)
    yield
    set_default_tracer(previous)


@pytest.fixture
async def tracer(honeyhive_server: LocalServer) -> AsyncIterator[Tracer]:
    previous = set_default_tracer(None)
    made = make_tracer(honeyhive_server)
    yield made
    await made.aclose(timeout=2)
    set_default_tracer(previous)


@pytest.fixture
async def read_events(
    honeyhive_server: LocalServer, tracer: Tracer
) -> AsyncIterator[Callable[[str], Any]]:
    """`await read_events(session_id)`: the session's events but its own (model ones first), as dicts."""
    async with AsyncHoneyHive(honeyhive_server.api_key, base_url=honeyhive_server.url) as client:

        async def read(session_id: str) -> list[dict[str, Any]]:
            await tracer.flush()
            found = [e.to_dict() for e in await events_of(client, session_id)]
            events = [e for e in found if e["event_type"] != "session"]
            return sorted(events, key=lambda e: (e["event_type"] != "model", e["start_time"]))

        yield read
