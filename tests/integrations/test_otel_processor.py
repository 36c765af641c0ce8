"""`HoneyHiveSpanProcessor`: OpenInference's instrumented `openai` client nests under `@trace`."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import openai
import pytest
from openinference.instrumentation.openai import OpenAIInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import Status, StatusCode

from honeyhive_async.integrations.otel import HoneyHiveSpanProcessor
from honeyhive_async.tracing import Tracer, trace

from .fake_provider import REPLY, FakeProvider

KEY = "sk-proj-otel0123456789abcdefghijklmnop"
QUESTION = [{"role": "user", "content": "How are events grouped?"}]


@pytest.fixture
def provider(tracer: Tracer) -> Iterator[TracerProvider]:
    made = TracerProvider()
    made.add_span_processor(HoneyHiveSpanProcessor(tracer))
    instrumentor = OpenAIInstrumentor()
    instrumentor.instrument(tracer_provider=made)
    yield made
    instrumentor.uninstrument()
    made.shutdown()


async def test_an_instrumented_openai_call_is_a_model_event_under_the_trace_span(
    tracer: Tracer,
    fake: FakeProvider,
    provider: TracerProvider,
    read_events: Callable[..., Any],
) -> None:
    client: Any = openai.OpenAI(api_key=KEY, base_url=f"{fake.url}/v1", max_retries=0)

    @trace(event_type="chain", event_name="answer", tracer=tracer)
    def answer() -> Any:
        reply = client.chat.completions.create(model="gpt-4o-mini", messages=QUESTION)
        return reply.choices[0].message.content

    with client:
        async with tracer.session("chat") as session:
            assert answer() == "".join(REPLY)
    model, chain = await read_events(session.event_id)
    assert chain["parent_id"] == session.event_id
    assert model["parent_id"] == chain["event_id"]
    assert chain["children_ids"] == [model["event_id"]]
    assert model["event_type"] == "model"
    assert model["config"]["provider"] == "openai"
    assert model["config"]["model"] == "gpt-4o-mini"
    assert model["inputs"]["chat_history"] == QUESTION
    assert model["outputs"]["content"] == "".join(REPLY)
    assert model["metrics"] == {"prompt_tokens": 11, "completion_tokens": 3, "total_tokens": 14}
    assert model["metadata"]["otel"]["scope"].startswith("openinference")
    assert KEY not in json.dumps(model)


async def test_nested_otel_spans_keep_their_shape_and_errors_under_the_current_span(
    tracer: Tracer, read_events: Callable[..., Any]
) -> None:
    provider = TracerProvider()
    provider.add_span_processor(HoneyHiveSpanProcessor(tracer))
    otel = provider.get_tracer("tests.otel")
    async with tracer.session("agent") as session:
        # Nested on purpose: the inner span starts while the outer one is current.
        with otel.start_as_current_span("plan", attributes={"honeyhive_event_type": "chain"}):  # noqa: SIM117
            with otel.start_as_current_span("lookup") as lookup:
                lookup.set_attribute("honeyhive_inputs.query", "events")
                lookup.set_status(Status(StatusCode.ERROR, "not found"))
    provider.shutdown()
    events = await read_events(session.event_id)
    by_name = {e["event_name"]: e for e in events}
    assert by_name["plan"]["parent_id"] == session.event_id
    assert by_name["plan"]["event_type"] == "chain"
    assert by_name["lookup"]["parent_id"] == by_name["plan"]["event_id"]
    assert by_name["lookup"]["inputs"] == {"query": "events"}
    assert by_name["lookup"]["error"] == "not found"


async def test_spans_go_to_the_default_session_outside_any_span(
    tracer: Tracer, read_events: Callable[..., Any]
) -> None:
    provider = TracerProvider()
    provider.add_span_processor(HoneyHiveSpanProcessor(tracer))
    with provider.get_tracer("tests.otel").start_as_current_span("alone"):
        pass
    provider.shutdown()
    default = tracer._root_parent()
    assert default is not None
    (event,) = await read_events(default.session.event_id)
    assert event["event_name"] == "alone"
