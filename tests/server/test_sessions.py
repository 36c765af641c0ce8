"""`POST /v1/sessions`, `GET /session/{id}`, the session tree and session delete."""

from __future__ import annotations

import uuid

import aiohttp
import msgspec

from honeyhive_async.models import DeleteSessionResponse, Event, SessionTree
from honeyhive_async.server import LocalServer

from .helpers import call, create_event, get_event, start_session

EVENT_FIELDS = {
    "event_id", "session_id", "parent_id", "children_ids", "event_type", "event_name", "source",
    "project_id", "config", "inputs", "outputs", "error", "start_time", "end_time", "duration",
    "metadata", "feedback", "metrics", "user_properties",
}  # fmt: skip
OPEN_SESSION_ABSENT = {"parent_id", "end_time", "duration"}


async def test_start_session_fills_defaults(client: aiohttp.ClientSession) -> None:
    session = await start_session(client)
    uuid.UUID(session["session_id"])
    # An open session has no parent, end time or duration: the keys are left out, not null.
    assert set(session) == EVENT_FIELDS - OPEN_SESSION_ABSENT | {"org_id", "workspace_id"}
    assert session["event_id"] == session["session_id"]
    assert session["event_type"] == "session"
    assert session["event_name"] == "unknown"
    assert session["source"] == "unknown"
    assert "parent_id" not in session
    assert isinstance(session["start_time"], int)
    assert session["start_time"] > 1_600_000_000_000  # Unix ms, not seconds
    assert (session["org_id"], session["workspace_id"], session["project_id"]) == (
        "local-org",
        "local-workspace",
        "local-project",
    )


async def test_event_name_falls_back_to_session_name(client: aiohttp.ClientSession) -> None:
    assert (await start_session(client, session_name="chat"))["event_name"] == "chat"
    named = await start_session(client, session_name="chat", event_name="explicit")
    assert named["event_name"] == "explicit"


async def test_start_session_is_idempotent_and_merges(
    server: LocalServer, client: aiohttp.ClientSession
) -> None:
    sid = str(uuid.uuid4())
    first = await start_session(
        client,
        session_id=sid,
        session_name="first",
        source="tests",
        start_time=1000,
        metadata={"a": 1, "b": 1},
        user_properties={"u": "x"},
        inputs={"q": "hi"},
    )
    again = await start_session(
        client,
        session_id=sid,
        session_name="second",
        start_time=2000,
        metadata={"b": 2, "c": 3},
        user_properties={"v": "y"},
        inputs={"q": "ignored"},
    )
    assert again["metadata"] == {"a": 1, "b": 2, "c": 3}
    assert again["user_properties"] == {"u": "x", "v": "y"}
    # Everything else stays as first stored.
    for name in ("event_name", "source", "start_time", "inputs"):
        assert again[name] == first[name]
    assert server.store.count() == 1


async def test_get_session_returns_the_bare_session_event(client: aiohttp.ClientSession) -> None:
    session = await start_session(client, session_name="s", metadata={"k": "v"})
    got = await call(client, "GET", f"/session/{session['session_id']}")
    assert set(got) == EVENT_FIELDS - OPEN_SESSION_ABSENT
    assert got["metadata"] == {"k": "v"}
    assert Event.from_dict(got).event_type == "session"


async def test_get_session_404s_for_missing_and_non_session_ids(
    client: aiohttp.ClientSession,
) -> None:
    event_id = await create_event(client)
    for missing in ("nope", event_id):
        body = await call(client, "GET", f"/session/{missing}", status=404)
        assert body["errorCode"] == "NOT_FOUND"


async def test_closing_a_session_by_updating_its_event(client: aiohttp.ClientSession) -> None:
    session = await start_session(client, start_time=1_000, metadata={"a": 1})
    sid = session["session_id"]
    await call(client, "PUT", f"/v1/events/{sid}", {"end_time": 4_000, "metadata": {"b": 2}})
    closed = await get_event(client, sid)
    assert (closed["end_time"], closed["duration"]) == (4_000, 3_000)
    assert closed["metadata"] == {"a": 1, "b": 2}


async def _build_tree(client: aiohttp.ClientSession) -> tuple[str, dict[str, str]]:
    """session -> chain(a) -> [model(b), tool(c) -> model(d)], plus tool(e) at the root."""
    sid = (await start_session(client, start_time=1_000))["session_id"]
    ids: dict[str, str] = {}
    ids["a"] = await create_event(client, session_id=sid, event_type="chain", start_time=1_100)
    # Children are posted out of order; the tree sorts them by start_time.
    ids["c"] = await create_event(client, session_id=sid, parent_id=ids["a"], start_time=1_300)
    ids["b"] = await create_event(
        client,
        session_id=sid,
        parent_id=ids["a"],
        event_type="model",
        start_time=1_200,
        metadata={"cost": 0.5, "total_tokens": 10, "prompt_tokens": 7, "completion_tokens": 3},
    )
    ids["d"] = await create_event(
        client,
        session_id=sid,
        parent_id=ids["c"],
        event_type="model",
        start_time=1_400,
        metadata={"cost": 0.25, "total_tokens": 5},
        feedback={"rating": 1},
    )
    ids["e"] = await create_event(client, session_id=sid, start_time=1_050)
    await create_event(client, start_time=1_000)  # another session: not in the tree
    return sid, ids


async def test_session_tree_nests_children_by_parent(client: aiohttp.ClientSession) -> None:
    sid, ids = await _build_tree(client)
    tree = await call(client, "GET", f"/v1/sessions/{sid}")
    node = SessionTree.from_dict(tree)  # decoded as the client will decode it
    assert node.event_id == sid
    assert [c.event_id for c in node.children] == [ids["e"], ids["a"]]
    chain = node.children[1]
    assert [c.event_id for c in chain.children] == [ids["b"], ids["c"]]
    assert [c.event_id for c in chain.children[1].children] == [ids["d"]]
    assert [n.event_id for n in node.walk()] == [
        sid,
        ids["e"],
        ids["a"],
        ids["b"],
        ids["c"],
        ids["d"],
    ]
    assert tree["org_id"] == "local-org"
    assert tree["project_id"] == "local-project"


async def test_session_tree_metadata_counts(client: aiohttp.ClientSession) -> None:
    sid, _ = await _build_tree(client)
    metadata = (await call(client, "GET", f"/v1/sessions/{sid}"))["metadata"]
    assert metadata["num_events"] == 5
    assert metadata["num_model_events"] == 2
    assert metadata["has_feedback"] is True
    assert metadata["cost"] == 0.75
    assert metadata["total_tokens"] == 15
    assert (metadata["prompt_tokens"], metadata["completion_tokens"]) == (7, 3)
    # The aggregates are computed, not stored.
    assert (await get_event(client, sid))["metadata"] == {}


async def test_session_tree_skips_a_metadata_number_too_large_for_a_float(
    client: aiohttp.ClientSession,
) -> None:
    # JSON allows any integer and the body decodes it whole; summing it as a float raised (500).
    sid = (await start_session(client))["session_id"]
    await create_event(client, session_id=sid, metadata={"cost": 10**400, "total_tokens": 3})
    await create_event(client, session_id=sid, metadata={"cost": 0.25})

    metadata = (await call(client, "GET", f"/v1/sessions/{sid}"))["metadata"]

    assert metadata["cost"] == 0.25
    assert metadata["total_tokens"] == 3
    assert metadata["num_events"] == 2


async def test_session_tree_of_an_empty_session(client: aiohttp.ClientSession) -> None:
    sid = (await start_session(client))["session_id"]
    tree = await call(client, "GET", f"/v1/sessions/{sid}")
    assert tree["children"] == []
    assert tree["metadata"]["num_events"] == 0
    assert tree["metadata"]["has_feedback"] is False


async def test_session_tree_hangs_orphans_off_the_root(client: aiohttp.ClientSession) -> None:
    sid = (await start_session(client))["session_id"]
    orphan = await create_event(client, session_id=sid, parent_id="gone")
    tree = await call(client, "GET", f"/v1/sessions/{sid}")
    assert [c["event_id"] for c in tree["children"]] == [orphan]


async def test_session_tree_404(client: aiohttp.ClientSession) -> None:
    assert (await call(client, "GET", "/v1/sessions/nope", status=404))["errorCode"] == "NOT_FOUND"


async def test_delete_session_deletes_all_its_events(
    server: LocalServer, client: aiohttp.ClientSession
) -> None:
    sid, ids = await _build_tree(client)
    body = await call(client, "DELETE", f"/v1/sessions/{sid}")
    assert body == {"success": True, "deleted": "6"}
    assert msgspec.convert(body, DeleteSessionResponse).deleted == "6"
    await call(client, "GET", f"/v1/sessions/{sid}", status=404)
    await call(client, "GET", f"/v1/events/{ids['d']}", status=404)
    assert server.store.count() == 1  # the other session's event survives
    # Nothing left to delete: the preview spec's 400, not `{"deleted": "0"}`.
    await call(client, "DELETE", f"/v1/sessions/{sid}", status=400)


async def test_add_session_events_stores_them_under_the_path_session(
    client: aiohttp.ClientSession,
) -> None:
    sid = (await start_session(client))["session_id"]
    other = str(uuid.uuid4())
    body = {"events": [{"event_type": "tool", "inputs": {}, "session_id": other, "event_id": "e1"}]}

    assert await call(client, "POST", f"/v1/sessions/{sid}/events/batch", body) == {"success": True}
    event = await get_event(client, "e1")
    assert (event["session_id"], event["parent_id"]) == (sid, sid)


async def test_add_session_events_rejects_what_the_spec_rejects(
    client: aiohttp.ClientSession,
) -> None:
    sid = (await start_session(client))["session_id"]
    path = f"/v1/sessions/{sid}/events/batch"
    for body, named in [
        ({"events": [{"event_type": "tool", "inputs": {}, "bogus": 1}]}, "bogus"),
        ({"events": [], "single_session": True}, "single_session"),
        ({"events": [{"event_type": "tool"}]}, "inputs"),
        ({}, "events"),
    ]:
        error = await call(client, "POST", path, body, status=400)
        assert named in error["message"], error


async def test_add_session_events_to_an_unknown_session_is_404(
    client: aiohttp.ClientSession,
) -> None:
    body = {"events": [{"event_type": "tool", "inputs": {}}]}
    await call(client, "POST", f"/v1/sessions/{uuid.uuid4()}/events/batch", body, status=404)


async def test_delete_of_an_unknown_session_is_the_specs_400(
    client: aiohttp.ClientSession,
) -> None:
    error = await call(client, "DELETE", f"/v1/sessions/{uuid.uuid4()}", status=400)
    assert error["errorCode"] == "NOT_FOUND"
    sid = (await start_session(client))["session_id"]
    assert await call(client, "DELETE", f"/v1/sessions/{sid}") == {"success": True, "deleted": "1"}
    await call(client, "DELETE", f"/v1/sessions/{sid}", status=400)
