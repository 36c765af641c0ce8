"""`wrap_openai`: the real `openai` client, sync and async, against a fake OpenAI on loopback."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import openai
import pytest

from honeyhive_async.integrations import wrap_openai
from honeyhive_async.tracing import Tracer, _wrapping, trace

from .conftest import Clock
from .fake_provider import OPENAI_REQUEST_ID, REPLY, FakeProvider

KEY = "sk-proj-integ0123456789abcdefghijklmnop"
QUESTION = [{"role": "user", "content": "How are events grouped?"}]


def sync_client(fake: FakeProvider, **options: Any) -> Any:  # typed loosely: calls with dicts
    options.setdefault("max_retries", 0)
    return wrap_openai(openai.OpenAI(api_key=KEY, base_url=f"{fake.url}/v1", **options))


def async_client(fake: FakeProvider, **options: Any) -> Any:
    options.setdefault("max_retries", 0)
    return wrap_openai(openai.AsyncOpenAI(api_key=KEY, base_url=f"{fake.url}/v1", **options))


def assert_no_key(events: list[dict[str, Any]]) -> None:
    assert KEY not in json.dumps(events)


async def test_a_chat_completion_is_one_model_event_with_request_reply_and_usage(
    tracer: Tracer, fake: FakeProvider, read_events: Callable[..., Any]
) -> None:
    with sync_client(fake) as client:
        async with tracer.session("chat") as session:
            completion = client.chat.completions.create(
                model="gpt-4o-mini", messages=QUESTION, temperature=0.2, max_tokens=50
            )
        assert isinstance(completion, openai.types.chat.ChatCompletion)
        assert completion.choices[0].message.content == "".join(REPLY)
        (event,) = await read_events(session.event_id)
        assert event["event_type"] == "model"
        assert event["event_name"] == "openai.chat.completions.create"
        assert event["parent_id"] == session.event_id
        assert event["config"] == {
            "provider": "openai",
            "model": "gpt-4o-mini",
            "temperature": 0.2,
            "max_tokens": 50,
        }
        assert event["inputs"] == {"chat_history": QUESTION}
        assert event["outputs"] == {"role": "assistant", "content": "".join(REPLY)}
        assert event["metrics"] == {
            "prompt_tokens": 11,
            "completion_tokens": 3,
            "total_tokens": 14,
            "cached_tokens": 4,
        }
        assert event["metadata"]["finish_reason"] == "stop"
        assert event["metadata"]["request_id"] == OPENAI_REQUEST_ID
        assert event["metadata"]["response_id"] == "chatcmpl-7"
        assert_no_key(events=[event])


async def test_an_async_call_nests_under_the_current_trace_span(
    tracer: Tracer, fake: FakeProvider, read_events: Callable[..., Any]
) -> None:
    async with async_client(fake) as client:

        @trace(event_type="chain", event_name="answer", tracer=tracer)
        async def answer() -> Any:
            completion = await client.chat.completions.create(
                model="tools",
                messages=QUESTION,
                tools=[{"type": "function", "function": {"name": "search"}}],
            )
            return completion.choices[0].message.content

        async with tracer.session("chat") as session:
            await answer()
        model, chain = await read_events(session.event_id)
        assert (chain["event_name"], model["parent_id"]) == ("answer", chain["event_id"])
        assert model["config"]["tools"] == [{"type": "function", "function": {"name": "search"}}]
        assert model["outputs"]["tool_calls"] == [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "search", "arguments": '{"q": "events"}'},
            }
        ]


@pytest.mark.parametrize("stream_options", [None, {"include_usage": True}])
async def test_a_stream_reaches_the_caller_unchanged_and_records_the_joined_reply(
    tracer: Tracer,
    fake: FakeProvider,
    read_events: Callable[..., Any],
    clock: Clock,
    stream_options: dict[str, Any] | None,
) -> None:
    with sync_client(fake) as client:
        extra = {} if stream_options is None else {"stream_options": stream_options}
        async with tracer.session("chat") as session:
            stream = client.chat.completions.create(
                model="gpt-4o-mini", messages=QUESTION, stream=True, **extra
            )
            assert isinstance(stream, openai.Stream)
            clock.now += 0.25  # the first chunk is read a quarter second after the call began
            chunks = list(stream)
        # Usage is asked for either way; its chunk reaches only a caller who asked for it.
        assert fake.bodies[-1]["stream_options"] == {"include_usage": True}
        usage_chunks = [c for c in chunks if not c.choices]
        assert len(usage_chunks) == (0 if stream_options is None else 1)
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        assert text == "".join(REPLY)
        (event,) = await read_events(session.event_id)
        assert event["outputs"] == {"role": "assistant", "content": "".join(REPLY)}
        assert event["metrics"]["prompt_tokens"] == 11
        assert event["metrics"]["total_tokens"] == 14
        assert event["metrics"]["time_to_first_token_ms"] == 250.0
        assert event["metadata"]["finish_reason"] == "stop"
        assert event["metadata"]["request_id"] == OPENAI_REQUEST_ID
        assert "stopped_early" not in event["metadata"]
        assert "stream_options" not in event["config"]


@pytest.mark.parametrize(
    ("extra_body", "caller_gets_usage"),
    [
        ({"user": "u-1"}, False),  # the caller's own extra body, kept alongside ours
        ({"stream_options": {"include_usage": True}}, True),  # asked for by the caller
        ({"stream_options": {"include_usage": False}}, False),  # declined by the caller
    ],
)
async def test_usage_is_asked_for_beside_the_callers_extra_body_and_theirs_wins(
    tracer: Tracer,
    fake: FakeProvider,
    read_events: Callable[..., Any],
    extra_body: dict[str, Any],
    caller_gets_usage: bool,
) -> None:
    given = json.loads(json.dumps(extra_body))
    with sync_client(fake) as client:
        async with tracer.session("chat") as session:
            chunks = list(
                client.chat.completions.create(
                    model="gpt-4o-mini", messages=QUESTION, stream=True, extra_body=extra_body
                )
            )
    assert extra_body == given  # the caller's dict is not changed
    sent = fake.bodies[-1]
    for key, value in extra_body.items():
        assert sent[key] == value
    if "stream_options" not in extra_body:
        assert sent["stream_options"] == {"include_usage": True}
    usage_chunks = [c for c in chunks if not c.choices]
    assert len(usage_chunks) == (1 if caller_gets_usage else 0)
    (event,) = await read_events(session.event_id)
    assert event["outputs"] == {"role": "assistant", "content": "".join(REPLY)}
    assert "stream_options" not in event["config"]
    assert "extra_body" not in event["config"]
    if sent["stream_options"]["include_usage"]:
        assert event["metrics"]["total_tokens"] == 14


def count_built_chunks(client: Any) -> list[Any]:
    """Record every object the SDK builds from a stream's events on `client`."""
    built: list[Any] = []
    process = client._process_response_data

    def counting(**kwargs: Any) -> Any:
        made = process(**kwargs)
        built.append(made)
        return made

    client._process_response_data = counting
    return built


@pytest.mark.parametrize(
    ("model", "built_extra"), [("gpt-4o-mini", 0), ("compact-json", 0), ("odd-json", 1)]
)
@pytest.mark.parametrize("use_async", [False, True])
async def test_the_usage_chunk_asked_for_by_us_is_hidden_and_never_built_when_it_reads_as_one(
    tracer: Tracer,
    fake: FakeProvider,
    read_events: Callable[..., Any],
    model: str,
    built_extra: int,
    use_async: bool,
) -> None:
    # The SDK builds a pydantic object of each chunk (most of a chunk's cost): the usage chunk
    # asked for by the wrapper is read from its raw JSON instead, when that has the usual
    # spacing; any other reaches the SDK and is dropped after it (`odd-json`).
    async with tracer.session("chat") as session:
        if use_async:
            async with async_client(fake) as aclient:
                built = count_built_chunks(aclient)
                stream = await aclient.chat.completions.create(
                    model=model, messages=QUESTION, stream=True
                )
                chunks = [chunk async for chunk in stream]
        else:
            with sync_client(fake) as client:
                built = count_built_chunks(client)
                chunks = list(
                    client.chat.completions.create(model=model, messages=QUESTION, stream=True)
                )
    assert all(chunk.choices for chunk in chunks)
    assert len(chunks) == len(REPLY) + 2  # the role chunk, the text, the finish chunk
    assert len(built) == len(chunks) + built_extra
    (event,) = await read_events(session.event_id)
    assert event["outputs"] == {"role": "assistant", "content": "".join(REPLY)}
    assert event["metrics"]["prompt_tokens"] == 11
    assert event["metrics"]["completion_tokens"] == 3
    assert event["metrics"]["total_tokens"] == 14
    assert event["metrics"]["chunk_count"] == len(chunks) + 1  # the usage chunk counts
    assert event["metadata"]["response_id"] == "chatcmpl-7"
    assert event["metadata"]["response_model"] == model
    assert event["metadata"]["finish_reason"] == "stop"


async def test_an_async_stream_of_tool_calls_joins_their_arguments(
    tracer: Tracer, fake: FakeProvider, read_events: Callable[..., Any]
) -> None:
    async with async_client(fake) as client:
        async with tracer.session("chat") as session:
            stream = await client.chat.completions.create(
                model="tools", messages=QUESTION, stream=True
            )
            assert isinstance(stream, openai.AsyncStream)
            chunks = [chunk async for chunk in stream]
        assert all(chunk.choices for chunk in chunks)
        (event,) = await read_events(session.event_id)
        assert event["outputs"]["tool_calls"] == [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "search", "arguments": '{"q": "events"}'},
            }
        ]


async def test_a_consumer_that_stops_early_is_recorded_as_such(
    tracer: Tracer, fake: FakeProvider, read_events: Callable[..., Any]
) -> None:
    with sync_client(fake) as client:
        async with tracer.session("chat") as session:
            with client.chat.completions.create(
                model="gpt-4o-mini", messages=QUESTION, stream=True
            ) as stream:
                for chunk in stream:
                    if chunk.choices[0].delta.content:
                        break
        (event,) = await read_events(session.event_id)
        assert event["metadata"]["stopped_early"] is True
        assert event["outputs"]["content"] == REPLY[0]
        assert event.get("error") is None


async def test_an_async_consumer_that_stops_early_is_recorded_as_such(
    tracer: Tracer, fake: FakeProvider, read_events: Callable[..., Any]
) -> None:
    async with async_client(fake) as client:
        async with tracer.session("chat") as session:
            stream = await client.chat.completions.create(
                model="gpt-4o-mini", messages=QUESTION, stream=True
            )
            async with stream:
                async for _ in stream:
                    break
        (event,) = await read_events(session.event_id)
        assert event["metadata"]["stopped_early"] is True


async def test_a_stream_cut_mid_way_raises_to_the_caller_and_records_the_error(
    tracer: Tracer, fake: FakeProvider, read_events: Callable[..., Any]
) -> None:
    with sync_client(fake) as client:
        got: list[Any] = []
        async with tracer.session("chat") as session:
            stream = client.chat.completions.create(model="cut", messages=QUESTION, stream=True)
            with pytest.raises(openai.APIConnectionError) as raised:
                got.extend(stream)
        assert len(got) == 2
        (event,) = await read_events(session.event_id)
        assert event["error"].startswith(type(raised.value).__name__)
        assert event["outputs"]["content"] == REPLY[0]


@pytest.mark.parametrize(
    ("model", "status", "error"),
    [("rate-limited", 429, openai.RateLimitError), ("broken", 500, openai.InternalServerError)],
)
async def test_a_provider_error_is_recorded_and_re_raised_unchanged(
    tracer: Tracer,
    fake: FakeProvider,
    read_events: Callable[..., Any],
    model: str,
    status: int,
    error: type[Exception],
) -> None:
    async with async_client(fake) as client:
        async with tracer.session("chat") as session:
            with pytest.raises(error) as raised:
                await client.chat.completions.create(model=model, messages=QUESTION)
        (event,) = await read_events(session.event_id)
        assert event["error"].startswith(f"{type(raised.value).__name__}: ")
        assert event["metadata"]["status_code"] == status
        assert event["metadata"]["error_type"] == type(raised.value).__qualname__


async def test_a_call_retried_after_a_429_is_one_event(
    tracer: Tracer, fake: FakeProvider, read_events: Callable[..., Any]
) -> None:
    fake.flaky_left = 1
    # The SDK honours Retry-After (retry-after-ms: 1).
    with sync_client(fake, max_retries=1) as client:
        async with tracer.session("chat") as session:
            client.chat.completions.create(model="flaky", messages=QUESTION)
        assert len(fake.bodies) == 2
        (event,) = await read_events(session.event_id)
        assert event.get("error") is None
        assert event["metadata"]["request_id"] == OPENAI_REQUEST_ID


async def test_responses_create_and_its_stream(
    tracer: Tracer, fake: FakeProvider, read_events: Callable[..., Any]
) -> None:
    async with async_client(fake) as client:
        async with tracer.session("chat") as session:
            response = await client.responses.create(
                model="gpt-4.1", input="How are events grouped?", instructions="Be brief."
            )
            stream = await client.responses.create(model="gpt-4.1", input=QUESTION, stream=True)
            kinds = [event.type async for event in stream]
        assert response.output_text == "".join(REPLY)
        assert kinds[-1] == "response.completed"
        plain, streamed = await read_events(session.event_id)
        assert plain["event_name"] == "openai.responses.create"
        assert plain["inputs"] == {
            "chat_history": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "How are events grouped?"},
            ]
        }
        for event in (plain, streamed):
            assert event["outputs"] == {"role": "assistant", "content": "".join(REPLY)}
            assert event["metrics"]["prompt_tokens"] == 11
            assert event["metrics"]["cached_tokens"] == 2
            assert event["metadata"]["finish_reason"] == "completed"
        assert streamed["inputs"] == {"chat_history": QUESTION}
        assert streamed["metrics"]["chunk_count"] == len(kinds)


async def test_embeddings_record_the_count_and_size_not_the_vectors(
    tracer: Tracer, fake: FakeProvider, read_events: Callable[..., Any]
) -> None:
    with sync_client(fake) as client:
        async with tracer.session("embed") as session:
            client.embeddings.create(model="text-embedding-3-small", input=["a", "b"])
        (event,) = await read_events(session.event_id)
        assert event["event_name"] == "openai.embeddings.create"
        assert event["inputs"] == {"input": ["a", "b"]}
        assert event["outputs"] == {"embeddings": 2, "dimensions": 3}
        assert event["metrics"] == {"prompt_tokens": 5, "total_tokens": 5}


async def test_credentials_never_reach_an_event(
    tracer: Tracer, fake: FakeProvider, read_events: Callable[..., Any]
) -> None:
    with sync_client(fake) as client:
        async with tracer.session("chat") as session:
            client.chat.completions.create(
                model="gpt-4o-mini",
                messages=[{"role": "user", "content": f"my key is {KEY}"}],
                extra_headers={"Authorization": f"Bearer {KEY}"},
                user="user-1",
            )
        (event,) = await read_events(session.event_id)
        assert_no_key([event])
        assert event["config"] == {"provider": "openai", "model": "gpt-4o-mini", "user": "user-1"}
        assert fake.headers[-1]["Authorization"] == f"Bearer {KEY}"  # the call itself is unchanged


async def test_without_a_tracer_the_call_runs_untraced_with_one_warning(
    fake: FakeProvider,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    no_tracer: None,
) -> None:
    monkeypatch.setattr(_wrapping, "_warned_no_tracer", False)
    with sync_client(fake) as client:
        with caplog.at_level(logging.WARNING, logger="honeyhive_async.tracing"):
            first = client.chat.completions.create(model="gpt-4o-mini", messages=QUESTION)
            chunks = list(
                client.chat.completions.create(model="gpt-4o-mini", messages=QUESTION, stream=True)
            )
        assert first.choices[0].message.content == "".join(REPLY)
        assert (
            "stream_options" not in fake.bodies[-1]
        )  # untraced: the request as the caller made it
        assert len(chunks) == len(REPLY) + 2
        warnings = [r.getMessage() for r in caplog.records if "untraced" in r.getMessage()]
        assert warnings == [
            "honeyhive: openai.chat.completions.create ran untraced: no Tracer has been created"
        ]


def test_wrapping_twice_wraps_once_and_returns_the_same_client(fake: FakeProvider) -> None:
    client = openai.OpenAI(api_key=KEY, base_url=f"{fake.url}/v1")
    assert wrap_openai(client) is client
    create = client.chat.completions.create
    assert wrap_openai(client) is client
    assert client.chat.completions.create is create
    client.close()


async def test_a_client_made_with_with_options_is_traced_too(
    tracer: Tracer, fake: FakeProvider, read_events: Callable[..., Any]
) -> None:
    with sync_client(fake) as client:
        other = client.with_options(timeout=5)
        async with tracer.session("chat") as session:
            other.chat.completions.create(model="gpt-4o-mini", messages=QUESTION)
        other.close()
    (event,) = await read_events(session.event_id)
    assert event["event_name"] == "openai.chat.completions.create"


async def test_a_call_outside_any_span_goes_to_the_default_session(
    tracer: Tracer, fake: FakeProvider, read_events: Callable[..., Any]
) -> None:
    with sync_client(fake) as client:
        client.embeddings.create(model="text-embedding-3-small", input="a")
    default = tracer._root_parent()
    assert default is not None
    (event,) = await read_events(default.session.event_id)
    assert (event["event_name"], event["parent_id"]) == (
        "openai.embeddings.create",
        default.session.event_id,
    )


async def test_the_responses_stream_helper_is_one_event_sync_and_async(
    tracer: Tracer, fake: FakeProvider, read_events: Callable[..., Any]
) -> None:
    async with tracer.session("chat") as session:
        with (
            sync_client(fake) as client,
            client.responses.stream(model="gpt-4.1", input="How are events grouped?") as stream,
        ):
            final = stream.get_final_response()
        async with async_client(fake) as aclient:
            manager = aclient.responses.stream(model="gpt-4.1", input="How are events grouped?")
            async with manager as astream:
                async for _ in astream:
                    break
    assert final.output_text == "".join(REPLY)
    done, stopped = await read_events(session.event_id)
    for event in (done, stopped):
        assert event["event_name"] == "openai.responses.create"  # what the helper calls
    assert done["outputs"] == {"role": "assistant", "content": "".join(REPLY)}
    assert done["metrics"]["prompt_tokens"] == 11
    assert stopped["metadata"]["stopped_early"] is True
