"""OTLP spans into events: un-flattening, the conventions, ids, times, errors (pure functions)."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

import pytest

from honeyhive_async._otel_mapping._flat import decode_json_text, unflatten
from honeyhive_async._otel_mapping._mapping import trace_session_id
from honeyhive_async.server.otlp import SpanData, SpanEventData, event_id_of, map_span

TRACE = "5b8aa5a2d2c872e8321cf37308d69df2"
SPAN = "051581bf3cb55c13"
PARENT = "ab1581bf3cb55c99"
START_NS = 1_700_000_000_123_456_789


def span(**changes: Any) -> SpanData:
    base = SpanData(
        trace_id=TRACE,
        span_id=SPAN,
        parent_span_id=None,
        name="work",
        kind=1,
        start_ns=START_NS,
        end_ns=START_NS + 2_500_000,
        attributes={},
        events=[],
        status_code=0,
        status_message="",
        resource={"service.name": "my-app"},
        scope="my.scope",
    )
    return dataclasses.replace(base, **changes)


def event_of(**changes: Any) -> dict[str, Any]:
    return map_span(span(**changes)).fields


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        ([("a", 1)], {"a": 1}),
        ([("a.b", 1), ("a.c", "x")], {"a": {"b": 1, "c": "x"}}),
        ([("m.0.role", "user"), ("m.1.role", "bot")], {"m": [{"role": "user"}, {"role": "bot"}]}),
        ([("m.1", "b"), ("m.0", "a"), ("m.10", "k")], {"m": {"0": "a", "1": "b", "10": "k"}}),
        ([("l.0", "a"), ("l.2", "c")], {"l": ["a", None, "c"]}),  # a None the tracer skipped
        ([("l.999999999", "x")], {"l": {"999999999": "x"}}),  # sparse: never a huge list
        ([("l.01", "x"), ("l.0", "y")], {"l": {"01": "x", "0": "y"}}),  # "01" is no index
        ([("a", 1), ("a.b", 2)], {"a": {"value": 1, "b": 2}}),  # scalar and object on one key
        ([("", {"k": 1}), ("j", 2)], {"k": 1, "j": 2}),  # the namespace itself, an object
        ([("", "text")], {"value": "text"}),  # the namespace itself, a scalar
        ([("0", "a"), ("1", "b")], ["a", "b"]),
        ([], {}),
    ],
)
def test_unflatten(pairs: list[tuple[str, Any]], expected: Any) -> None:
    assert unflatten(pairs) == expected


def test_unflatten_keeps_a_key_of_thousands_of_digits_as_a_key() -> None:
    # int() refuses over 4300 digits: such a key made the OTLP route answer 500.
    digits = "9" * 5000
    assert unflatten([(f"a.{digits}", 1), ("a.0", 2)]) == {"a": {digits: 1, "0": 2}}
    assert unflatten([(digits, 1)]) == {digits: 1}


def test_unflatten_bounds_key_depth() -> None:
    nested = unflatten([(".".join(["k"] * 100), 1)])
    keys = []
    while isinstance(nested, dict):
        ((key, nested),) = nested.items()
        keys.append(key)
    assert len(keys) == 32
    assert keys[-1] == ".".join(["k"] * 69)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a": [1]}', {"a": [1]}),
        ("[1, 2]", [1, 2]),
        ("12", "12"),
        ("true", "true"),
        ("{not json", "{not json"),
        ("[" * 40 + "]" * 40, "[" * 40 + "]" * 40),  # deeper than stored events may nest
        (5, 5),
    ],
)
def test_decode_json_text(text: Any, expected: Any) -> None:
    assert decode_json_text(text) == expected


def test_ids_are_deterministic_uuids() -> None:
    first = map_span(span())
    assert (
        first.fields["event_id"] == event_id_of(TRACE, SPAN) == map_span(span()).fields["event_id"]
    )
    assert uuid.UUID(first.fields["event_id"]).version == 5
    assert event_id_of(TRACE, PARENT) != event_id_of(TRACE, SPAN)
    assert uuid.UUID(first.trace_session_id).version == 5
    assert first.trace_session_id == trace_session_id(TRACE)


def test_parent_span_becomes_the_parent_event() -> None:
    child = map_span(span(parent_span_id=PARENT))
    assert child.parent_event_id == event_id_of(TRACE, PARENT)
    assert map_span(span()).parent_event_id is None


def test_times_are_integer_ms_and_duration_keeps_its_fraction() -> None:
    event = event_of()
    assert (event["start_time"], event["end_time"]) == (1_700_000_000_123, 1_700_000_000_125)
    assert isinstance(event["start_time"], int)
    assert isinstance(event["end_time"], int)
    assert event["duration"] == 2.5


@pytest.mark.parametrize(
    ("recorded", "expected"),
    [(12.25, 12.25), (3, 3.0), (-1, 2.5), (float("nan"), 2.5), ("12", 2.5), (True, 2.5)],
)
def test_honeyhive_duration_ms_wins_when_sane(recorded: Any, expected: float) -> None:
    assert event_of(attributes={"honeyhive_duration_ms": recorded})["duration"] == expected


def test_honeyhive_attributes_as_the_official_tracer_writes_them() -> None:
    sid = "0b9d3a52-5a49-4d44-9a38-0d4b1f2f6c11"
    mapped = map_span(
        span(
            attributes={
                "honeyhive.session_id": sid,
                "traceloop.association.properties.session_id": sid,
                "honeyhive.project": "the-project",
                "honeyhive.source": "dev",
                "honeyhive.parent_id": "1d1c6c59-6a0e-4a43-9d89-64e6b0b3a1f2",
                "honeyhive_event_type": "chain",
                "honeyhive_event_name": "pipeline",
                "honeyhive_inputs.question": "q?",
                "honeyhive_inputs.options": '{"depth": 2}',
                "honeyhive_inputs.history.0.role": "user",
                "honeyhive_inputs.history.1.role": "assistant",
                "honeyhive_outputs.result": "a",
                "honeyhive_config.model": "m",
                "honeyhive_metadata.retries": 0,
                "honeyhive_metrics.score": 0.5,
                "honeyhive_feedback.rating": 5,
                "honeyhive_user_properties.plan": "pro",
                "honeyhive_user_id": "u-1",
                "honeyhive_duration_ms": 2.0,
                "http.method": "GET",
                "baggage.tenant": "acme",
                "honeyhive_inputsish": 1,
            }
        )
    )
    event = mapped.fields
    assert mapped.session_id == sid
    assert mapped.explicit_parent_id == "1d1c6c59-6a0e-4a43-9d89-64e6b0b3a1f2"
    assert (event["event_type"], event["event_name"], event["source"]) == (
        "chain",
        "pipeline",
        "dev",
    )
    assert event["inputs"] == {
        "question": "q?",
        "options": {"depth": 2},
        "history": [{"role": "user"}, {"role": "assistant"}],
    }
    assert event["outputs"] == {"result": "a"}
    assert event["config"] == {"model": "m"}
    assert event["metrics"] == {"score": 0.5}
    assert event["feedback"] == {"rating": 5}
    assert event["user_properties"] == {"plan": "pro", "user_id": "u-1"}
    assert event["duration"] == 2.0
    assert event["metadata"] == {
        "retries": 0,
        "http": {"method": "GET"},
        "baggage": {"tenant": "acme"},
        "honeyhive_inputsish": 1,  # not a namespace: kept, not lost
        "otel": {"trace_id": TRACE, "span_id": SPAN, "kind": "internal", "scope": "my.scope"},
    }
    assert "the-project" not in str(event)  # the project comes from the key


def test_the_dotted_type_and_name_are_read_not_copied_into_metadata() -> None:
    # honeyhive==1.7.0's tracer.trace(name, event_type=...) and start_span write them beside
    # honeyhive_event_type/_name; metadata showed them again as {"honeyhive": {...}}.
    event = event_of(
        attributes={
            "honeyhive.event_type": "model",
            "honeyhive.event_name": "call",
            "honeyhive_event_type": "model",
        }
    )
    assert (event["event_type"], event["event_name"]) == ("model", "call")
    assert "honeyhive" not in event["metadata"]


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        ({"honeyhive_event_type": "model"}, "model"),
        ({"honeyhive_event_type": "session"}, "tool"),  # a span is never a session
        ({"honeyhive_event_type": "bogus", "openinference.span.kind": "CHAIN"}, "chain"),
        ({"honeyhive_event_type_raw": "chain"}, "chain"),
        ({"honeyhive.event_type": "chain"}, "chain"),  # 1.7.0's tracer.trace(event_type=)
        ({"gen_ai.operation.name": "chat"}, "model"),
        ({"gen_ai.operation.name": "execute_tool", "gen_ai.request.model": "m"}, "tool"),
        ({"gen_ai.operation.name": "invoke_agent"}, "chain"),
        ({"openinference.span.kind": "LLM"}, "model"),
        ({"openinference.span.kind": "agent"}, "chain"),
        ({"openinference.span.kind": "RETRIEVER"}, "tool"),
        ({"gen_ai.request.model": "m"}, "model"),
        ({"llm.model_name": "m"}, "model"),
        ({}, "tool"),
    ],
)
def test_event_type(attributes: dict[str, Any], expected: str) -> None:
    assert event_of(attributes=attributes)["event_type"] == expected


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, None),
        ({"status_code": 2, "status_message": "boom"}, "boom"),
        ({"status_code": 2}, "error"),
        ({"status_code": 1, "status_message": "fine"}, None),
        (
            {
                "status_code": 2,
                "status_message": "ValueError: bad",
                "events": [
                    SpanEventData(
                        "exception",
                        START_NS,
                        {"exception.type": "ValueError", "exception.message": "bad"},
                    )
                ],
            },
            "ValueError: bad",
        ),
        ({"events": [SpanEventData("exception", START_NS, {"exception.type": "E"})]}, "E"),
        ({"attributes": {"honeyhive_error": "explicit"}, "status_code": 2}, "explicit"),
    ],
)
def test_error(changes: dict[str, Any], expected: str | None) -> None:
    assert event_of(**changes)["error"] == expected


def test_genai_attributes_make_a_model_event() -> None:
    event = event_of(
        attributes={
            "gen_ai.system": "openai",
            "gen_ai.request.model": "gpt-4o",
            "gen_ai.request.temperature": 0.2,
            "gen_ai.request.max_tokens": 100,
            "gen_ai.response.model": "gpt-4o-2024",
            "gen_ai.usage.input_tokens": 10,
            "gen_ai.usage.output_tokens": 4,
            "gen_ai.prompt.0.role": "system",
            "gen_ai.prompt.0.content": "be brief",
            "gen_ai.prompt.1.role": "user",
            "gen_ai.prompt.1.content": "hi",
            "gen_ai.completion.0.role": "assistant",
            "gen_ai.completion.0.content": "hello",
            "gen_ai.completion.0.finish_reason": "stop",
        }
    )
    assert event["event_type"] == "model"
    assert event["config"] == {
        "provider": "openai",
        "model": "gpt-4o",
        "temperature": 0.2,
        "max_tokens": 100,
    }
    assert event["inputs"] == {
        "chat_history": [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": "hi"},
        ]
    }
    assert event["outputs"] == {"role": "assistant", "content": "hello", "finish_reason": "stop"}
    tokens = {"prompt_tokens": 10, "completion_tokens": 4, "total_tokens": 14}
    assert event["metrics"] == tokens
    assert event["metadata"]["response_model"] == "gpt-4o-2024"
    assert tokens.items() <= event["metadata"].items()  # where the session tree sums them


def test_genai_structured_messages() -> None:
    event = event_of(
        attributes={
            "gen_ai.provider.name": "anthropic",
            "gen_ai.operation.name": "chat",
            "gen_ai.input.messages": '[{"role": "user", "parts": [{"type": "text", "content": "hi"}]}]',
            "gen_ai.output.messages": '[{"role": "assistant", "parts": [{"type": "text", "content": "yo"}], "finish_reason": "stop"}]',
        }
    )
    assert event["inputs"] == {"chat_history": [{"role": "user", "content": "hi"}]}
    assert event["outputs"] == {"role": "assistant", "content": "yo", "finish_reason": "stop"}
    assert event["config"] == {"provider": "anthropic"}


def test_genai_message_events() -> None:
    event = event_of(
        attributes={"gen_ai.system": "openai", "gen_ai.request.model": "m"},
        events=[
            SpanEventData("gen_ai.system.message", START_NS, {"content": "be brief"}),
            SpanEventData("gen_ai.user.message", START_NS, {"content": "hi"}),
            SpanEventData(
                "gen_ai.choice",
                START_NS,
                {"message": '{"role": "assistant", "content": "hello"}', "finish_reason": "stop"},
            ),
        ],
    )
    assert event["inputs"] == {
        "chat_history": [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": "hi"},
        ]
    }
    assert event["outputs"] == {"role": "assistant", "content": "hello", "finish_reason": "stop"}


def test_genai_content_events_of_2024() -> None:
    event = event_of(
        attributes={"gen_ai.request.model": "m"},
        events=[
            SpanEventData(
                "gen_ai.content.prompt",
                START_NS,
                {"gen_ai.prompt": '[{"role": "user", "content": "q"}]'},
            ),
            SpanEventData(
                "gen_ai.content.completion",
                START_NS,
                {"gen_ai.completion": '[{"role": "assistant", "content": "a"}]'},
            ),
        ],
    )
    assert event["inputs"] == {"chat_history": [{"role": "user", "content": "q"}]}
    assert event["outputs"] == {"role": "assistant", "content": "a"}


def test_openinference_llm_span() -> None:
    event = event_of(
        attributes={
            "openinference.span.kind": "LLM",
            "llm.system": "openai",
            "llm.provider": "openai",
            "llm.model_name": "gpt-4o-2024-08-06",
            "llm.invocation_parameters": '{"model": "gpt-4o", "temperature": 0.3}',
            "llm.input_messages.0.message.role": "system",
            "llm.input_messages.0.message.content": "be brief",
            "llm.input_messages.1.message.role": "user",
            "llm.input_messages.1.message.contents.0.message_content.type": "text",
            "llm.input_messages.1.message.contents.0.message_content.text": "hi",
            "llm.output_messages.0.message.role": "assistant",
            "llm.output_messages.0.message.tool_calls.0.tool_call.id": "c1",
            "llm.output_messages.0.message.tool_calls.0.tool_call.function.name": "f",
            "llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments": "{}",
            "llm.tools.0.tool.json_schema": '{"type": "function", "function": {"name": "f"}}',
            "llm.token_count.prompt": 20,
            "llm.token_count.completion": 5,
            "llm.token_count.total": 25,
            "llm.cost.total": 0.01,
            "input.value": '{"messages": []}',
            "input.mime_type": "application/json",
            "output.value": "{}",
            "user.id": "u-9",
            "metadata": '{"team": "search"}',
        }
    )
    assert event["event_type"] == "model"
    assert event["config"] == {
        "provider": "openai",
        "model": "gpt-4o",
        "temperature": 0.3,
        "tools": [{"type": "function", "function": {"name": "f"}}],
    }
    assert event["inputs"] == {
        "chat_history": [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": "hi"},
        ]
    }
    assert event["outputs"] == {
        "role": "assistant",
        "tool_calls": [{"id": "c1", "function": {"name": "f", "arguments": "{}"}}],
    }
    assert event["metrics"] == {"prompt_tokens": 20, "completion_tokens": 5, "total_tokens": 25}
    assert event["metadata"]["cost"] == 0.01
    assert event["metadata"]["team"] == "search"
    assert event["user_properties"] == {"user_id": "u-9"}


@pytest.mark.parametrize(
    ("attributes", "inputs", "outputs"),
    [
        (
            {"input.value": '{"q": 1}', "input.mime_type": "application/json", "output.value": "x"},
            {"q": 1},
            {"value": "x"},
        ),
        ({"input.value": '{"q": 1}'}, {"value": '{"q": 1}'}, {}),  # text unless JSON is said
        (
            {"input.value": "[1]", "input.mime_type": "application/json"},
            {"value": [1]},
            {},
        ),
    ],
)
def test_openinference_values_of_other_spans(
    attributes: dict[str, Any], inputs: dict[str, Any], outputs: dict[str, Any]
) -> None:
    event = event_of(attributes={"openinference.span.kind": "CHAIN", **attributes})
    assert (event["event_type"], event["inputs"], event["outputs"]) == ("chain", inputs, outputs)


def test_honeyhive_fields_win_over_conventions() -> None:
    event = event_of(
        attributes={
            "gen_ai.request.model": "from-genai",
            "honeyhive_config.model": "from-honeyhive",
            "gen_ai.usage.input_tokens": 3,
            "honeyhive_metrics.prompt_tokens": 4,
        }
    )
    assert event["config"]["model"] == "from-honeyhive"
    assert event["metrics"]["prompt_tokens"] == 4


@pytest.mark.parametrize(
    ("attributes", "resource", "name", "expected"),
    [
        ({"honeyhive.session_name": "named"}, {"service.name": "svc"}, "root", "named"),
        ({}, {"service.name": "svc"}, "root", "svc"),
        ({}, {"service.name": "unknown_service:python"}, "root", "root"),
        ({}, {}, "root", "root"),
        ({}, {}, "", "unknown"),
    ],
)
def test_session_name(
    attributes: dict[str, Any], resource: dict[str, Any], name: str, expected: str
) -> None:
    assert (
        map_span(span(attributes=attributes, resource=resource, name=name)).session_name == expected
    )


@pytest.mark.parametrize(
    "key",
    [
        "honeyhive.session_id",
        "honeyhive_session_id",
        "traceloop.association.properties.session_id",
        "baggage.session_id",
        "baggage.honeyhive_session_id",
        "baggage.honeyhive.session_id",
    ],
)
def test_session_id_variants(key: str) -> None:
    mapped = map_span(span(attributes={key: "s-1"}))
    assert mapped.session_id == "s-1"
    assert "s-1" not in str(mapped.fields["metadata"])


def test_a_span_without_a_session_names_none() -> None:
    assert map_span(span()).session_id is None
    assert map_span(span(attributes={"honeyhive.session_id": "  "})).session_id is None


def test_secret_looking_keys_are_redacted_wherever_they_land() -> None:
    event = event_of(
        attributes={
            "http.request.header.authorization": ["Bearer abcdefgh12345678"],
            "honeyhive_inputs.password": "hunter2hunter2",
            "honeyhive_inputs.max_tokens": 5,
            "llm.model_name": "m",
            "llm.invocation_parameters": '{"api_key": "sk-abcdefgh12345678", "temperature": 1}',
            "honeyhive_metadata.client.openaiApiKey": "sk-zzzzzzzz",
        }
    )
    assert event["metadata"]["http"]["request"]["header"]["authorization"] == "[REDACTED]"
    assert event["inputs"] == {"password": "[REDACTED]", "max_tokens": 5}
    assert event["config"] == {"model": "m", "api_key": "[REDACTED]", "temperature": 1}
    assert event["metadata"]["client"] == {"openaiApiKey": "[REDACTED]"}
    assert "abcdefgh12345678" not in str(event)


@pytest.mark.parametrize(
    ("attributes", "source", "expected"),
    [
        ({"honeyhive.source": "dev"}, "prod", "dev"),
        ({"traceloop.association.properties.source": "ci"}, None, "ci"),
        ({}, "prod", "prod"),
        ({}, "  ", None),
        ({}, None, None),
    ],
)
def test_source(attributes: dict[str, Any], source: str | None, expected: str | None) -> None:
    assert map_span(span(attributes=attributes), source=source).fields["source"] == expected


def test_a_namespace_flattened_from_a_list_is_kept_under_value() -> None:
    event = event_of(attributes={"honeyhive_outputs.0": "a", "honeyhive_outputs.1": "b"})
    assert event["outputs"] == {"value": ["a", "b"]}


def test_other_attributes_flattened_from_a_list_land_under_metadata_value() -> None:
    event = event_of(attributes={"0": "a", "1": "b"})
    assert event["metadata"]["value"] == ["a", "b"]


def test_convention_attributes_not_read_into_fields_stay_in_metadata() -> None:
    event = event_of(
        attributes={
            "gen_ai.request.model": "m",
            "gen_ai.usage.cache_read_input_tokens": 3,
            "llm.token_count.prompt_details.cache_read": 3,
            "gen_ai.openai.api_base": "http://127.0.0.1",
        }
    )
    assert event["metadata"]["gen_ai"] == {
        "usage": {"cache_read_input_tokens": 3},
        "openai": {"api_base": "http://127.0.0.1"},
    }
    assert event["metadata"]["llm"] == {"token_count": {"prompt_details": {"cache_read": 3}}}
    assert "request" not in event["metadata"]["gen_ai"]


@pytest.mark.parametrize(
    ("kind", "expected"),
    [("workflow", "chain"), ("agent", "chain"), ("task", "tool"), ("tool", "tool"), ("x", "tool")],
)
def test_openllmetry_span_kinds(kind: str, expected: str) -> None:
    assert event_of(attributes={"traceloop.span.kind": kind})["event_type"] == expected


def test_openllmetry_entities() -> None:
    event = event_of(
        name="answer.workflow",
        attributes={
            "traceloop.span.kind": "workflow",
            "traceloop.entity.name": "answer",
            "traceloop.entity.input": '{"args": ["q"], "kwargs": {"k": 1}}',
            "traceloop.entity.output": '"a"',
            "traceloop.association.properties.session_id": "s-1",
        },
    )
    assert (event["event_type"], event["event_name"]) == ("chain", "answer")
    assert event["inputs"] == {"args": ["q"], "kwargs": {"k": 1}}
    assert event["outputs"] == {"value": '"a"'}
    assert "traceloop" not in event["metadata"]
