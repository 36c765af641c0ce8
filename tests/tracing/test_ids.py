"""Event ids: integers on the caller's path, UUIDv4 text on the wire, unique across fork."""

from __future__ import annotations

import os
import time
import uuid
from typing import Any

import pytest

from honeyhive_async.tracing import _ids
from honeyhive_async.tracing._record import wall_offset


def test_an_id_formats_as_a_version_4_rfc_4122_uuid_of_the_same_low_bits() -> None:
    for _ in range(100):
        value = _ids.next_id()
        text = _ids.format_id(value)
        parsed = uuid.UUID(text)
        assert str(parsed) == text
        assert parsed.int & _ids._LOW_MASK == value & _ids._LOW_MASK
        assert parsed.int >> 48 == _ids._base >> 48
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122


def test_ids_are_small_integers_on_the_callers_path() -> None:
    # Below 2**63 `itertools.count` adds in machine words; a 128-bit id cost the caller more.
    assert 0 <= _ids.next_id() < 1 << 63


def test_every_draw_of_the_high_bits_keeps_the_version_and_variant() -> None:
    for _ in range(300):
        base, text, next_value = _ids._fresh_counter()
        value = next_value()
        parsed = uuid.UUID(_ids.format_id(value))
        assert (parsed.version, parsed.variant) == (4, uuid.RFC_4122)
        assert parsed.int >> 48 == base >> 48
        assert _ids.format_id(value).startswith(text)


def test_ids_are_distinct_and_counted_in_the_low_bits() -> None:
    values = [_ids.next_id() for _ in range(10_000)]
    assert len(set(values)) == len(values)
    assert len({_ids.format_id(v) for v in values}) == len(values)
    assert values[-1] - values[0] == len(values) - 1


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("user-chosen-id", "user-chosen-id"),
        (0x0123456789AB4CDE8F0123456789ABCD, "01234567-89ab-4cde-8f01-23456789abcd"),
        (0xFFFFFFFFFFFF4FFFBFFF000000000000, "ffffffff-ffff-4fff-bfff-000000000000"),
    ],
)
def test_string_ids_pass_through_and_foreign_high_bits_are_kept(
    value: int | str, text: str
) -> None:
    # An id made before a fork (another high part) still formats to its own value.
    assert _ids.format_id(value) == text


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
@pytest.mark.filterwarnings("ignore:.*fork.*:DeprecationWarning")
def test_a_forked_child_gives_its_spans_ids_of_its_own() -> None:
    from honeyhive_async.tracing import trace_span

    def span_id() -> str:
        # A real span: the tracer's own path to the id counter, not `_ids` directly.
        with trace_span("probe") as span:
            return span.event_id

    before = span_id()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.write(write, span_id().encode())
        finally:
            os._exit(0)
    os.close(write)
    child = os.read(read, 100).decode()
    os.close(read)
    os.waitpid(pid, 0)
    parent = span_id()
    assert child[:24] != parent[:24]  # the random high part differs
    assert parent[:24] == before[:24]
    assert uuid.UUID(child).version == 4


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
@pytest.mark.filterwarnings("ignore:.*fork.*:DeprecationWarning")
def test_an_id_made_before_a_fork_formats_alike_in_the_child() -> None:
    # A span opened before the fork is the parent of the child's spans: its id must name the
    # same event on both sides, whatever high bits the child drew for its own ids.
    before = _ids.next_id()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            own = _ids.format_id(_ids.next_id())
            os.write(write, f"{_ids.format_id(before)} {own}".encode())
        finally:
            os._exit(0)
    os.close(write)
    seen, child_own = os.read(read, 200).decode().split()
    os.close(read)
    os.waitpid(pid, 0)
    assert seen == _ids.format_id(before)
    assert child_own[:24] != seen[:24]


def test_wall_offset_turns_the_monotonic_clock_into_unix_time() -> None:
    # Bracketed by two reads of the wall clock, so a preemption between the reads cannot fail
    # it; the slack below `before` covers a preemption inside `wall_offset` between its reads.
    before = time.time()
    derived = time.perf_counter() + wall_offset()
    after = time.time()
    assert before - 0.5 <= derived <= after + 1e-6


def test_a_running_span_is_tracked_and_what_the_exporter_queues_is_not() -> None:
    # Running, a span holds the caller's values and must stay visible to the cyclic GC; the
    # exporter's copies and requests, thousands at a time, stay out of it (tracked, they made
    # the application's own collections slower while the exporter ran).
    import gc
    from types import SimpleNamespace

    from honeyhive_async.models import CreateEventRequest
    from honeyhive_async.tracing import trace_span

    queued: list[Any] = []
    with trace_span("tracked") as span:
        assert gc.is_tracked(span)
        assert gc.is_tracked(span.session)
        span.session._sink = SimpleNamespace(enqueue_span=queued.append)
        span.update(outputs={"answer": [42]})
    (finished,) = queued
    assert not gc.is_tracked(finished)
    assert finished.event_id == span.event_id
    assert finished.outputs == {"answer": [42]}
    assert span.outputs is None  # handed over: a span kept afterwards holds no payload
    request = CreateEventRequest(event_type="tool", inputs={"q": [1]}, children_ids=["a"])
    assert not gc.is_tracked(request)


def test_an_ended_session_let_go_of_is_freed_without_the_cyclic_collector() -> None:
    # A session is its own `session`: held in a field, that made a cycle, so every ended
    # session waited for the cyclic collector, and a web service's per-request sessions
    # (kept by the exporter until sent) made its full collections frequent (issue 14).
    import gc
    from types import SimpleNamespace

    from honeyhive_async.tracing import trace_span
    from honeyhive_async.tracing._scope import SessionScope

    exported: list[Any] = []  # stands in for the exporter's queue
    sink = SimpleNamespace(
        enqueue_span=exported.append,
        enqueue_session_start=exported.append,
        enqueue_session_update=exported.append,
    )

    def serve_requests() -> None:
        for i in range(50):
            scope = SessionScope(
                sink,
                "chat",
                source="test",
                session_id=None,
                inputs={"question": [i]},
                metadata=None,
                user_properties=None,
                config=None,
            )
            with scope as session:
                with trace_span("step") as step:
                    assert step.session is session
                session.update(outputs={"reply": [i]})
            assert session.session is session
            assert session.session_id == session.event_id

    gc.collect()
    gc.disable()
    try:
        serve_requests()
        assert len(exported) == 150  # a start, a span and a close each
        exported.clear()  # the exporter lets go
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_a_span_started_with_an_id_of_its_own_is_a_child_of_its_parent() -> None:
    from honeyhive_async.tracing import trace_span
    from honeyhive_async.tracing._span import open_child

    with trace_span("parent") as parent:
        child = open_child(parent, "tool", "remote", "given-id")
        assert child.event_id == "given-id"
        assert child.parent_id == parent.event_id
        assert parent.children_ids == ["given-id"]


@pytest.mark.parametrize("low", [0, 1, 0xABC, 1 << 44, 1 << 47, (1 << 48) - 1])
def test_this_process_ids_keep_twelve_zero_padded_low_digits(low: int) -> None:
    value = _ids._base | low  # the base's low 48 bits are zero
    assert _ids.format_id(value) == str(uuid.UUID(int=value))
    # The small form the tracer keeps (generation << 48 | low) formats the same way.
    made = _ids.next_id()
    high = uuid.UUID(_ids.format_id(made)).int >> 48 << 48
    small = made >> 48 << 48 | low
    assert _ids.format_id(small) == str(uuid.UUID(int=high | low))
