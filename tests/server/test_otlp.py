"""``POST /opentelemetry/v1/traces``: OTLP/JSON and protobuf bodies, replies, errors, trees."""

from __future__ import annotations

import gzip
import itertools
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

from honeyhive_async import AsyncHoneyHive
from honeyhive_async.server import LocalServer
from honeyhive_async.server.app import MAX_BODY_BYTES
from honeyhive_async.server.otlp import event_id_of, trace_session_id
from honeyhive_async.server.store.sessions import MAX_TREE_DEPTH

PATH = "/opentelemetry/v1/traces"
JSON = "application/json"
PROTOBUF = "application/x-protobuf"
TRACE = "5b8aa5a2d2c872e8321cf37308d69df2"
ROOT, CHILD, GRANDCHILD = "1000000000000001", "2000000000000002", "3000000000000003"
T0 = 1_796_000_000_000_000_000
SESSION = "0b9d3a52-5a49-4d44-9a38-0d4b1f2f6c11"
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "otlp_honeyhive_1_7_0.json"


def attr(key: str, value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"key": key, "value": {"boolValue": value}}
    if isinstance(value, int):
        return {"key": key, "value": {"intValue": str(value)}}
    if isinstance(value, float):
        return {"key": key, "value": {"doubleValue": value}}
    return {"key": key, "value": {"stringValue": value}}


def otlp_span(
    span_id: str,
    name: str,
    parent: str | None = None,
    *,
    trace: str = TRACE,
    start: int = 0,
    end: int = 1,
    **attributes: Any,
) -> dict[str, Any]:
    span: dict[str, Any] = {
        "traceId": trace,
        "spanId": span_id,
        "name": name,
        "kind": 1,
        "startTimeUnixNano": str(T0 + start * 1_000_000),
        "endTimeUnixNano": str(T0 + end * 1_000_000),
        "attributes": [attr(key.replace("__", "."), value) for key, value in attributes.items()],
    }
    if parent:
        span["parentSpanId"] = parent
    return span


def request_of(*spans: dict[str, Any], service: str = "svc") -> dict[str, Any]:
    return {
        "resourceSpans": [
            {
                "resource": {"attributes": [attr("service.name", service)]},
                "scopeSpans": [{"scope": {"name": "tests"}, "spans": list(spans)}],
            }
        ]
    }


async def post(
    client: aiohttp.ClientSession,
    body: bytes,
    content_type: str = JSON,
    **headers: str,
) -> tuple[int, str, bytes]:
    async with client.post(PATH, data=body, headers={"Content-Type": content_type, **headers}) as r:
        return r.status, r.content_type, await r.read()


async def post_json(client: aiohttp.ClientSession, payload: Any) -> tuple[int, Any]:
    status, content_type, body = await post(client, json.dumps(payload).encode())
    assert content_type == JSON
    return status, json.loads(body)


async def tree_rows(server: LocalServer, session_id: str) -> list[tuple[int, Any, Any]]:
    async with AsyncHoneyHive(server.api_key, base_url=server.url) as hh:
        tree = await hh.session.get_tree(session_id)
    return [(depth, e.event_type, e.event_name) for depth, e in tree.walk_with_depth()]


def family(session_id: str = SESSION) -> list[dict[str, Any]]:
    sid = {"honeyhive__session_id": session_id}
    return [
        otlp_span(ROOT, "root", start=0, end=10, honeyhive_event_type="chain", **sid),
        otlp_span(CHILD, "child", ROOT, start=1, end=8, honeyhive_event_type="tool", **sid),
        otlp_span(GRANDCHILD, "llm", CHILD, start=2, end=5, gen_ai__request__model="m", **sid),
    ]


EXPECTED_TREE = [
    (0, "session", "svc"),
    (1, "chain", "root"),
    (2, "tool", "child"),
    (3, "model", "llm"),
]


async def test_json_export_becomes_a_session_tree(
    server: LocalServer, client: aiohttp.ClientSession
) -> None:
    status, reply = await post_json(client, request_of(*family()))
    assert (status, reply) == (200, {})
    assert await tree_rows(server, SESSION) == EXPECTED_TREE
    root = server.store.events.get(event_id_of(TRACE, ROOT))
    assert root is not None
    assert root["parent_id"] == SESSION
    assert root["children_ids"] == [event_id_of(TRACE, CHILD)]
    session = server.store.sessions.get(SESSION)
    assert session is not None
    assert session["children_ids"] == [root["event_id"]]
    assert (session["start_time"], session["end_time"]) == (T0 // 1_000_000, T0 // 1_000_000 + 10)


async def test_protobuf_export_answers_protobuf(
    server: LocalServer, client: aiohttp.ClientSession
) -> None:
    request = trace_service_pb2.ExportTraceServiceRequest()
    scope_spans = request.resource_spans.add().scope_spans.add()
    span = scope_spans.spans.add(
        trace_id=bytes.fromhex(TRACE),
        span_id=bytes.fromhex(ROOT),
        name="proto-root",
        start_time_unix_nano=T0,
        end_time_unix_nano=T0 + 3_000_000,
    )
    kv = span.attributes.add(key="honeyhive_inputs.items.0")
    kv.value.int_value = 7
    status, content_type, body = await post(client, request.SerializeToString(), PROTOBUF)
    assert (status, content_type) == (200, PROTOBUF)
    reply = trace_service_pb2.ExportTraceServiceResponse.FromString(body)
    assert not reply.HasField("partial_success")
    event = server.store.events.get(event_id_of(TRACE, ROOT))
    assert event is not None
    assert event["inputs"] == {"items": [7]}
    assert event["session_id"] == trace_session_id(TRACE)


async def test_gzip_body(server: LocalServer, client: aiohttp.ClientSession) -> None:
    body = gzip.compress(json.dumps(request_of(*family())).encode())
    status, _, _ = await post(client, body, JSON, **{"Content-Encoding": "gzip"})
    assert status == 200
    assert server.store.count(SESSION) == 4


async def test_gzip_bomb_is_413_and_stores_nothing(
    server: LocalServer, client: aiohttp.ClientSession
) -> None:
    bomb = gzip.compress(b'{"resourceSpans": [' + b" " * (MAX_BODY_BYTES + 1) + b"]}")
    assert len(bomb) < MAX_BODY_BYTES // 100
    status, _, body = await post(client, bomb, JSON, **{"Content-Encoding": "gzip"})
    assert status == 413, body
    assert server.store.count() == 0


async def test_broken_gzip_is_a_4xx(server: LocalServer, client: aiohttp.ClientSession) -> None:
    status, _, _ = await post(client, b"not gzip at all", JSON, **{"Content-Encoding": "gzip"})
    assert 400 <= status < 500
    assert server.store.count() == 0


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (b"", "not valid JSON"),
        (b"{", "not valid JSON"),
        (b"[]", "Expected `object`"),
        (b'{"resourceSpans": {}}', "$.resourceSpans"),
        (b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"name": 5}]}]}]}', "spans[0].name"),
        (
            b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"startTimeUnixNano": "soon"}]}]}]}',
            "startTimeUnixNano",
        ),
        (b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"kind": "SPAN_KIND_ODD"}]}]}]}', "kind"),
    ],
)
async def test_malformed_json_is_400_naming_the_problem(
    server: LocalServer, client: aiohttp.ClientSession, body: bytes, needle: str
) -> None:
    good = request_of(*family())["resourceSpans"]
    payload = json.loads(body) if body.startswith(b'{"') else None
    if payload is not None:  # good spans first: a bad one later must still store nothing
        payload["resourceSpans"] = (
            [*good, *payload["resourceSpans"]]
            if isinstance(payload["resourceSpans"], list)
            else payload["resourceSpans"]
        )
        body = json.dumps(payload).encode()
    status, content_type, raw = await post(client, body)
    assert (status, content_type) == (400, JSON)
    reply = json.loads(raw)
    assert reply["errorCode"] == "VALIDATION_ERROR"
    assert needle in reply["message"]
    assert server.store.count() == 0


async def test_malformed_attribute_value_stores_nothing(
    server: LocalServer, client: aiohttp.ClientSession
) -> None:
    bad = otlp_span(CHILD, "bad")
    bad["attributes"] = [{"key": "n", "value": {"intValue": "12x"}}]
    status, reply = await post_json(client, request_of(otlp_span(ROOT, "ok"), bad))
    assert status == 400
    assert "spans[1].attributes[0].value.intValue" in reply["message"]
    assert server.store.count() == 0


async def test_a_key_of_thousands_of_digits_is_stored_as_a_key(
    server: LocalServer, client: aiohttp.ClientSession
) -> None:
    digits = "9" * 5000  # past int()'s 4300-digit limit: this was a 500
    span = otlp_span(ROOT, "root", honeyhive__session_id=SESSION)
    span["attributes"] += [
        attr(f"honeyhive_inputs.{digits}", "a"),
        attr(f"extra.{digits}", "b"),
        attr("honeyhive_outputs.json", json.dumps({digits: "c"})),
    ]
    status, reply = await post_json(client, request_of(span))
    assert (status, reply) == (200, {})
    event = server.store.events.get(event_id_of(TRACE, ROOT))
    assert event is not None
    assert event["inputs"] == {digits: "a"}
    assert event["metadata"]["extra"] == {digits: "b"}
    assert event["outputs"] == {"json": {digits: "c"}}


async def test_malformed_protobuf_is_400_with_a_status(
    server: LocalServer, client: aiohttp.ClientSession
) -> None:
    status, content_type, body = await post(client, b"\xff\xff\xff\xff", PROTOBUF)
    assert (status, content_type) == (400, PROTOBUF)
    assert b"not an OTLP/protobuf trace export" in body
    assert body[:2] == b"\x08\x03"  # google.rpc.Status code INVALID_ARGUMENT
    assert server.store.count() == 0


async def test_some_bad_spans_get_partial_success(
    server: LocalServer, client: aiohttp.ClientSession
) -> None:
    short_id = otlp_span("abc", "short")
    zero_trace = otlp_span(CHILD, "zero", trace="0" * 32)
    backwards = otlp_span(GRANDCHILD, "backwards", start=5, end=1)
    payload = request_of(otlp_span(ROOT, "fine"), short_id, zero_trace, backwards)
    status, reply = await post_json(client, payload)
    assert status == 200
    partial = reply["partialSuccess"]
    assert partial["rejectedSpans"] == "3"
    assert "spans[1]: spanId 'abc'" in partial["errorMessage"]
    assert "spans[2]: traceId" in partial["errorMessage"]
    assert "spans[3]: endTimeUnixNano is before" in partial["errorMessage"]
    assert server.store.events.get(event_id_of(TRACE, ROOT)) is not None
    assert server.store.count() == 2  # the span and its session


async def test_partial_success_in_protobuf(client: aiohttp.ClientSession) -> None:
    request = trace_service_pb2.ExportTraceServiceRequest()
    spans = request.resource_spans.add().scope_spans.add().spans
    for span_id in (bytes.fromhex(ROOT), b"\x01"):
        spans.add(
            trace_id=bytes.fromhex(TRACE),
            span_id=span_id,
            start_time_unix_nano=T0,
            end_time_unix_nano=T0,
        )
    status, _, body = await post(client, request.SerializeToString(), PROTOBUF)
    assert status == 200
    reply = trace_service_pb2.ExportTraceServiceResponse.FromString(body)
    assert reply.partial_success.rejected_spans == 1
    assert "spanId '01'" in reply.partial_success.error_message


async def test_every_span_bad_is_400(server: LocalServer, client: aiohttp.ClientSession) -> None:
    status, reply = await post_json(client, request_of(otlp_span("abc", "short")))
    assert status == 400
    assert "Every span was rejected" in reply["message"]
    assert "spanId 'abc'" in reply["message"]
    assert server.store.count() == 0


async def test_empty_export_is_fine(server: LocalServer, client: aiohttp.ClientSession) -> None:
    assert await post_json(client, {}) == (200, {})
    assert await post_json(client, {"resourceSpans": []}) == (200, {})
    assert server.store.count() == 0


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/octet-stream", "application/xml"]
)
async def test_other_content_types_are_415(
    client: aiohttp.ClientSession, content_type: str
) -> None:
    status, _, body = await post(client, b"{}", content_type)
    assert status == 415
    assert "application/x-protobuf" in json.loads(body)["message"]


async def test_protobuf_without_the_extra_is_415_naming_it(
    server: LocalServer, client: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As if opentelemetry-proto were not installed: its import fails.
    monkeypatch.setitem(sys.modules, "opentelemetry.proto.collector.trace.v1", None)
    status, content_type, body = await post(client, b"", PROTOBUF)
    assert (status, content_type) == (415, PROTOBUF)
    assert b"honeyhive-async[otlp]" in body
    status, reply = await post_json(client, request_of(otlp_span(ROOT, "json still works")))
    assert (status, reply) == (200, {})


async def test_out_of_order_delivery_makes_the_same_tree(
    server: LocalServer, client: aiohttp.ClientSession
) -> None:
    root, child, grandchild = family()
    for part in ([grandchild], [child], [root]):  # leaves first, each its own request
        status, _ = await post_json(client, request_of(*part))
        assert status == 200
    assert await tree_rows(server, SESSION) == EXPECTED_TREE
    ids = [event_id_of(TRACE, s) for s in (ROOT, CHILD, GRANDCHILD)]
    for parent, kid in itertools.pairwise(ids):
        stored = server.store.events.get(parent)
        assert stored is not None
        assert stored["children_ids"] == [kid]
    # Sent again: the same events, not new ones.
    assert (await post_json(client, request_of(*family())))[0] == 200
    assert server.store.count(SESSION) == 4
    assert server.store.events.get(ids[1])["children_ids"] == [ids[2]]  # type: ignore[index]


async def test_spans_without_a_session_get_one_per_trace(
    server: LocalServer, client: aiohttp.ClientSession
) -> None:
    other = "aa" * 16
    spans = [
        otlp_span(ROOT, "first-root", start=0, end=4),
        otlp_span(CHILD, "first-child", ROOT, start=1, end=2),
        otlp_span(ROOT, "second-root", trace=other, start=0, end=2),
    ]
    status, _ = await post_json(client, request_of(*spans, service="unknown_service:python"))
    assert status == 200
    assert await tree_rows(server, trace_session_id(TRACE)) == [
        (0, "session", "first-root"),
        (1, "tool", "first-root"),
        (2, "tool", "first-child"),
    ]
    assert await tree_rows(server, trace_session_id(other)) == [
        (0, "session", "second-root"),
        (1, "tool", "second-root"),
    ]


async def test_a_child_without_a_session_joins_its_parents(
    server: LocalServer, client: aiohttp.ClientSession
) -> None:
    # An auto-instrumented span inside a traced call: only the caller's span names the session.
    await post_json(client, request_of(otlp_span(ROOT, "traced", honeyhive__session_id=SESSION)))
    await post_json(client, request_of(otlp_span(CHILD, "http", ROOT)))
    assert await tree_rows(server, SESSION) == [
        (0, "session", "svc"),
        (1, "tool", "traced"),
        (2, "tool", "http"),
    ]


async def test_children_sent_before_the_root_that_names_the_session_join_it(
    server: LocalServer, client: aiohttp.ClientSession
) -> None:
    # Only the root names the session, and it ends last: a SimpleSpanProcessor (or a batch
    # cut mid-trace) sends the children first. They were a session of their own, lost.
    sid = {"honeyhive__session_id": SESSION}
    grandchild = otlp_span(GRANDCHILD, "llm", CHILD, start=2, end=5, gen_ai__request__model="m")
    child = otlp_span(CHILD, "child", ROOT, start=1, end=8, honeyhive_event_type="tool")
    root = otlp_span(ROOT, "root", start=0, end=10, honeyhive_event_type="chain", **sid)
    for part in ([grandchild], [child], [root]):
        assert (await post_json(client, request_of(*part)))[0] == 200
    assert await tree_rows(server, SESSION) == EXPECTED_TREE
    assert server.store.sessions.get(trace_session_id(TRACE)) is None
    assert server.store.count() == 4  # the session and three events, nothing left behind
    session = server.store.sessions.get(SESSION)
    assert session is not None
    assert session["children_ids"] == [event_id_of(TRACE, ROOT)]
    stored = server.store.events.get(event_id_of(TRACE, GRANDCHILD))
    assert stored is not None
    assert (stored["session_id"], stored["parent_id"]) == (SESSION, event_id_of(TRACE, CHILD))


async def test_a_root_without_a_session_joins_the_one_a_later_span_names(
    server: LocalServer, client: aiohttp.ClientSession
) -> None:
    root = otlp_span(ROOT, "root", start=0, end=10)
    child = otlp_span(CHILD, "child", ROOT, start=1, end=12, honeyhive__session_id=SESSION)
    for part in ([root], [child]):
        assert (await post_json(client, request_of(*part)))[0] == 200
    assert await tree_rows(server, SESSION) == [
        (0, "session", "svc"),
        (1, "tool", "root"),
        (2, "tool", "child"),
    ]
    assert server.store.sessions.get(trace_session_id(TRACE)) is None
    session = server.store.sessions.get(SESSION)
    assert session is not None
    start = T0 // 1_000_000
    assert (session["start_time"], session["end_time"]) == (start, start + 12)
    assert session["children_ids"] == [event_id_of(TRACE, ROOT)]


async def test_a_span_that_asks_for_its_event_id_gets_it_and_keeps_its_children(
    server: LocalServer, client: aiohttp.ClientSession
) -> None:
    # honeyhive==1.7.0's @trace(event_id=...) and enrich_span(update_event_id=...) write
    # honeyhive_event_id: the app updates that event later (PUT /events), so it must exist.
    wanted = "5d0c1c8e-7a53-4f0e-9a6a-1b2c3d4e5f60"
    root, child, grandchild = family()
    child["attributes"].append(attr("honeyhive_event_id", wanted))
    for part in ([grandchild], [child], [root]):  # the grandchild before, the root after
        assert (await post_json(client, request_of(*part)))[0] == 200
    assert await tree_rows(server, SESSION) == EXPECTED_TREE
    assert server.store.events.get(event_id_of(TRACE, CHILD)) is None
    stored = server.store.events.get(wanted)
    assert stored is not None
    assert stored["event_name"] == "child"
    assert stored["parent_id"] == event_id_of(TRACE, ROOT)
    assert stored["children_ids"] == [event_id_of(TRACE, GRANDCHILD)]
    root_event = server.store.events.get(event_id_of(TRACE, ROOT))
    assert root_event is not None
    assert root_event["children_ids"] == [wanted]
    grandchild_event = server.store.events.get(event_id_of(TRACE, GRANDCHILD))
    assert grandchild_event is not None
    assert grandchild_event["parent_id"] == wanted
    update = {"event_id": wanted, "feedback": {"rating": 5}}
    async with client.put("/events", json=update) as reply:
        assert reply.status == 200
    assert server.store.events.get(wanted)["feedback"] == {"rating": 5}  # type: ignore[index]
    # A later child of it finds it by its span id too.
    late = otlp_span(
        "4000000000000004", "late", CHILD, start=6, end=7, honeyhive__session_id=SESSION
    )
    assert (await post_json(client, request_of(late)))[0] == 200
    assert server.store.events.get(event_id_of(TRACE, "4000000000000004"))["parent_id"] == wanted  # type: ignore[index]


async def test_a_span_cannot_take_its_sessions_id(
    server: LocalServer, client: aiohttp.ClientSession
) -> None:
    root = otlp_span(ROOT, "root", honeyhive__session_id=SESSION, honeyhive_event_id=SESSION)
    assert (await post_json(client, request_of(root)))[0] == 200
    assert await tree_rows(server, SESSION) == [(0, "session", "svc"), (1, "tool", "root")]


async def test_spans_join_a_session_the_tracer_started(
    server: LocalServer, client: aiohttp.ClientSession
) -> None:
    async with AsyncHoneyHive(server.api_key, base_url=server.url) as hh:
        await hh.session.start(session_id=SESSION, session_name="mine")
    await post_json(client, request_of(*family()))
    assert await tree_rows(server, SESSION) == [(0, "session", "mine"), *EXPECTED_TREE[1:]]


async def test_honeyhive_1_7_0_json_exporter_output(
    server: LocalServer, client: aiohttp.ClientSession
) -> None:
    """The payload honeyhive==1.7.0's OTLPJSONExporter wrote (tools/otlp_fixture.py)."""
    status, _, body = await post(client, FIXTURE.read_bytes())
    assert (status, json.loads(body)) == (200, {})
    session_id = "0b9d3a52-5a49-4d44-9a38-0d4b1f2f6c11"
    assert await tree_rows(server, session_id) == [
        (0, "session", "hh-app"),
        (1, "chain", "answer"),
        (2, "model", "openai.chat"),
        (2, "tool", "lookup"),
    ]
    async with AsyncHoneyHive(server.api_key, base_url=server.url) as hh:
        tree = (await hh.session.get_tree(session_id)).to_dict()
    answer = tree["children"][0]
    assert answer["source"] == "dev"
    assert answer["inputs"] == {"question": "What is OTLP?", "options": {"depth": 2}}
    assert answer["outputs"] == {"result": "A protocol."}
    assert answer["duration"] == 12.25
    assert answer["metadata"]["retries"] == 0
    model, lookup = answer["children"]
    assert model["config"] == {"provider": "openai", "model": "gpt-4o-mini", "temperature": 0.5}
    assert model["inputs"] == {"chat_history": [{"role": "user", "content": "What is OTLP?"}]}
    assert model["outputs"] == {"role": "assistant", "content": "A protocol."}
    assert model["metrics"] == {"prompt_tokens": 12, "completion_tokens": 7, "total_tokens": 19}
    assert lookup["error"] == "KeyError: 'otlp'"
    assert tree["metadata"]["total_tokens"] == 19


@pytest.mark.parametrize("encoding", ["zstd", "snappy", "x-unknown"])
async def test_other_content_encodings_are_never_5xx(
    server: LocalServer, client: aiohttp.ClientSession, encoding: str
) -> None:
    status, _, _ = await post(client, b"\x00\x01garbage", JSON, **{"Content-Encoding": encoding})
    assert status < 500
    assert server.store.count() == 0


async def test_a_very_deep_trace_still_reads_back(
    server: LocalServer, client: aiohttp.ClientSession
) -> None:
    chain = [
        otlp_span(
            f"{n:016x}",
            f"s{n}",
            f"{n - 1:016x}" if n > 1 else None,
            start=n,
            end=2000,
            honeyhive__session_id=SESSION,
        )
        for n in range(1, 1500)
    ]
    status, _ = await post_json(client, request_of(*chain))
    assert status == 200
    async with client.get(f"/v1/sessions/{SESSION}") as resp:
        assert resp.status == 200
        tree = await resp.json()
    depth, node = 0, tree
    names: list[str] = []
    while node["children"]:
        names.extend(child["event_name"] for child in node["children"])
        node = node["children"][0]
        depth += 1
    assert depth == MAX_TREE_DEPTH  # below it, the rest of the branch hangs flat
    assert sorted(names) == sorted(f"s{n}" for n in range(1, 1500))


def test_the_server_imports_no_opentelemetry_until_a_protobuf_body_arrives() -> None:
    code = (
        "import sys\n"
        "from honeyhive_async.server import create_app\n"
        "create_app(api_key='k')\n"
        "print(sorted(m for m in sys.modules if m.startswith(('opentelemetry', 'google'))))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"


async def test_x_source_header_is_the_source_of_spans_that_name_none(
    server: LocalServer, client: aiohttp.ClientSession
) -> None:
    body = json.dumps(request_of(otlp_span(ROOT, "r"))).encode()
    status, _, _ = await post(client, body, JSON, **{"X-Source": "staging"})
    assert status == 200
    event = server.store.events.get(event_id_of(TRACE, ROOT))
    assert event is not None
    assert event["source"] == "staging"
