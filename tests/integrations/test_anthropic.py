"""`wrap_anthropic`: the real `anthropic` client, sync and async, against a fake Anthropic on loopback."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import anthropic
import httpx2
import pytest

from honeyhive_async.integrations import wrap_anthropic
from honeyhive_async.tracing import Tracer, _wrapping, trace

from .conftest import Clock
from .fake_provider import ANTHROPIC_REQUEST_ID, REPLY, FakeProvider

KEY = "sk-ant-api03-integ0123456789abcdefghijklmnop"
QUESTION = [{"role": "user", "content": "How are events grouped?"}]
USAGE = {"prompt_tokens": 11, "completion_tokens": 3, "total_tokens": 18, "cached_tokens": 4}


def sync_client(fake: FakeProvider, **options: Any) -> Any:  # typed loosely: calls with dicts
    options.setdefault("max_retries", 0)
    return wrap_anthropic(anthropic.Anthropic(api_key=KEY, base_url=fake.url, **options))


def async_client(fake: FakeProvider, **options: Any) -> Any:
    options.setdefault("max_retries", 0)
    return wrap_anthropic(anthropic.AsyncAnthropic(api_key=KEY, base_url=fake.url, **options))


async def test_a_message_is_one_model_event_with_request_reply_and_usage(
    tracer: Tracer, fake: FakeProvider, read_events: Callable[..., Any]
) -> None:
    with sync_client(fake) as client:
        async with tracer.session("chat") as session:
            message = client.messages.create(
                model="claude-test",
                max_tokens=100,
                system="Be brief.",
                messages=QUESTION,
                stop_sequences=["END"],
            )
    assert isinstance(message, anthropic.types.Message)
    (event,) = await read_events(session.event_id)
    assert event["event_name"] == "anthropic.messages.create"
    assert event["parent_id"] == session.event_id
    assert event["config"] == {
        "provider": "anthropic",
        "model": "claude-test",
        "max_tokens": 100,
        "stop_sequences": ["END"],
    }
    assert event["inputs"] == {
        "chat_history": [{"role": "system", "content": "Be brief."}, *QUESTION]
    }
    assert event["outputs"] == {"role": "assistant", "content": "".join(REPLY)}
    assert event["metrics"] == USAGE
    assert event["metadata"]["finish_reason"] == "end_turn"
    assert event["metadata"]["request_id"] == ANTHROPIC_REQUEST_ID
    assert KEY not in json.dumps(event)


async def test_an_async_tool_use_nests_under_the_current_trace_span(
    tracer: Tracer, fake: FakeProvider, read_events: Callable[..., Any]
) -> None:
    async with async_client(fake) as client:

        @trace(event_type="chain", event_name="answer", tracer=tracer)
        async def answer() -> Any:
            return await client.messages.create(model="tools", max_tokens=100, messages=QUESTION)

        async with tracer.session("chat") as session:
            await answer()
    model, chain = await read_events(session.event_id)
    assert model["parent_id"] == chain["event_id"]
    assert model["outputs"]["tool_calls"] == [
        {"id": "toolu_1", "name": "search", "input": {"q": "events"}}
    ]
    assert model["metadata"]["finish_reason"] == "tool_use"


async def test_a_raw_stream_reaches_the_caller_unchanged_and_records_the_joined_reply(
    tracer: Tracer, fake: FakeProvider, read_events: Callable[..., Any], clock: Clock
) -> None:
    with sync_client(fake) as client:
        async with tracer.session("chat") as session:
            stream = client.messages.create(
                model="claude-test", max_tokens=100, messages=QUESTION, stream=True
            )
            assert isinstance(stream, anthropic.Stream)
            clock.now += 0.5
            events = list(stream)
    assert events[0].type == "message_start"
    assert "".join(e.delta.text for e in events if e.type == "content_block_delta") == "".join(
        REPLY
    )
    (event,) = await read_events(session.event_id)
    assert event["outputs"] == {"role": "assistant", "content": "".join(REPLY)}
    assert event["metrics"]["time_to_first_token_ms"] == 500.0
    assert event["metrics"]["chunk_count"] == len(events)
    assert {k: event["metrics"][k] for k in USAGE} == USAGE
    assert event["metadata"]["request_id"] == ANTHROPIC_REQUEST_ID
    assert event["metadata"]["finish_reason"] == "end_turn"


async def test_messages_stream_records_text_and_tool_input_sync_and_async(
    tracer: Tracer, fake: FakeProvider, read_events: Callable[..., Any]
) -> None:
    async with tracer.session("chat") as session:
        with (
            sync_client(fake) as client,
            client.messages.stream(model="claude", max_tokens=100, messages=QUESTION) as stream,
        ):
            text = "".join(stream.text_stream)
        async with async_client(fake) as aclient:
            manager = aclient.messages.stream(model="tools", max_tokens=100, messages=QUESTION)
            async with manager as astream:
                final = await astream.get_final_message()
    assert text == "".join(REPLY)
    assert final.content[0].input == {"q": "events"}
    plain, tools = await read_events(session.event_id)
    assert plain["event_name"] == "anthropic.messages.stream"
    assert plain["outputs"] == {"role": "assistant", "content": "".join(REPLY)}
    assert {k: plain["metrics"][k] for k in USAGE} == USAGE
    assert tools["outputs"]["tool_calls"] == [
        {"id": "toolu_1", "name": "search", "input": {"q": "events"}}
    ]
    assert "stopped_early" not in plain["metadata"]


async def test_a_consumer_that_stops_early_is_recorded_as_such(
    tracer: Tracer, fake: FakeProvider, read_events: Callable[..., Any]
) -> None:
    async with (
        async_client(fake) as client,
        tracer.session("chat") as session,
        client.messages.stream(model="claude", max_tokens=100, messages=QUESTION) as stream,
    ):
        async for _ in stream.text_stream:
            break
    (event,) = await read_events(session.event_id)
    assert event["metadata"]["stopped_early"] is True
    assert event["outputs"]["content"] == REPLY[0]


async def test_a_stream_cut_mid_way_raises_to_the_caller_and_records_the_error(
    tracer: Tracer, fake: FakeProvider, read_events: Callable[..., Any]
) -> None:
    got: list[Any] = []
    with sync_client(fake) as client:
        async with tracer.session("chat") as session:
            stream = client.messages.create(
                model="cut", max_tokens=100, messages=QUESTION, stream=True
            )
            with pytest.raises(httpx2.RemoteProtocolError) as raised:  # the transport's, as is
                got.extend(stream)
    assert len(got) == 2
    (event,) = await read_events(session.event_id)
    assert event["error"].startswith(type(raised.value).__name__)
    assert event["metrics"]["prompt_tokens"] == 11  # what came before the cut is kept


@pytest.mark.parametrize(
    ("model", "status", "error"),
    [
        ("rate-limited", 429, anthropic.RateLimitError),
        ("broken", 500, anthropic.InternalServerError),
    ],
)
async def test_a_provider_error_is_recorded_and_re_raised_unchanged(
    tracer: Tracer,
    fake: FakeProvider,
    read_events: Callable[..., Any],
    model: str,
    status: int,
    error: type[Exception],
) -> None:
    with sync_client(fake) as client:
        async with tracer.session("chat") as session:
            with pytest.raises(error) as raised:
                client.messages.stream(model=model, max_tokens=10, messages=QUESTION).__enter__()
    (event,) = await read_events(session.event_id)
    assert event["event_name"] == "anthropic.messages.stream"
    assert event["error"].startswith(f"{type(raised.value).__name__}: ")
    assert event["metadata"]["status_code"] == status


async def test_a_call_retried_after_a_429_is_one_event(
    tracer: Tracer, fake: FakeProvider, read_events: Callable[..., Any]
) -> None:
    fake.flaky_left = 1
    # The SDK honours retry-after-ms: 1.
    async with async_client(fake, max_retries=1) as client, tracer.session("chat") as session:
        await client.messages.create(model="flaky", max_tokens=10, messages=QUESTION)
    assert len(fake.bodies) == 2
    (event,) = await read_events(session.event_id)
    assert event.get("error") is None
    assert event["metadata"]["request_id"] == ANTHROPIC_REQUEST_ID


async def test_without_a_tracer_the_call_runs_untraced_with_one_warning(
    fake: FakeProvider,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    no_tracer: None,
) -> None:
    monkeypatch.setattr(_wrapping, "_warned_no_tracer", False)
    with (
        sync_client(fake) as client,
        caplog.at_level(logging.WARNING, logger="honeyhive_async.tracing"),
    ):
        message = client.messages.create(model="claude", max_tokens=10, messages=QUESTION)
        with client.messages.stream(model="claude", max_tokens=10, messages=QUESTION) as stream:
            text = stream.get_final_text()
    assert message.content[0].text == text == "".join(REPLY)
    warnings = [r.getMessage() for r in caplog.records if "untraced" in r.getMessage()]
    assert warnings == [
        "honeyhive: anthropic.messages.create ran untraced: no Tracer has been created"
    ]
