"""Real OpenTelemetry apps export to the local server; our client reads back the tree.

An app on ``opentelemetry-sdk`` with its OTLP/HTTP protobuf exporter (plain and gzip), the same
app over OTLP/JSON (the Python SDK has no JSON exporter: `OtlpJsonExporter` below encodes the
spans with the SDK's own protobuf encoder, then ``google.protobuf.json_format`` with the OTLP
JSON rules: hex ids, enums as numbers), and the ``openai`` client instrumented by OpenInference,
calling a fake OpenAI on loopback. The SDK's exporters run on their own threads, as in an app.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import openai
import pytest
import requests
from aiohttp import web
from google.protobuf import json_format
from openinference.instrumentation.openai import OpenAIInstrumentor
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

from honeyhive_async import AsyncHoneyHive
from honeyhive_async.server import LocalServer
from honeyhive_async.server.store import EventQuery

SESSION = "6f1d2b8e-3c4a-4e5f-9a0b-1c2d3e4f5a6b"
QUESTION = "What does OTLP stand for?"
ANSWER = "OpenTelemetry Protocol."


class OtlpJsonExporter(SpanExporter):
    """OTLP/JSON over HTTP: the SDK's encoder, then the protobuf JSON mapping made OTLP's."""

    def __init__(self, endpoint: str, headers: dict[str, str]) -> None:
        self._endpoint = endpoint
        self._headers = {**headers, "Content-Type": "application/json"}
        self.replies: list[Any] = []

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        body = json_format.MessageToDict(encode_spans(spans), use_integers_for_enums=True)
        for resource_spans in body["resourceSpans"]:
            for scope_spans in resource_spans["scopeSpans"]:
                for span in scope_spans["spans"]:
                    for key in ("traceId", "spanId", "parentSpanId"):
                        if key in span:  # protobuf JSON writes bytes as base64; OTLP says hex
                            span[key] = base64.b64decode(span[key]).hex()
        reply = requests.post(
            self._endpoint, data=json.dumps(body), headers=self._headers, timeout=10
        )
        self.replies.append((reply.status_code, reply.json()))
        return SpanExportResult.SUCCESS if reply.status_code == 200 else SpanExportResult.FAILURE

    def shutdown(self) -> None:
        pass


def run_app(exporter: SpanExporter) -> bool:
    """A traced question-answering app; return what ``force_flush`` said."""
    provider = TracerProvider(resource=Resource.create({"service.name": "otel-app"}))
    provider.add_span_processor(BatchSpanProcessor(exporter))
    tracer = provider.get_tracer("tests.otel_app", "1.0")
    root_attributes = {
        "honeyhive.session_id": SESSION,
        "honeyhive_event_type": "chain",
        "honeyhive_inputs.question": QUESTION,
    }
    with tracer.start_as_current_span("answer_question", attributes=root_attributes) as root:
        with tracer.start_as_current_span("retrieve") as tool:
            tool.set_attribute("honeyhive_event_type", "tool")
            tool.set_attribute("honeyhive_inputs.query", QUESTION)
            tool.set_attribute("honeyhive_outputs.docs.0.title", "OTLP spec")
            tool.set_attribute("honeyhive_outputs.docs.1.title", "OTel glossary")
        with tracer.start_as_current_span("chat gpt-4o") as llm:
            llm.set_attributes(
                {
                    "gen_ai.operation.name": "chat",
                    "gen_ai.system": "openai",
                    "gen_ai.request.model": "gpt-4o",
                    "gen_ai.request.temperature": 0.2,
                    "gen_ai.request.max_tokens": 64,
                    "gen_ai.usage.input_tokens": 12,
                    "gen_ai.usage.output_tokens": 5,
                    "gen_ai.prompt.0.role": "user",
                    "gen_ai.prompt.0.content": QUESTION,
                    "gen_ai.completion.0.role": "assistant",
                    "gen_ai.completion.0.content": ANSWER,
                }
            )
        root.set_attribute("honeyhive_outputs.answer", ANSWER)
        root.set_attribute("honeyhive_metrics.grounded", True)
    flushed = provider.force_flush()
    provider.shutdown()
    return flushed


def protobuf_exporter(server: LocalServer, compression: Compression) -> OTLPSpanExporter:
    return OTLPSpanExporter(
        endpoint=f"{server.url}/opentelemetry/v1/traces",
        headers={"Authorization": f"Bearer {server.api_key}"},
        compression=compression,
    )


EXPORTERS: dict[str, Callable[[LocalServer], SpanExporter]] = {
    "protobuf": lambda server: protobuf_exporter(server, Compression.NoCompression),
    "protobuf-gzip": lambda server: protobuf_exporter(server, Compression.Gzip),
    "json": lambda server: OtlpJsonExporter(
        f"{server.url}/opentelemetry/v1/traces", {"Authorization": f"Bearer {server.api_key}"}
    ),
}


@pytest.mark.parametrize("transport", list(EXPORTERS))
async def test_otel_sdk_app_comes_back_as_a_tree(server: LocalServer, transport: str) -> None:
    exporter = EXPORTERS[transport](server)
    assert await asyncio.to_thread(run_app, exporter) is True
    posts = [r for r in server.requests if r.path == "/opentelemetry/v1/traces"]
    assert posts, "the exporter sent nothing"
    if isinstance(exporter, OtlpJsonExporter):
        assert exporter.replies == [(200, {})]
    assert server.store.count(SESSION) == 4  # landed: the session and three events
    async with AsyncHoneyHive(server.api_key, base_url=server.url) as client:
        tree = await client.session.get_tree(SESSION)
    assert [(d, e.event_type, e.event_name) for d, e in tree.walk_with_depth()] == [
        (0, "session", "otel-app"),
        (1, "chain", "answer_question"),
        (2, "tool", "retrieve"),
        (2, "model", "chat gpt-4o"),
    ]
    root = tree.children[0]
    assert root.inputs == {"question": QUESTION}
    assert root.outputs == {"answer": ANSWER}
    assert root.metrics == {"grounded": True}
    tool, model = root.children
    assert tool.outputs == {"docs": [{"title": "OTLP spec"}, {"title": "OTel glossary"}]}
    assert model.config == {
        "provider": "openai",
        "model": "gpt-4o",
        "temperature": 0.2,
        "max_tokens": 64,
    }
    assert model.inputs == {"chat_history": [{"role": "user", "content": QUESTION}]}
    assert model.outputs == {"role": "assistant", "content": ANSWER}
    assert model.metrics == {"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17}
    assert tree.metadata is not None
    assert tree.metadata["total_tokens"] == 17
    assert tree.children_ids == [root.event_id]
    assert root.children_ids == [tool.event_id, model.event_id]


# -- OpenInference: the openai client, instrumented, against a fake OpenAI on loopback --------


@pytest.fixture
async def fake_openai() -> AsyncIterator[str]:
    """A chat completions endpoint that answers every question "Paris."; yields its base URL."""

    async def completions(request: web.Request) -> web.Response:
        body = await request.json()
        return web.json_response(
            {
                "id": "chatcmpl-local",
                "object": "chat.completion",
                "created": 1_796_000_000,
                "model": f"{body['model']}-2024-08-06",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": "Paris."},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 14, "completion_tokens": 2, "total_tokens": 16},
            }
        )

    app = web.Application()
    app.router.add_post("/v1/chat/completions", completions)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    yield f"http://{host}:{port}/v1"
    await runner.cleanup()


def ask_openai(base_url: str, server: LocalServer) -> tuple[str | None, bool]:
    provider = TracerProvider(resource=Resource.create({"service.name": "geo-bot"}))
    provider.add_span_processor(BatchSpanProcessor(protobuf_exporter(server, Compression.Gzip)))
    instrumentor = OpenAIInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    try:
        client = openai.OpenAI(api_key="sk-local-fake", base_url=base_url)
        reply = client.chat.completions.create(
            model="gpt-4o",
            messages=[
                {"role": "system", "content": "Answer in one word."},
                {"role": "user", "content": "Capital of France?"},
            ],
            temperature=0.1,
            max_tokens=5,
        )
        client.close()
    finally:
        instrumentor.uninstrument()
    flushed = provider.force_flush()
    provider.shutdown()
    return reply.choices[0].message.content, flushed


async def test_openinference_openai_call_is_a_model_event(
    server: LocalServer, fake_openai: str
) -> None:
    content, flushed = await asyncio.to_thread(ask_openai, fake_openai, server)
    assert (content, flushed) == ("Paris.", True)
    (session,) = [
        e for e in server.store.events.matching(EventQuery()) if e["event_type"] == "session"
    ]
    async with AsyncHoneyHive(server.api_key, base_url=server.url) as client:
        tree = await client.session.get_tree(session["session_id"])
    assert [(d, e.event_type, e.event_name) for d, e in tree.walk_with_depth()] == [
        (0, "session", "geo-bot"),
        (1, "model", "ChatCompletion"),
    ]
    model = tree.children[0]
    assert model.config == {
        "provider": "openai",
        "model": "gpt-4o",
        "temperature": 0.1,
        "max_tokens": 5,
    }
    assert model.inputs == {
        "chat_history": [
            {"role": "system", "content": "Answer in one word."},
            {"role": "user", "content": "Capital of France?"},
        ]
    }
    assert model.outputs == {"role": "assistant", "content": "Paris.", "finish_reason": "stop"}
    assert model.metrics == {"prompt_tokens": 14, "completion_tokens": 2, "total_tokens": 16}
    assert model.error is None
    assert "sk-local-fake" not in json.dumps(model.to_dict())  # the key never lands
