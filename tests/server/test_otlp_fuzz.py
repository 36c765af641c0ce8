"""No body makes ``POST /opentelemetry/v1/traces`` answer 5xx, and a refused body stores nothing.

Random JSON, and random OTLP-shaped JSON (each field either plausible or any JSON value), go
to a real server over loopback; every answer is a 200, 400 or 413, and after a 4xx the store
holds what it held before. Then many more attribute shapes go straight through the mapping and
the store: every batch stores and every session tree encodes.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from typing import Any

import msgspec
import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from honeyhive_async.server import LocalServer
from honeyhive_async.server.otlp import SpanData, SpanEventData, map_span
from honeyhive_async.server.store import EventQuery, Store
from tests.tracing.conftest import ThreadedServer

PATH = "/opentelemetry/v1/traces"

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


def maybe(good: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A plausible value nine times in ten, any JSON value the tenth."""
    return st.one_of(*[good] * 9, json_values)


# Mostly valid ids from small pools, so spans of a trace find their parents; sometimes not.
bad_ids = st.sampled_from(["", "00", "0" * 16, "0" * 32, "ZZ" * 8, "ab" * 9])
trace_ids = st.one_of(*[st.just(f"{n:032x}") for n in (1, 2)], bad_ids)
span_ids = st.one_of(*[st.just(f"{n:016x}") for n in (1, 2, 3, 4)], bad_ids)
nanos = st.one_of(
    *[
        st.integers(min_value=1_796_000_000_000_000_000, max_value=1_796_000_000_900_000_000).map(
            str
        )
    ]
    * 8,
    st.integers(min_value=-1, max_value=2**64),
    st.text(max_size=25),
)
keys = st.sampled_from(
    [
        "honeyhive.session_id",
        "honeyhive_inputs.a.0",
        "honeyhive_inputs.a.b",
        "honeyhive_outputs",
        "honeyhive_outputs.0",
        "honeyhive_outputs.1",
        "honeyhive_config.0",
        "gen_ai.prompt.0",
        "gen_ai.completion.1.role",
        "llm.output_messages.0",
        "llm.tools.0.tool.json_schema",
        "honeyhive_metrics.x",
        "honeyhive_duration_ms",
        "honeyhive_event_type",
        "gen_ai.prompt.0.content",
        "gen_ai.input.messages",
        "gen_ai.request.model",
        "llm.input_messages.0.message.role",
        "llm.invocation_parameters",
        "llm.token_count.prompt",
        "input.value",
        "openinference.span.kind",
        "metadata",
        "a..b",
        "",
    ]
)
texts = st.text(max_size=30) | json_values.map(json.dumps)  # JSON text: tracers send it so
any_values: st.SearchStrategy[Any] = st.recursive(
    st.fixed_dictionaries({"stringValue": texts})
    | st.fixed_dictionaries({"intValue": st.integers(-(2**63), 2**63 - 1).map(str)})
    | st.fixed_dictionaries({"intValue": st.integers() | st.text(max_size=22)})  # out of range
    | st.fixed_dictionaries({"doubleValue": st.floats() | st.sampled_from(["NaN", "-Infinity"])})
    | st.fixed_dictionaries({"boolValue": st.booleans()})
    | st.fixed_dictionaries({"bytesValue": st.binary(max_size=8).map(lambda b: b.hex())}),
    lambda children: (
        st.fixed_dictionaries(
            {"arrayValue": st.fixed_dictionaries({"values": st.lists(children, max_size=3)})}
        )
        | st.fixed_dictionaries(
            {
                "kvlistValue": st.fixed_dictionaries(
                    {
                        "values": st.lists(
                            st.fixed_dictionaries({"key": keys, "value": children}), max_size=3
                        )
                    }
                )
            }
        )
    ),
    max_leaves=8,
)
attributes = st.lists(st.fixed_dictionaries({"key": keys, "value": any_values}), max_size=6)
events = st.lists(
    st.fixed_dictionaries(
        {
            "name": st.sampled_from(["exception", "gen_ai.choice", "gen_ai.user.message", "x"]),
            "attributes": attributes,
        }
    ),
    max_size=2,
)
spans = st.fixed_dictionaries(
    {
        "traceId": trace_ids,
        "spanId": span_ids,
        "name": st.text(max_size=10),
        "startTimeUnixNano": nanos,
        "endTimeUnixNano": nanos,
        "attributes": attributes,
    },
    optional={
        "parentSpanId": span_ids | st.none(),
        "kind": st.integers(-1, 7) | st.sampled_from(["SPAN_KIND_SERVER", "nope"]),
        "status": st.fixed_dictionaries({"code": st.integers(0, 3), "message": st.text()}),
        "events": events,
        "links": json_values,  # not read: any value is ignored
    },
)
otlp_bodies = st.fixed_dictionaries(
    {
        "resourceSpans": st.lists(
            st.fixed_dictionaries(
                {
                    "resource": st.fixed_dictionaries({"attributes": attributes}),
                    "scopeSpans": st.lists(
                        st.fixed_dictionaries(
                            {"spans": st.lists(maybe(spans), min_size=1, max_size=4)}
                        ),
                        min_size=1,
                        max_size=2,
                    ),
                }
            ),
            min_size=1,
            max_size=2,
        )
    }
)


@pytest.fixture(scope="module")
def fuzz_server() -> Iterator[LocalServer]:
    with ThreadedServer() as server:
        yield server


def _auth(server: LocalServer) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.api_key}"}


def _count(server: LocalServer) -> int:
    """How many events the server holds (asked over HTTP: the store lives on its thread)."""
    reply = requests.post(
        server.url + "/v1/events/search", json={"limit": 1}, headers=_auth(server), timeout=30
    )
    assert reply.status_code == 200, reply.text
    count: int = reply.json()["count"]
    return count


def _post(server: LocalServer, body: bytes, **headers: str) -> int:
    before = _count(server)
    reply = requests.post(
        server.url + PATH,
        data=body,
        headers={**_auth(server), "Content-Type": "application/json", **headers},
        timeout=30,
    )
    assert reply.status_code in (200, 400, 413), (reply.status_code, reply.text, body[:500])
    if reply.status_code != 200:
        assert _count(server) == before, "a refused body stored something"
    return reply.status_code


_SETTINGS = settings(
    max_examples=100,
    deadline=None,  # a shared CI machine; speed is measured in benchmarks/, not here
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@_SETTINGS
@given(body=json_values)
def test_random_json_is_never_a_5xx(fuzz_server: LocalServer, body: Any) -> None:
    _post(fuzz_server, json.dumps(body).encode())


@_SETTINGS
@given(body=otlp_bodies)
def test_random_otlp_shaped_json_is_never_a_5xx(fuzz_server: LocalServer, body: Any) -> None:
    _post(fuzz_server, json.dumps(body).encode())


@settings(_SETTINGS, max_examples=50)
@given(raw=st.binary(max_size=200))
def test_random_bytes_gzip_or_not_are_never_a_5xx(fuzz_server: LocalServer, raw: bytes) -> None:
    _post(fuzz_server, raw)
    _post(fuzz_server, raw, **{"Content-Encoding": "gzip"})
    _post(fuzz_server, gzip.compress(raw), **{"Content-Encoding": "gzip"})
    _post(fuzz_server, raw, **{"Content-Type": "application/x-protobuf"})


# -- the mapping and the store directly: many more attribute shapes per second ---------------

_PREFIXES = [
    "honeyhive_inputs",
    "honeyhive_outputs",
    "honeyhive_config",
    "honeyhive_metadata",
    "honeyhive_metrics",
    "honeyhive_feedback",
    "honeyhive_user_properties",
    "gen_ai.prompt",
    "gen_ai.completion",
    "gen_ai.request",
    "gen_ai.usage",
    "llm.input_messages",
    "llm.output_messages",
    "llm.tools",
    "llm.prompt_template",
    "llm.token_count",
    "http",
    "",
]
_SEGMENTS = st.sampled_from(["0", "1", "2", "10", "message", "role", "content", "a", "", "tool"])
attribute_keys = st.one_of(
    keys,
    st.tuples(st.sampled_from(_PREFIXES), st.lists(_SEGMENTS, max_size=5)).map(
        lambda parts: ".".join([parts[0], *parts[1]]).strip(".")
    ),
)
attribute_values = st.one_of(
    json_values, texts, st.lists(st.text(max_size=5) | st.integers(), max_size=3)
)
span_events = st.lists(
    st.builds(
        SpanEventData,
        name=st.sampled_from(
            ["exception", "gen_ai.choice", "gen_ai.user.message", "gen_ai.content.prompt", "x"]
        ),
        time_ns=st.just(1),
        attributes=st.dictionaries(attribute_keys, attribute_values, max_size=4),
    ),
    max_size=3,
)
span_data = st.builds(
    SpanData,
    trace_id=st.sampled_from(["1" * 32, "2" * 32]),
    span_id=st.sampled_from([f"{n:016x}" for n in (1, 2, 3, 4)]),
    parent_span_id=st.sampled_from([None, *[f"{n:016x}" for n in (1, 2, 3, 4)]]),
    name=st.text(max_size=5),
    kind=st.integers(-1, 7),
    start_ns=st.integers(1, 10**18),
    end_ns=st.just(10**18),
    attributes=st.dictionaries(attribute_keys, attribute_values, max_size=8),
    events=span_events,
    status_code=st.integers(0, 3),
    status_message=st.text(max_size=5),
    resource=st.dictionaries(st.sampled_from(["service.name", "x"]), attribute_values),
    scope=st.text(max_size=5),
)


@settings(_SETTINGS, max_examples=100)
@given(batches=st.lists(st.lists(span_data, min_size=1, max_size=4), min_size=1, max_size=3))
def test_any_spans_map_store_and_read_back(batches: list[list[SpanData]]) -> None:
    store = Store()
    try:
        for batch in batches:
            store.spans.ingest([map_span(span, source="fuzz") for span in batch])
        session_ids = {event["session_id"] for event in store.events.matching(EventQuery())}
        for session_id in session_ids:
            tree = store.sessions.tree(session_id)
            if tree is not None:
                msgspec.json.encode(tree)
    finally:
        store.close()
