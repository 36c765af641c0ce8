"""The legacy routes the official SDKs call: wrapped bodies, `project` ignored, whole-ms times."""

from __future__ import annotations

import uuid
from typing import Any

import aiohttp
import msgspec
import pytest

from honeyhive_async.server import LocalServer

from .helpers import call, create_event, get_event, start_session

ORG = {"org_id": "local-org", "workspace_id": "local-workspace", "project_id": "local-project"}


async def _legacy_start(client: aiohttp.ClientSession, **session: Any) -> dict[str, Any]:
    result: dict[str, Any] = await call(
        client, "POST", "/session/start", {"session": {"project": "ignored", **session}}
    )
    return result


class TestSessionStart:
    async def test_post_session_start_and_get_session_both_route(
        self, client: aiohttp.ClientSession
    ) -> None:
        started = await _legacy_start(
            client, session_name="checkout", source="sdk", inputs={"q": 1}, metadata={"a": 1}
        )
        uuid.UUID(started["session_id"])
        assert started["event_id"] == started["session_id"]
        assert {key: started[key] for key in ORG} == ORG
        assert (started["event_type"], started["event_name"], started["source"]) == (
            "session",
            "checkout",
            "sdk",
        )
        assert (started["inputs"], started["metadata"]) == ({"q": 1}, {"a": 1})
        assert "project" not in started
        fetched = await call(client, "GET", f"/session/{started['session_id']}")
        assert fetched["event_id"] == started["session_id"]
        assert fetched["inputs"] == {"q": 1}

    async def test_start_is_idempotent_on_session_id_and_merges(
        self, client: aiohttp.ClientSession, server: LocalServer
    ) -> None:
        sid = str(uuid.uuid4())
        await _legacy_start(client, session_id=sid, metadata={"a": 1})
        again = await _legacy_start(client, session_id=sid, metadata={"b": 2})
        assert again["metadata"] == {"a": 1, "b": 2}
        assert server.store.count() == 1

    async def test_a_json_encoded_session_string_is_accepted(
        self, client: aiohttp.ClientSession
    ) -> None:
        body = {"session": msgspec.json.encode({"session_name": "s"}).decode()}
        started = await call(client, "POST", "/session/start", body)
        assert started["event_name"] == "s"

    @pytest.mark.parametrize(
        ("given", "stored"),
        [
            (1_712_011_099_000, 1_712_011_099_000),
            (1_712_011_099_000.75, 1_712_011_099_000),
            ("2024-04-01 22:38:19", 1_712_011_099_000),
            ("2024-04-01T22:38:19Z", 1_712_011_099_000),
        ],
    )
    async def test_times_are_numbers_or_legacy_strings_and_answered_whole(
        self, client: aiohttp.ClientSession, given: float | str, stored: int
    ) -> None:
        started = await _legacy_start(client, start_time=given)
        assert started["start_time"] == stored
        assert type(started["start_time"]) is int

    async def test_a_bad_session_stores_nothing(
        self, client: aiohttp.ClientSession, server: LocalServer
    ) -> None:
        body = await call(
            client, "POST", "/session/start", {"session": {"metadata": "x"}}, status=400
        )
        assert "session.metadata" in body["message"]
        assert server.store.count() == 0


async def test_get_session_answers_whole_ms_times_for_fractional_ones(
    client: aiohttp.ClientSession,
) -> None:
    session = await start_session(
        client, start_time=1_796_186_780_000.25, end_time=1_796_186_780_427.2693, duration=427.02
    )
    fetched = await call(client, "GET", f"/session/{session['session_id']}")
    assert (fetched["start_time"], fetched["end_time"]) == (1_796_186_780_000, 1_796_186_780_427)
    assert (type(fetched["start_time"]), type(fetched["end_time"])) == (int, int)
    assert fetched["duration"] == 427.02
    # The v1 routes answer what was stored.
    tree = await call(client, "GET", f"/v1/sessions/{session['session_id']}")
    assert tree["end_time"] == 1_796_186_780_427.2693


class TestSessionTraces:
    @pytest.mark.parametrize("key", ["logs", "events"])
    async def test_events_join_the_path_session(
        self, client: aiohttp.ClientSession, key: str
    ) -> None:
        sid = (await start_session(client))["session_id"]
        items = [
            {"event_type": "tool", "session_id": "other", "project": "p"},
            {"event_type": "chain", "inputs": {"x": 1}},
        ]
        assert await call(client, "POST", f"/session/{sid}/traces", {key: items}) == {
            "success": True
        }
        tree = await call(client, "GET", f"/v1/sessions/{sid}")
        children = sorted(tree["children"], key=lambda e: e["event_type"])
        assert [(e["event_type"], e["inputs"], e["session_id"]) for e in children] == [
            ("chain", {"x": 1}, sid),
            ("tool", {}, sid),
        ]

    @pytest.mark.parametrize(
        ("body", "needle"),
        [
            ({}, "neither"),
            ({"logs": [], "events": []}, "both"),
            ({"events": [{"event_type": "tool"}, {"inputs": {}}]}, "events[1].event_type"),
            ({"logs": [{"event_type": "tool", "end_time": "later"}]}, "logs[0].end_time"),
        ],
    )
    async def test_bad_bodies_are_400_and_store_nothing(
        self, client: aiohttp.ClientSession, server: LocalServer, body: Any, needle: str
    ) -> None:
        sid = (await start_session(client))["session_id"]
        result = await call(client, "POST", f"/session/{sid}/traces", body, status=400)
        assert needle in result["message"]
        assert server.store.count() == 1

    async def test_an_unknown_session_is_404(self, client: aiohttp.ClientSession) -> None:
        body = {"events": [{"event_type": "tool"}]}
        await call(client, "POST", "/session/nope/traces", body, status=404)


class TestEvents:
    async def test_post_events_creates_the_wrapped_event(
        self, client: aiohttp.ClientSession
    ) -> None:
        event = {
            "project": "ignored",
            "event_type": "model",
            "event_name": "llm",
            "inputs": {"prompt": "hi"},
            "config": {"model": "m"},
            "duration": 42,
            "start_time": 1_700_000_000_000,
            "end_time": 1_700_000_000_042,
        }
        created = await call(client, "POST", "/events", {"event": event})
        assert created["success"] is True
        stored = await get_event(client, created["event_id"])
        assert (stored["event_type"], stored["event_name"], stored["inputs"]) == (
            "model",
            "llm",
            {"prompt": "hi"},
        )
        assert (stored["duration"], stored["end_time"]) == (42, 1_700_000_000_042)
        assert "project" not in stored

    async def test_put_events_merges_into_a_session_as_enrich_session_does(
        self, client: aiohttp.ClientSession
    ) -> None:
        sid = (
            await start_session(
                client, metadata={"a": 1}, user_properties={"u": 1}, outputs={"o": 1}
            )
        )["session_id"]
        update = {
            "event_id": sid,
            "project": "ignored",
            "metadata": {"b": 2},
            "metrics": {"score": 0.5},
            "feedback": {"rating": 5},
            "config": {"model": "m"},
            "user_properties": {"v": 2},
            "outputs": {"answer": "yes"},
        }
        assert await call(client, "PUT", "/events", update) == {"success": True}
        update = {"event_id": sid, "metadata": {"c": 3}, "metrics": {"n": 1}, "outputs": None}
        assert await call(client, "PUT", "/events", update) == {"success": True}
        session = await call(client, "GET", f"/session/{sid}")
        assert session["metadata"] == {"a": 1, "b": 2, "c": 3}
        assert session["metrics"] == {"score": 0.5, "n": 1}
        assert session["feedback"] == {"rating": 5}
        assert session["config"] == {"model": "m"}
        assert session["user_properties"] == {"u": 1, "v": 2}
        assert session["outputs"] == {"answer": "yes"}  # replaced once, kept by null

    async def test_put_events_sets_end_time_and_duration(
        self, client: aiohttp.ClientSession
    ) -> None:
        event_id = await create_event(client, start_time=1_000)
        await call(client, "PUT", "/events", {"event_id": event_id, "end_time": 1_250})
        stored = await get_event(client, event_id)
        assert (stored["end_time"], stored["duration"]) == (1_250, 250)

    async def test_put_events_on_an_unknown_event_is_404(
        self, client: aiohttp.ClientSession
    ) -> None:
        await call(client, "PUT", "/events", {"event_id": "nope", "metadata": {}}, status=404)

    async def test_batch_takes_the_legacy_single_session_aliases(
        self, client: aiohttp.ClientSession
    ) -> None:
        body = {
            "events": [
                {"event_type": "tool", "inputs": {"i": 0}, "project": "p"},
                {"event_type": "model", "event_name": "m"},
            ],
            "is_single_session": True,
            "session": {"session_name": "batch", "metadata": {"k": 1}, "extra": True},
        }
        result = await call(client, "POST", "/events/batch", body)
        assert result["success"] is True
        assert len(result["event_ids"]) == 2
        session = await call(client, "GET", f"/session/{result['session_id']}")
        assert (session["event_name"], session["metadata"]) == ("batch", {"k": 1})
        for event_id in result["event_ids"]:
            assert (await get_event(client, event_id))["session_id"] == result["session_id"]

    async def test_a_batch_with_one_bad_event_is_400_naming_it_and_stores_nothing(
        self, client: aiohttp.ClientSession, server: LocalServer
    ) -> None:
        body = {
            "events": [{"event_type": "tool"}, {"event_type": "tool", "inputs": "x"}],
            "single_session": True,
        }
        result = await call(client, "POST", "/events/batch", body, status=400)
        assert "events[1].inputs" in result["message"]
        assert server.store.count() == 0  # not even the single session


class TestModelEvents:
    async def test_deprecated_aliases_are_remapped(self, client: aiohttp.ClientSession) -> None:
        model_event = {
            "project": "ignored",
            "model": "gpt-4o",
            "provider": "openai",
            "messages": [{"role": "user", "content": "hi"}],
            "response": {"role": "assistant", "content": "hello"},
            "usage": {"total_tokens": 20},
            "cost": 0.00008,
            "hyperparameters": {"temperature": 0},
            "template": [{"role": "system", "content": "x"}],
            "template_inputs": {"name": "w"},
            "tools": [{"key": "v"}],
            "tool_choice": "none",
            "response_format": {"type": "text"},
            "duration": 42,
            "error": "boom",
            "inputs": {"provider": "mine"},
        }
        created = await call(client, "POST", "/events/model", {"model_event": model_event})
        stored = await get_event(client, created["event_id"])
        assert (stored["event_type"], stored["event_name"]) == ("model", "gpt-4o")
        assert stored["config"] == {"model": "gpt-4o"}
        assert stored["outputs"] == {"response": {"role": "assistant", "content": "hello"}}
        assert stored["inputs"] == {
            "provider": "mine",  # what the caller put in inputs wins
            "messages": [{"role": "user", "content": "hi"}],
            "usage": {"total_tokens": 20},
            "cost": 0.00008,
            "hyperparameters": {"temperature": 0},
            "template": [{"role": "system", "content": "x"}],
            "template_inputs": {"name": "w"},
            "tools": [{"key": "v"}],
            "tool_choice": "none",
            "response_format": {"type": "text"},
            "duration": 42,
            "error": "boom",
        }
        assert stored["error"] is None

    async def test_model_name_and_version_go_to_config(self, client: aiohttp.ClientSession) -> None:
        model_event = {"model_name": "m", "model_version": "2", "event_name": "call"}
        created = await call(client, "POST", "/events/model", {"model_event": model_event})
        stored = await get_event(client, created["event_id"])
        assert (stored["event_name"], stored["config"]) == (
            "call",
            {"model": "m", "model_version": "2"},
        )

    async def test_model_batch(self, client: aiohttp.ClientSession) -> None:
        body = {
            "model_events": [{"model": "a"}, {"model": "b", "event_type": "tool"}],
            "single_session": True,
            "session_properties": {"session_name": "models"},
        }
        result = await call(client, "POST", "/events/model/batch", body)
        stored = [await get_event(client, event_id) for event_id in result["event_ids"]]
        assert [(e["event_type"], e["config"]["model"]) for e in stored] == [
            ("model", "a"),
            ("model", "b"),
        ]

    async def test_a_model_event_needs_a_name(
        self, client: aiohttp.ClientSession, server: LocalServer
    ) -> None:
        body = {"model_events": [{"model": "a"}, {"provider": "openai"}]}
        result = await call(client, "POST", "/events/model/batch", body, status=400)
        assert "model_events[1]" in result["message"]
        assert server.store.count() == 0


class TestExports:
    async def test_v1_export_takes_project_and_answers_whole_ms(
        self, client: aiohttp.ClientSession
    ) -> None:
        event_id = await create_event(client, start_time=1_000.5, end_time=2_000.25)
        body = {"project": "ignored", "filters": [], "limit": 10, "page": 1}
        result = await call(client, "POST", "/v1/events/export", body)
        assert result["totalEvents"] == result["count"] == 1
        (event,) = result["events"]
        assert (event["event_id"], event["start_time"], event["end_time"]) == (
            event_id,
            1_000,
            2_000,
        )

    async def test_old_export_as_sdk_0_2_57_sends_it(self, client: aiohttp.ClientSession) -> None:
        sid = (await start_session(client, end_time=1_796_186_780_427.5))["session_id"]
        await create_event(client, session_id=sid)
        body = {
            "project": "p",
            "filters": [{"field": "event_type", "value": "session", "operator": "is"}],
            "limit": 10.0,
            "page": 1.0,
        }
        result = await call(client, "POST", "/events/export", body)
        assert result["totalEvents"] == 1
        assert result["events"][0]["end_time"] == 1_796_186_780_427

    async def test_get_events_answers_whole_ms(self, client: aiohttp.ClientSession) -> None:
        await create_event(client, start_time=5_000.9)
        result = await call(client, "GET", "/events")
        assert [e["start_time"] for e in result["events"]] == [5_000]
