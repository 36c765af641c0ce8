"""``honeyhive==1.7.0``'s API client against the local server, in its own venv.

Its public wrappers still call the legacy routes (API-NOTES 5.1): ``sessions.start`` is
``POST /session/start``, ``events.create/update/create_batch`` are ``POST``/``PUT /events`` and
``POST /events/batch``, and ``events.export`` sends the deprecated ``project`` to
``POST /v1/events/export``. Its tracer (OTLP) is tested where the OTLP route lives.
"""

from __future__ import annotations

import asyncio
from typing import Any

from honeyhive_async import AsyncHoneyHive
from honeyhive_async.server import LocalServer

from .helpers import run_in_client_venv

VERSION = "1.7.0"

API_CLIENT = """
import json, sys, warnings
from honeyhive import HoneyHive
from honeyhive.models import (
    EventFilter, PostEventBatchRequest, PostEventRequest, StartSessionRequest, UpdateEventRequest,
)

warnings.simplefilter("ignore", DeprecationWarning)  # `project` is deprecated; it is the point
url, key = json.loads(sys.argv[1])
client = HoneyHive(api_key=key, server_url=url)
started = client.sessions.start(StartSessionRequest(session={
    "project": "ignored", "session_name": "sdk-170", "source": "ci",
    "inputs": {"question": "hi"}, "metadata": {"run": 1},
}))
session_id = started.session_id
created = client.events.create(PostEventRequest(event={
    "project": "ignored", "event_type": "tool", "event_name": "lookup", "source": "ci",
    "session_id": session_id, "inputs": {"query": "hi"}, "outputs": {"hits": 2},
    "start_time": 1_796_186_780_000, "end_time": 1_796_186_780_012, "duration": 12.5,
}))
client.events.update(UpdateEventRequest(
    event_id=created.event_id, metadata={"checked": True}, outputs={"hits": 3},
))
# What the 1.7.0 tracer's enrich_session sends: the session id as the event id.
client.events.update(UpdateEventRequest(
    event_id=session_id, metadata={"rating": "good"}, feedback={"thumbs": "up"},
    metrics={"score": 0.9}, user_properties={"user": "u1"}, outputs={"answer": "hello"},
))
batch = client.events.create_batch(PostEventBatchRequest(events=[
    {"project": "ignored", "event_type": "chain", "event_name": f"step-{i}",
     "session_id": session_id, "inputs": {"i": i}}
    for i in range(2)
]))
one_session = client.events.create_batch(PostEventBatchRequest(
    events=[{"event_type": "model", "event_name": "solo", "inputs": {}}],
    is_single_session=True, session={"session_name": "batch-session"},
))
exported = client.events.export(
    project="ignored",
    filters=[EventFilter(field="session_id", operator="is", value=session_id, type="string")],
    limit=100,
)
print(json.dumps({
    "session": {
        "session_id": session_id, "event_id": started.event_id, "org_id": started.org_id,
        "project_id": started.project_id, "event_type": started.event_type,
    },
    "event_id": created.event_id,
    "created": created.success,
    "batch": {"ids": batch.event_ids, "success": batch.success},
    "one_session": {"ids": one_session.event_ids, "session_id": one_session.session_id},
    "exported": sorted(e.event_name for e in exported.events),
    "total": exported.total_events,
    "times": [[e.start_time, e.end_time] for e in exported.events if e.event_name == "lookup"],
}))
"""


def test_sessions_start_events_create_update_batch_and_export(local_server: LocalServer) -> None:
    got = run_in_client_venv(VERSION, API_CLIENT, local_server.url, local_server.api_key)

    session_id = got["session"]["session_id"]
    assert got["session"] == {
        "session_id": session_id,
        "event_id": session_id,
        "org_id": "local-org",
        "project_id": "local-project",
        "event_type": "session",
    }
    assert got["created"] is True
    assert got["batch"]["success"] is True
    assert len(got["batch"]["ids"]) == 2
    assert got["exported"] == ["lookup", "sdk-170", "step-0", "step-1"]
    assert got["total"] == 4
    assert got["times"] == [[1_796_186_780_000, 1_796_186_780_012]]

    async def read() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        async with AsyncHoneyHive(local_server.api_key, base_url=local_server.url) as client:
            tree = (await client.session.get_tree(session_id)).to_dict()
            solo = (await client.session.get_tree(got["one_session"]["session_id"])).to_dict()
            lookup = (await client.events.get(got["event_id"])).to_dict()
            return tree, solo, lookup

    tree, solo, lookup = asyncio.run(read())
    assert (tree["event_name"], tree["source"], tree["inputs"]) == (
        "sdk-170",
        "ci",
        {"question": "hi"},
    )
    # enrich_session's update: merged into the session event, outputs replaced.
    assert {key: tree["metadata"][key] for key in ("run", "rating")} == {"run": 1, "rating": "good"}
    assert tree["feedback"] == {"thumbs": "up"}
    assert tree["metrics"] == {"score": 0.9}
    assert tree["user_properties"] == {"user": "u1"}
    assert tree["outputs"] == {"answer": "hello"}
    assert sorted(child["event_name"] for child in tree["children"]) == [
        "lookup",
        "step-0",
        "step-1",
    ]
    assert (lookup["inputs"], lookup["outputs"], lookup["metadata"]) == (
        {"query": "hi"},
        {"hits": 3},
        {"checked": True},
    )
    assert "project" not in lookup
    assert solo["event_name"] == "batch-session"
    assert [child["event_id"] for child in solo["children"]] == got["one_session"]["ids"]
