"""``honeyhive==0.2.57`` (Speakeasy), the SDK the seed API docs use, against the local server.

It runs in its own venv (``.venv/bin/python -m tools.client_venvs``): the docs' example
``s = honeyhive.HoneyHive(bearer_auth=..., server_url=...)`` and ``s.session.get_session`` on a
session our tracer recorded, then its session start, event create, update, model event, batch
and old export, each checked in what the server stored.
"""

from __future__ import annotations

import asyncio
from typing import Any

from honeyhive_async import AsyncHoneyHive
from honeyhive_async.server import LocalServer
from honeyhive_async.tracing import trace
from tests.tracing.conftest import make_tracer

from .helpers import run_in_client_venv

VERSION = "0.2.57"

GET_SESSION = """
import json, sys
import honeyhive

url, key, *session_ids = json.loads(sys.argv[1])
s = honeyhive.HoneyHive(bearer_auth=key, server_url=url)
got = []
for session_id in session_ids:
    res = s.session.get_session(session_id=session_id)
    event = res.event
    got.append({
        "status": res.status_code,
        "event_id": event.event_id,
        "event_type": event.event_type.value,
        "event_name": event.event_name,
        "start_time": event.start_time,
        "end_time": event.end_time,
        "duration": event.duration,
    })
print(json.dumps(got))
"""

WRITE = """
import json, sys
import honeyhive
from honeyhive.models import components, operations

url, key = json.loads(sys.argv[1])
s = honeyhive.HoneyHive(bearer_auth=key, server_url=url)
started = s.session.start_session(request=operations.StartSessionRequestBody(
    session=components.SessionStartRequest(
        project="ignored", session_name="sdk-057", source="ci",
        inputs={"question": "hi"}, metadata={"run": 1},
    )
))
session_id = started.object.session_id
created = s.events.create_event(request=operations.CreateEventRequestBody(
    event=components.CreateEventRequest(
        project="ignored", source="ci", event_name="lookup",
        event_type=components.CreateEventRequestEventType.TOOL,
        config={"index": "docs"}, inputs={"query": "hi"}, outputs={"hits": 2},
        duration=12.5, session_id=session_id,
    )
))
s.events.update_event(request=operations.UpdateEventRequestBody(
    event_id=session_id, metadata={"rating": "good"}, outputs={"answer": "hello"},
))
model = s.events.create_model_event(request=operations.CreateModelEventRequestBody(
    model_event=components.CreateModelEvent(
        project="ignored", model="gpt-4o", provider="openai",
        messages=[{"role": "user", "content": "hi"}],
        response={"role": "assistant", "content": "hello"},
        duration=42, usage={"total_tokens": 20}, cost=0.00008,
    )
))
batch = s.events.create_event_batch(request=operations.CreateEventBatchRequestBody(
    events=[
        components.CreateEventRequest(
            project="ignored", source="ci", event_name=f"step-{i}",
            event_type=components.CreateEventRequestEventType.CHAIN,
            config={}, inputs={"i": i}, duration=1.5, session_id=session_id,
        )
        for i in range(2)
    ],
))
found = s.events.get_events(request=operations.GetEventsRequestBody(
    project="ignored",
    filters=[components.EventFilter(
        field="session_id", value=session_id,
        operator=components.Operator.IS, type=components.Type.STRING,
    )],
    limit=100,
))
print(json.dumps({
    "session_id": session_id,
    "event_id": created.object.event_id,
    "created": created.object.success,
    "model_event_id": model.object.event_id,
    "batch_ids": batch.object.event_ids,
    "found": sorted(e.event_name for e in found.object.events),
    "total": found.object.total_events,
}))
"""


def _read(server: LocalServer, session_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The session tree as our client reads it, and the session's events by search."""

    async def read() -> tuple[dict[str, Any], list[dict[str, Any]]]:
        async with AsyncHoneyHive(server.api_key, base_url=server.url) as client:
            tree = (await client.session.get_tree(session_id)).to_dict()
            page = await client.events.export(
                filters=[
                    {"field": "session_id", "operator": "is", "value": session_id, "type": "string"}
                ]
            )
            return tree, [event.to_dict() for event in page.events]

    return asyncio.run(read())


def test_the_docs_get_session_example_reads_a_session_our_tracer_recorded(
    local_server: LocalServer,
) -> None:
    tracer = make_tracer(local_server, set_default=False)

    @trace(tracer=tracer, event_type="tool", event_name="retrieve")
    def retrieve(query: str) -> list[str]:
        return [query, query]

    @trace(tracer=tracer, event_type="chain", event_name="answer")
    def answer(query: str) -> str:
        return " ".join(retrieve(query))

    with tracer.session("recorded by honeyhive_async") as session:
        assert answer("hi") == "hi hi"
    assert tracer.flush_sync(30).pending == 0
    tracer.close_sync(30)

    # A session another client stored with the fractional end time of the report.
    async def start_fractional() -> str:
        async with AsyncHoneyHive(local_server.api_key, base_url=local_server.url) as client:
            started = await client.session.start(
                session_name="fractional",
                start_time=1_796_186_780_000.5,
                end_time=1_796_186_780_427.2693,
                duration=426.7693,
            )
            return started.event_id

    fractional_id = asyncio.run(start_fractional())

    ours, fractional = run_in_client_venv(
        VERSION,
        GET_SESSION,
        local_server.url,
        local_server.api_key,
        session.event_id,
        fractional_id,
    )

    tree, _ = _read(local_server, session.event_id)
    assert ours["status"] == 200
    assert (ours["event_id"], ours["event_type"], ours["event_name"]) == (
        session.event_id,
        "session",
        "recorded by honeyhive_async",
    )
    # Whole ms on the wire (that SDK types end_time as an integer); the duration keeps its
    # fraction, as stored.
    assert isinstance(ours["end_time"], int)
    assert ours["start_time"] == int(tree["start_time"])
    assert ours["end_time"] == int(tree["end_time"])
    assert ours["duration"] == tree["duration"]
    assert (fractional["event_id"], fractional["start_time"], fractional["end_time"]) == (
        fractional_id,
        1_796_186_780_000,
        1_796_186_780_427,
    )
    assert fractional["duration"] == 426.7693
    assert [child["event_name"] for child in tree["children"]] == ["answer"]
    assert [child["event_name"] for child in tree["children"][0]["children"]] == ["retrieve"]


def test_start_session_create_update_model_batch_and_export(local_server: LocalServer) -> None:
    got = run_in_client_venv(VERSION, WRITE, local_server.url, local_server.api_key)

    assert got["created"] is True
    assert got["found"] == ["lookup", "sdk-057", "step-0", "step-1"]
    assert got["total"] == 4
    tree, events = _read(local_server, got["session_id"])
    assert (tree["event_name"], tree["source"], tree["inputs"]) == (
        "sdk-057",
        "ci",
        {"question": "hi"},
    )
    assert tree["metadata"]["run"] == 1
    assert tree["metadata"]["rating"] == "good"  # merged by update_event
    assert tree["outputs"] == {"answer": "hello"}
    by_id = {event["event_id"]: event for event in events}
    lookup = by_id[got["event_id"]]
    assert (lookup["event_type"], lookup["inputs"], lookup["outputs"], lookup["duration"]) == (
        "tool",
        {"query": "hi"},
        {"hits": 2},
        12.5,
    )
    assert [by_id[event_id]["inputs"] for event_id in got["batch_ids"]] == [{"i": 0}, {"i": 1}]

    async def model_event() -> dict[str, Any]:
        async with AsyncHoneyHive(local_server.api_key, base_url=local_server.url) as client:
            return (await client.events.get(got["model_event_id"])).to_dict()

    model = asyncio.run(model_event())
    assert (model["event_type"], model["event_name"], model["config"]) == (
        "model",
        "gpt-4o",
        {"model": "gpt-4o"},
    )
    assert model["inputs"]["messages"] == [{"role": "user", "content": "hi"}]
    assert model["inputs"]["provider"] == "openai"
    assert model["outputs"] == {"response": {"role": "assistant", "content": "hello"}}
