"""Parent/child across tasks, threads and processes; sessions; distributed tracing."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from typing import Any

from honeyhive_async import AsyncHoneyHive
from honeyhive_async.tracing import (
    Tracer,
    current_span,
    enrich_session,
    enrich_span,
    trace,
    trace_span,
)

from .conftest import events_of, tree_of


def _children(node: dict[str, Any]) -> list[str]:
    return sorted(str(c["event_name"]) for c in node["children"])


async def test_gather_and_create_task_children_land_under_their_parent(
    tracer: Tracer, client: AsyncHoneyHive
) -> None:
    @trace(event_name="leaf")
    async def leaf(i: int) -> int:
        await asyncio.sleep(0)
        return i

    @trace(event_name="fan_out")
    async def fan_out() -> list[int]:
        first = await asyncio.gather(leaf(1), leaf(2), leaf(3))
        task = asyncio.create_task(leaf(4))
        return [*first, await task]

    @trace(event_name="other")
    async def other() -> int:
        return await leaf(9)

    async with tracer.session("fan") as session:
        results = await asyncio.gather(fan_out(), other())
    assert list(results) == [[1, 2, 3, 4], 9]
    await tracer.flush(5)
    tree = await tree_of(client, session.event_id)
    nodes = {n["event_name"]: n for n in tree["children"]}
    assert set(nodes) == {"fan_out", "other"}
    assert _children(nodes["fan_out"]) == ["leaf"] * 4
    assert _children(nodes["other"]) == ["leaf"]
    assert sorted(nodes["fan_out"]["children_ids"]) == sorted(
        c["event_id"] for c in nodes["fan_out"]["children"]
    )
    assert sorted(tree["children_ids"]) == sorted(n["event_id"] for n in tree["children"])


async def test_wrap_executor_and_to_thread_carry_the_context_into_threads(
    tracer: Tracer, client: AsyncHoneyHive
) -> None:
    seen_threads: set[str] = set()

    @trace(event_name="in_thread")
    def in_thread(i: int) -> int:
        seen_threads.add(threading.current_thread().name)
        return i

    with concurrent.futures.ThreadPoolExecutor(2, thread_name_prefix="pool") as pool:
        executor = tracer.wrap_executor(pool)

        @trace(event_name="parent")
        async def parent() -> list[int]:
            loop = asyncio.get_running_loop()
            a = await loop.run_in_executor(executor, in_thread, 1)
            b = executor.submit(in_thread, 2).result()
            c = list(executor.map(in_thread, [3, 4]))
            d = await asyncio.to_thread(in_thread, 5)
            return [a, b, *c, d]

        async with tracer.session("threads") as session:
            assert await parent() == [1, 2, 3, 4, 5]
    assert any(name.startswith("pool") for name in seen_threads)
    await tracer.flush(5)
    tree = await tree_of(client, session.event_id)
    (parent_node,) = tree["children"]
    assert _children(parent_node) == ["in_thread"] * 5


async def test_nothing_leaks_out_of_a_session_or_span(tracer: Tracer) -> None:
    assert current_span() is None
    async with tracer.session("s") as session:
        assert current_span() is session
        with trace_span("block") as span:
            assert current_span() is span
            assert span.parent_id == session.event_id
        assert current_span() is session
    assert current_span() is None


async def test_a_root_call_outside_any_session_goes_to_the_default_session_started_once(
    tracer_factory: Any, client: AsyncHoneyHive
) -> None:
    tracer = tracer_factory(session_name="background-jobs")

    @trace
    def job(i: int) -> int:
        return i

    job(1)
    job(2)
    session = tracer._default_session
    assert session is not None
    await tracer.flush(5)
    tree = await tree_of(client, session.event_id)
    assert tree["event_name"] == "background-jobs"
    assert [c["inputs"] for c in tree["children"]] == [{"i": 1}, {"i": 2}] or [
        c["inputs"] for c in tree["children"]
    ] == [{"i": 2}, {"i": 1}]
    assert sorted(tree["children_ids"]) == sorted(c["event_id"] for c in tree["children"])
    sessions = await client.events.search(
        filters=[{"field": "event_type", "operator": "is", "value": "session"}]
    )
    assert [e.event_name for e in sessions.events].count("background-jobs") == 1


async def test_closing_a_session_sends_outputs_duration_end_and_children(
    tracer: Tracer, client: AsyncHoneyHive
) -> None:
    @trace
    def step() -> None:
        enrich_session(metadata={"step_ran": True}, user_properties={"user": "u1"})

    async with tracer.session(
        "chat", inputs={"q": "hi"}, metadata={"env": "test"}, user_properties={"tier": "pro"}
    ) as session:
        step()
        session.update(outputs={"answer": "hello"}, metrics={"turns": 1})
    await tracer.flush(5)
    stored = await client.session.get(session.event_id)
    assert stored.event_type == "session"
    assert stored.event_name == "chat"
    assert stored.inputs == {"q": "hi"}
    assert stored.outputs == {"answer": "hello"}
    assert stored.metrics == {"turns": 1}
    assert stored.metadata is not None
    assert stored.metadata["env"] == "test"
    assert stored.metadata["step_ran"] is True
    assert stored.user_properties == {"tier": "pro", "user": "u1"}
    assert stored.duration is not None
    assert stored.duration >= 0
    assert stored.end_time is not None
    assert len(stored.children_ids) == 1


async def test_enrich_after_close_is_sent_as_an_update(
    tracer: Tracer, client: AsyncHoneyHive
) -> None:
    async with tracer.session("late") as session:
        with trace_span("work"):
            pass
    # The span kept its context alive: enrich the session from a captured span later.
    from honeyhive_async.tracing._context import _current

    token = _current.set(session)
    try:
        assert enrich_session(feedback={"rating": 5})
    finally:
        _current.reset(token)
    await tracer.flush(5)
    assert (await client.session.get(session.event_id)).feedback == {"rating": 5}


async def test_sync_session_and_trace_span(tracer: Tracer, client: AsyncHoneyHive) -> None:
    with tracer.session("sync") as session, trace_span("retrieve", event_type="tool") as span:
        span.update(outputs={"docs": 2})
        assert enrich_span(metadata={"k": 1})
    await tracer.flush(5)
    (event,) = [e for e in await events_of(client, session.event_id) if e.event_type == "tool"]
    assert event.event_name == "retrieve"
    assert event.outputs == {"docs": 2}
    assert event.metadata == {"k": 1}


async def test_enrich_outside_any_span_does_nothing(tracer: Tracer) -> None:
    assert enrich_span(metadata={"x": 1}) is False
    assert enrich_session(metadata={"x": 1}) is False


async def test_inject_and_continue_from_make_remote_calls_children_of_the_caller(
    tracer: Tracer, client: AsyncHoneyHive
) -> None:
    headers: dict[str, str] = {"baggage": "tenant=acme"}

    @trace(event_name="remote_handler")
    def remote_handler() -> str:
        return "done"

    async with tracer.session("distributed") as session:
        with trace_span("caller") as caller:
            tracer.inject(headers)
    assert "tenant=acme" in headers["baggage"]
    assert f"session_id={session.event_id}" in headers["baggage"]
    assert f"honeyhive_parent_id={caller.event_id}" in headers["baggage"]

    # The "other service": a fresh context that only has the headers.
    def serve() -> str:
        with tracer.continue_from(headers):
            return remote_handler()

    assert await asyncio.to_thread(serve) == "done"
    await tracer.flush(5)
    events = {e.event_name: e for e in await events_of(client, session.event_id)}
    remote = events["remote_handler"]
    assert remote.parent_id == caller.event_id
    assert remote.session_id == session.event_id


async def test_continue_from_without_baggage_is_a_no_op(tracer: Tracer) -> None:
    with tracer.continue_from({"baggage": "tenant=acme"}) as parent:
        assert parent is None
        assert current_span() is None


async def test_the_remote_parent_is_a_stand_in_with_only_its_id(tracer: Tracer) -> None:
    headers = {"baggage": "session_id=s-1,honeyhive_parent_id=p-1"}
    with tracer.continue_from(headers) as parent:
        assert current_span() is parent
        assert parent is not None
        assert (parent.event_id, parent.session_id) == ("p-1", "s-1")
        # Where the remote span sits in its own process is not known here.
        assert parent.parent_id is None
        assert parent.session.children_ids == []


async def test_spans_and_sessions_tell_their_inputs(tracer: Tracer) -> None:
    # `bound_inputs()` is on every span, a session too: an on_drop handler reads it from the
    # SpanRecord of a span and from the Session whose start failed alike.
    @trace
    def stream(question: str, n: int = 2) -> Any:
        span = current_span()
        assert span is not None
        yield span.bound_inputs()  # a generator's arguments are bound on its running span

    async with tracer.session("inputs", inputs={"q": "why"}) as session:
        assert session.bound_inputs() == {"q": "why"}
        with trace_span("block", inputs={"a": 1}) as span:
            assert span.bound_inputs() == {"a": 1}
            assert list(stream("why")) == [{"question": "why", "n": 2}]
