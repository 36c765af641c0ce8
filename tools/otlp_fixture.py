"""Write tests/fixtures/otlp_honeyhive_1_7_0.json: what honeyhive==1.7.0's OTLP/JSON exporter sends.

Run in a venv with ``honeyhive==1.7.0`` (the ``bench`` extra has it)::

    .venv-bench/bin/python -m tools.otlp_fixture

The spans carry the attributes 1.7.0's span processor and ``@trace`` stamp (session, project
and source under ``honeyhive.*`` and ``traceloop.association.properties.*``, the event type,
flattened inputs, outputs and metadata, ``honeyhive_duration_ms``), one span of another
instrumentation scope (a model call in GenAI attributes) and a failed call; the exporter's own
encoder (``OTLPJSONExporter._spans_to_otlp_json_payload``) writes them: ids in hex, int64 as
strings, enums as names, spans grouped by scope, ``parentSpanId: null`` on the root.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "otlp_honeyhive_1_7_0.json"
SESSION_ID = "0b9d3a52-5a49-4d44-9a38-0d4b1f2f6c11"


def main() -> None:
    """Record the spans in memory and write the exporter's payload for them."""
    from honeyhive.tracer.processing.otlp_exporter import (  # type: ignore[import-not-found]
        OTLPJSONExporter,
    )
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from opentelemetry.trace import Status, StatusCode

    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "hh-app"}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    stamped: dict[str, Any] = {
        "honeyhive.session_id": SESSION_ID,
        "traceloop.association.properties.session_id": SESSION_ID,
        "honeyhive.project": "demo-project",
        "traceloop.association.properties.project": "demo-project",
        "honeyhive.source": "dev",
        "traceloop.association.properties.source": "dev",
    }
    app = provider.get_tracer("honeyhive.tracer", "1.7.0")
    llm = provider.get_tracer("opentelemetry.instrumentation.openai", "0.40.0")
    with app.start_as_current_span("answer", attributes=stamped) as root:
        root.set_attribute("honeyhive_event_type", "chain")
        root.set_attribute("honeyhive_inputs.question", "What is OTLP?")
        root.set_attribute("honeyhive_inputs.options", json.dumps({"depth": 2}))
        root.set_attribute("honeyhive_metadata.retries", 0)
        with llm.start_as_current_span("openai.chat", attributes=stamped) as call:
            call.set_attribute("honeyhive_event_type", "model")
            call.set_attribute("gen_ai.system", "openai")
            call.set_attribute("gen_ai.request.model", "gpt-4o-mini")
            call.set_attribute("gen_ai.request.temperature", 0.5)
            call.set_attribute("gen_ai.usage.prompt_tokens", 12)
            call.set_attribute("gen_ai.usage.completion_tokens", 7)
            call.set_attribute("gen_ai.prompt.0.role", "user")
            call.set_attribute("gen_ai.prompt.0.content", "What is OTLP?")
            call.set_attribute("gen_ai.completion.0.role", "assistant")
            call.set_attribute("gen_ai.completion.0.content", "A protocol.")
        with app.start_as_current_span("lookup", attributes=stamped) as failed:
            failed.set_attribute("honeyhive_event_type", "tool")
            failed.set_attribute("honeyhive_inputs.key", "otlp")
            failed.record_exception(KeyError("otlp"))
            failed.set_status(Status(StatusCode.ERROR, "KeyError: 'otlp'"))
            failed.set_attribute("honeyhive_duration_ms", 1.5)
        root.set_attribute("honeyhive_outputs.result", "A protocol.")
        root.set_attribute("honeyhive_duration_ms", 12.25)
    provider.shutdown()
    exporter = OTLPJSONExporter(endpoint="http://127.0.0.1:1/opentelemetry/v1/traces")
    payload = exporter._spans_to_otlp_json_payload(memory.get_finished_spans())
    OUT.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
