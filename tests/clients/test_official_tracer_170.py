"""``honeyhive==1.7.0``'s tracer against the local server, in its own venv.

`HoneyHiveTracer.init` starts its session with ``POST /session/start``, `@trace` spans go out
over OTLP/JSON to ``POST /opentelemetry/v1/traces`` (the tracer's default protocol), and
`enrich_session` is a ``PUT /events`` with the session id as the event id. Our client then reads
the session back as one tree.
"""

from __future__ import annotations

import asyncio
from typing import Any

from honeyhive_async import AsyncHoneyHive
from honeyhive_async.server import LocalServer

from .helpers import run_in_client_venv

VERSION = "1.7.0"

TRACED_APP = """
import json, sys, warnings
from honeyhive import HoneyHiveTracer, trace

warnings.simplefilter("ignore", DeprecationWarning)
url, key = json.loads(sys.argv[1])
tracer = HoneyHiveTracer.init(
    api_key=key, server_url=url, session_name="tracer-170", source="ci", verbose=False,
)


@trace(event_type="tool")
def lookup(query):
    return {"hits": 2, "query": query}


@trace(event_type="chain")
def answer(question):
    found = lookup(question.upper())
    return {"reply": f"{found['hits']} hits"}


result = answer("where is it?")
tracer.enrich_session(metadata={"rating": "good"}, feedback={"thumbs": "up"}, metrics={"score": 0.9})
flushed = tracer.force_flush()
print(json.dumps({"session_id": tracer.session_id, "flushed": flushed, "result": result}))
"""


def test_init_nested_trace_and_enrich_session_come_back_as_one_tree(
    local_server: LocalServer,
) -> None:
    got = run_in_client_venv(VERSION, TRACED_APP, local_server.url, local_server.api_key)

    assert got["flushed"] is True
    assert got["result"] == {"reply": "2 hits"}

    async def read_tree() -> dict[str, Any]:
        async with AsyncHoneyHive(local_server.api_key, base_url=local_server.url) as client:
            return (await client.session.get_tree(got["session_id"])).to_dict()

    tree = asyncio.run(read_tree())
    assert tree["session_id"] == got["session_id"]
    assert tree["event_name"] == "tracer-170"
    assert tree["source"] == "ci"
    assert tree["metadata"]["rating"] == "good"
    assert tree["feedback"] == {"thumbs": "up"}
    assert tree["metrics"]["score"] == 0.9
    (answer,) = tree["children"]
    assert (answer["event_type"], answer["event_name"]) == ("chain", "__main__.answer")
    assert answer["inputs"] == {"question": "where is it?"}
    assert answer["outputs"] == {"result": {"reply": "2 hits"}}
    (lookup,) = answer["children"]
    assert (lookup["event_type"], lookup["event_name"]) == ("tool", "__main__.lookup")
    assert lookup["inputs"] == {"query": "WHERE IS IT?"}
    assert lookup["outputs"] == {"result": {"hits": 2, "query": "WHERE IS IT?"}}
    assert lookup["parent_id"] == answer["event_id"]
    assert lookup["session_id"] == got["session_id"]


EVENT_ID_APP = """
import json, sys, warnings
from honeyhive import HoneyHive, HoneyHiveTracer, trace
from honeyhive.models import UpdateEventRequest

warnings.simplefilter("ignore", DeprecationWarning)
url, key, event_id = json.loads(sys.argv[1])
tracer = HoneyHiveTracer.init(api_key=key, server_url=url, session_name="ids", verbose=False)


@trace(event_type="tool", event_id=event_id)
def rate(answer):
    return {"ok": True}


@trace(event_type="chain")
def answer():
    return rate("yes")


answer()
flushed = tracer.force_flush()
# Later, the app rates the event it named: the id it gave @trace must exist.
HoneyHive(api_key=key, server_url=url).events.update(
    UpdateEventRequest(event_id=event_id, feedback={"rating": 5})
)
print(json.dumps({"session_id": tracer.session_id, "flushed": flushed}))
"""


def test_trace_with_an_event_id_stores_the_event_under_that_id(
    local_server: LocalServer,
) -> None:
    event_id = "9a3b5c7d-1e2f-4a5b-8c6d-7e8f9a0b1c2d"
    got = run_in_client_venv(
        VERSION, EVENT_ID_APP, local_server.url, local_server.api_key, event_id
    )
    assert got["flushed"] is True

    async def read_tree() -> dict[str, Any]:
        async with AsyncHoneyHive(local_server.api_key, base_url=local_server.url) as client:
            return (await client.session.get_tree(got["session_id"])).to_dict()

    tree = asyncio.run(read_tree())
    (answer,) = tree["children"]
    (rate,) = answer["children"]
    assert (rate["event_id"], rate["event_name"]) == (event_id, "__main__.rate")
    assert rate["parent_id"] == answer["event_id"]
    assert answer["children_ids"] == [event_id]
    assert rate["feedback"] == {"rating": 5}
