"""Every decorator kind, traced to the local server and read back."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import Callable
from typing import Any

import pytest

from honeyhive_async import AsyncHoneyHive, Event
from honeyhive_async.tracing import Tracer, current_span, enrich_span, trace, trace_span

from .conftest import events_of, tree_of


async def _flushed(tracer: Tracer) -> None:
    report = await tracer.flush(timeout=5)
    assert report.pending == 0, report
    assert report.dropped == {}, report


def _by_name(events: list[Event]) -> dict[str, Event]:
    return {e.event_name or "": e for e in events}


async def test_sync_function_becomes_an_event_with_bound_inputs_and_wrapped_output(
    tracer: Tracer, client: AsyncHoneyHive
) -> None:
    calls = []

    @trace(event_type="model", config={"model": "m1"}, metadata={"team": "a"})
    def complete(prompt: str, temperature: float = 0.5, *, n: int = 1) -> str:
        calls.append(prompt)
        return f"echo {prompt}"

    async with tracer.session("s", inputs={"question": "q"}) as session:
        assert complete("hi", n=2) == "echo hi"
    await _flushed(tracer)

    assert calls == ["hi"]
    (event,) = [e for e in await events_of(client, session.event_id) if e.event_type != "session"]
    assert event.event_type == "model"
    assert str(event.event_name).endswith("complete")
    assert event.inputs == {"prompt": "hi", "temperature": 0.5, "n": 2}
    assert event.outputs == {"result": "echo hi"}
    assert event.config == {"model": "m1"}
    assert event.metadata == {"team": "a"}
    assert event.session_id == session.event_id
    assert event.parent_id == session.event_id
    assert event.source == "dev"
    assert event.error is None
    # Times are sent as whole Unix ms; the duration keeps its fraction.
    assert isinstance(event.start_time, float)
    assert isinstance(event.end_time, float)
    assert event.start_time.is_integer()
    assert event.end_time.is_integer()
    assert event.duration is not None
    assert event.duration >= 0
    assert 0 <= event.end_time - event.start_time <= event.duration + 1


async def test_dict_results_are_the_outputs_and_enriched_outputs_win(
    tracer: Tracer, client: AsyncHoneyHive
) -> None:
    @trace
    def plain() -> dict[str, int]:
        return {"a": 1}

    @trace
    def enriched() -> int:
        enrich_span(outputs={"extra": True}, metrics={"score": 0.5})
        return 3

    async with tracer.session("s") as session:
        plain()
        enriched()
    await _flushed(tracer)
    events = _by_name(await events_of(client, session.event_id))
    assert events[plain.__qualname__].outputs == {"a": 1}
    assert events[enriched.__qualname__].outputs == {"result": 3, "extra": True}
    assert events[enriched.__qualname__].metrics == {"score": 0.5}


async def test_nested_async_calls_build_the_tree_with_exact_children_ids(
    tracer: Tracer, client: AsyncHoneyHive
) -> None:
    @trace(event_type="tool")
    async def leaf(i: int) -> int:
        return i

    @trace(event_type="chain", event_name="middle")
    async def middle() -> int:
        return await leaf(1) + await leaf(2)

    @trace(event_type="chain", event_name="root")
    async def root() -> int:
        return await middle()

    async with tracer.session("nested") as session:
        assert await root() == 3
    await _flushed(tracer)

    tree = await tree_of(client, session.event_id)
    (root_node,) = tree["children"]
    (middle_node,) = root_node["children"]
    leaves = middle_node["children"]
    assert root_node["event_name"] == "root"
    assert middle_node["event_name"] == "middle"
    assert [n["inputs"] for n in leaves] == [{"i": 1}, {"i": 2}]
    assert tree["children_ids"] == [root_node["event_id"]]
    assert root_node["children_ids"] == [middle_node["event_id"]]
    assert middle_node["children_ids"] == [n["event_id"] for n in leaves]
    assert all(n["parent_id"] == middle_node["event_id"] for n in leaves)


class Assistant:
    @trace
    def method(self, x: int) -> int:
        return x

    @trace
    @classmethod
    def outer_classmethod(cls, x: int) -> int:
        return x

    @classmethod
    @trace
    def inner_classmethod(cls, x: int) -> int:
        return x

    @trace
    @staticmethod
    def outer_staticmethod(x: int) -> int:
        return x

    @staticmethod
    @trace
    def inner_staticmethod(x: int) -> int:
        return x


async def test_methods_classmethods_and_staticmethods_drop_self_and_cls(
    tracer: Tracer, client: AsyncHoneyHive
) -> None:
    async with tracer.session("methods") as session:
        a = Assistant()
        assert a.method(1) == 1
        assert Assistant.outer_classmethod(2) == 2
        assert a.inner_classmethod(3) == 3
        assert Assistant.outer_staticmethod(4) == 4
        assert a.inner_staticmethod(5) == 5
    await _flushed(tracer)
    events = await events_of(client, session.event_id)
    inputs = sorted(e.inputs["x"] for e in events if e.inputs and "x" in e.inputs)
    assert inputs == [1, 2, 3, 4, 5]
    names = {e.event_name for e in events}
    assert "Assistant.method" in names
    assert "Assistant.outer_classmethod" in names
    assert all(set(e.inputs or {}) <= {"x"} for e in events if e.event_type != "session")


async def test_an_exception_is_recorded_once_and_reraised_unchanged(
    tracer: Tracer, client: AsyncHoneyHive
) -> None:
    calls = 0
    boom = ValueError("boom")

    @trace
    async def failing() -> None:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0)
        raise boom

    async with tracer.session("errors") as session:
        with pytest.raises(ValueError, match="boom") as info:
            await failing()
    assert info.value is boom
    assert calls == 1
    await _flushed(tracer)
    (event,) = [e for e in await events_of(client, session.event_id) if e.event_type != "session"]
    assert event.error == "ValueError: boom"
    assert event.metadata is not None
    assert event.metadata["error_type"] == "ValueError"
    frames = event.metadata["error_traceback"]
    assert frames[-1]["name"] == "failing"
    assert frames[-1]["line"] == "raise boom"


async def test_cancellation_ends_the_span_as_cancelled(
    tracer: Tracer, client: AsyncHoneyHive
) -> None:
    started = asyncio.Event()

    @trace
    async def slow() -> None:
        started.set()
        await asyncio.Event().wait()

    async with tracer.session("cancel") as session:
        task = asyncio.create_task(slow())
        await started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    await _flushed(tracer)
    (event,) = [e for e in await events_of(client, session.event_id) if e.event_type != "session"]
    assert event.error is not None
    assert event.error.startswith("CancelledError")
    assert event.metadata is not None
    assert event.metadata["cancelled"] is True
    assert event.end_time is not None


async def test_sync_generator_streams_chunks_and_metrics(
    tracer: Tracer, client: AsyncHoneyHive
) -> None:
    @trace(event_type="model")
    def stream(n: int) -> Any:
        for i in range(n):
            yield f"t{i} "

    @trace
    def numbers() -> Any:
        yield 1
        yield {"two": 2}

    async with tracer.session("gen") as session:
        assert "".join(stream(3)) == "t0 t1 t2 "
        assert list(numbers()) == [1, {"two": 2}]
    await _flushed(tracer)
    events = _by_name(await events_of(client, session.event_id))
    s = events[stream.__qualname__]
    assert s.outputs == {"result": "t0 t1 t2 "}
    assert s.metrics is not None
    assert s.metrics["chunk_count"] == 3
    assert s.metrics["time_to_first_chunk_ms"] >= 0
    assert s.inputs == {"n": 3}
    assert events[numbers.__qualname__].outputs == {"result": [1, {"two": 2}]}


async def test_a_consumer_that_stops_early_gives_partial_output_not_an_error(
    tracer: Tracer, client: AsyncHoneyHive
) -> None:
    @trace
    def sync_stream() -> Any:
        for i in range(100):
            yield str(i)

    @trace
    async def async_stream() -> Any:
        for i in range(100):
            yield str(i)

    async with tracer.session("early") as session:
        for chunk in sync_stream():
            if chunk == "2":
                break
        agen = async_stream()
        async with contextlib.aclosing(agen):
            async for chunk in agen:
                if chunk == "1":
                    break
    await _flushed(tracer)
    events = _by_name(await events_of(client, session.event_id))
    for name, output in ((sync_stream.__qualname__, "012"), (async_stream.__qualname__, "01")):
        event = events[name]
        assert event.outputs == {"result": output}
        assert event.error is None
        assert event.metadata == {"stopped_early": True}


async def test_a_generator_that_fails_midway_records_the_error(
    tracer: Tracer, client: AsyncHoneyHive
) -> None:
    @trace
    async def broken() -> Any:
        yield "a"
        raise RuntimeError("stream broke")

    async with tracer.session("broken") as session:
        got = []

        async def consume() -> None:
            async for chunk in broken():
                got.append(chunk)

        with pytest.raises(RuntimeError, match="stream broke"):
            await consume()
    assert got == ["a"]
    await _flushed(tracer)
    (event,) = [e for e in await events_of(client, session.event_id) if e.event_type != "session"]
    assert event.error == "RuntimeError: stream broke"
    assert event.outputs == {"result": "a"}


async def test_a_generator_never_iterated_makes_no_event(
    tracer: Tracer, client: AsyncHoneyHive
) -> None:
    @trace
    def never() -> Any:
        yield 1

    async with tracer.session("lazy") as session:
        gen = never()
        del gen
    await _flushed(tracer)
    assert [e.event_type for e in await events_of(client, session.event_id)] == ["session"]


async def test_spans_inside_a_generator_nest_under_it(
    tracer: Tracer, client: AsyncHoneyHive
) -> None:
    @trace
    async def tool() -> str:
        return "t"

    @trace(event_name="agen")
    async def agen() -> Any:
        yield await tool()
        yield await tool()

    async with tracer.session("inner") as session:
        assert [c async for c in agen()] == ["t", "t"]
        assert current_span() is session
    await _flushed(tracer)
    tree = await tree_of(client, session.event_id)
    (gen_node,) = tree["children"]
    assert gen_node["event_name"] == "agen"
    assert len(gen_node["children"]) == 2
    assert gen_node["children_ids"] == [c["event_id"] for c in gen_node["children"]]


async def test_what_a_call_saw_is_recorded_even_if_the_caller_mutates_it_later(
    tracer: Tracer, client: AsyncHoneyHive
) -> None:
    @trace(event_name="chat")
    def chat(messages: list[str], options: dict[str, int]) -> list[str]:
        return [*messages, "reply"]

    messages = ["hi"]
    options = {"n": 1}
    async with tracer.session("mutation") as session:
        reply = chat(messages, options=options)
        messages.append("later")
        options["n"] = 2
    await _flushed(tracer)
    (event,) = [e for e in await events_of(client, session.event_id) if e.event_type != "session"]
    assert event.inputs == {"messages": ["hi"], "options": {"n": 1}}
    assert event.outputs == {"result": ["hi", "reply"]}
    assert reply == ["hi", "reply"]


async def test_an_exception_whose_str_fails_still_reaches_the_caller(
    tracer: Tracer, client: AsyncHoneyHive
) -> None:
    class ApiError(Exception):
        def __str__(self) -> str:
            raise KeyError("broken __str__")

    @trace
    def call() -> None:
        raise ApiError

    async with tracer.session("badstr") as session:
        with pytest.raises(ApiError):
            call()
    await _flushed(tracer)
    (event,) = [e for e in await events_of(client, session.event_id) if e.event_type != "session"]
    assert event.error == "ApiError: <unprintable message>"


def test_traced_functions_keep_their_kind_for_introspection() -> None:
    import inspect

    @trace
    def gen() -> Any:
        yield 1

    @trace
    async def agen() -> Any:
        yield 1

    @trace
    async def coro() -> None: ...

    assert inspect.isgeneratorfunction(gen)
    assert inspect.isasyncgenfunction(agen)
    assert inspect.iscoroutinefunction(coro)
    assert gen.__name__ == "gen"
    assert gen.__wrapped__ is not None  # type: ignore[attr-defined]


async def test_a_session_id_may_be_a_uuid(tracer: Tracer, client: AsyncHoneyHive) -> None:
    import uuid

    sid = uuid.uuid4()
    async with tracer.session("uuid", session_id=sid) as session:  # type: ignore[arg-type]
        pass
    report = await tracer.flush(5)
    assert report.failed_updates == 0
    assert session.event_id == str(sid)
    assert (await client.session.get(str(sid))).event_name == "uuid"


class KeysExplode(dict[str, Any]):
    """A mapping the tracer cannot read: merging it with enriched outputs raises."""

    def keys(self) -> Any:
        raise RuntimeError("keys() exploded")

    def __iter__(self) -> Any:
        raise RuntimeError("__iter__ exploded")

    def items(self) -> Any:
        raise RuntimeError("items() exploded")


class ClaimsDict:
    """Not a dict, but says it is."""

    @property  # type: ignore[misc]
    def __class__(self) -> type:
        return dict


@pytest.mark.parametrize("make", [KeysExplode, ClaimsDict], ids=["keys-raise", "claims-dict"])
async def test_a_result_the_tracer_cannot_read_is_returned_unchanged_and_still_exported(
    tracer: Tracer, client: AsyncHoneyHive, make: Any
) -> None:
    def build() -> Any:
        return KeysExplode(a=1) if make is KeysExplode else ClaimsDict()

    results: dict[str, Any] = {}

    @trace(event_name="sync")
    def sync_call() -> Any:
        enrich_span(outputs={"extra": 1})
        results["sync"] = build()
        return results["sync"]

    @trace(event_name="async")
    async def async_call() -> Any:
        enrich_span(outputs={"extra": 1})
        results["async"] = build()
        return results["async"]

    @trace(event_name="gen")
    def gen_call() -> Any:
        current = current_span()
        assert current is not None
        current.outputs = build()  # enriched outputs that cannot be merged with the chunks
        yield "chunk"

    @trace(event_name="agen")
    async def agen_call() -> Any:
        current = current_span()
        assert current is not None
        current.outputs = build()
        yield "chunk"

    async with tracer.session("weird") as session:
        assert sync_call() is results["sync"]
        assert await async_call() is results["async"]
        assert list(gen_call()) == ["chunk"]
        assert [c async for c in agen_call()] == ["chunk"]
    await _flushed(tracer)

    events = _by_name(await events_of(client, session.event_id))
    name = type(build()).__name__
    for event_name in ("sync", "async", "gen", "agen"):
        assert events[event_name].outputs == {"result": f"[capture failed: {name}]"}, event_name
        assert events[event_name].error is None


async def test_trace_span_with_inputs_it_cannot_read_still_runs_the_block(
    tracer: Tracer, client: AsyncHoneyHive
) -> None:
    ran = []
    async with tracer.session("block") as session:
        with trace_span("blk", inputs=KeysExplode(q=1)):
            ran.append(True)
    await _flushed(tracer)
    assert ran == [True]
    events = _by_name(await events_of(client, session.event_id))
    assert events["blk"].inputs == {"result": "[capture failed: KeysExplode]"}


def _traced(kind: str, name: str, body: Callable[..., Any], **options: Any) -> Any:
    """`body` traced as `kind.name`: a function, or a coroutine function with its signature."""
    call: Callable[..., Any]
    if kind == "async":

        async def call(*args: Any, **kwargs: Any) -> Any:
            return body(*args, **kwargs)

    else:

        def call(*args: Any, **kwargs: Any) -> Any:
            return body(*args, **kwargs)

    call.__signature__ = inspect.signature(body)  # type: ignore[union-attr]
    return trace(event_name=f"{kind}.{name}", **options)(call)


async def _run_shapes(kind: str) -> None:
    async def run(fn: Any, *args: Any, **kwargs: Any) -> Any:
        result = fn(*args, **kwargs)
        return await result if kind == "async" else result

    def leaf_body(x: int, items: list[int]) -> int:
        return x + len(items)

    def keywords_body(x: int, *, options: dict[str, int]) -> dict[str, int]:
        return {"y": x, **options}

    def enriched_body(x: int) -> int:
        enrich_span(outputs={"extra": x}, metrics={"score": 0.5}, event_name=f"{kind}.renamed")
        return x

    def fails_body(x: int) -> int:
        raise ValueError(f"bad {x}")

    leaf = _traced(kind, "leaf", leaf_body)
    keywords = _traced(
        kind, "keywords", keywords_body, event_type="model", config={"m": 1}, metadata={"t": "a"}
    )
    enriched = _traced(kind, "enriched", enriched_body)
    quiet = _traced(kind, "quiet", leaf_body, capture_inputs=False, capture_outputs=False)
    fails = _traced(kind, "fails", fails_body)

    async def link_body(x: int) -> int:
        return int(await run(leaf, x, [])) + int(await run(leaf, x, [x]))

    # A chain's link (its record carries the ids of the spans it started), sync or async.
    link: Any
    if kind == "async":
        link = trace(event_name="async.link", event_type="chain")(link_body)
    else:

        def sync_link(x: int) -> int:
            return int(leaf(x, [])) + int(leaf(x, [x]))

        link = trace(event_name="sync.link", event_type="chain")(sync_link)

    items = [1, 2]
    assert await run(leaf, 1, items) == 3
    items.append(3)  # after the call: not what the call saw
    assert await run(keywords, 2, options={"z": 1}) == {"y": 2, "z": 1}
    assert await run(enriched, 4) == 4
    assert await run(quiet, 5, [5]) == 6
    with pytest.raises(ValueError, match="bad 6"):
        await run(fails, 6)
    assert await run(link, 7) == 15


async def test_sync_and_async_calls_export_the_same_events(
    tracer: Tracer, client: AsyncHoneyHive
) -> None:
    # The two wrappers are inlined copies of each other (and of Span._end_call): every shape of
    # call (a leaf, keywords, static fields, enriched, nothing captured, failed, a chain's
    # link) exports the same event from both.
    async with tracer.session("shapes") as session:
        await _run_shapes("sync")
        await _run_shapes("async")
    await _flushed(tracer)
    events = await events_of(client, session.event_id)
    by_id = {e.event_id: e for e in events}

    def short(event_id: str | None) -> str:
        if event_id == session.event_id:
            return "session"
        return str(by_id[str(event_id)].event_name).partition(".")[2]

    rows: dict[str, dict[str, list[dict[str, Any]]]] = {"sync": {}, "async": {}}
    for e in events:
        if e.event_type == "session":
            continue
        kind, _, name = str(e.event_name).partition(".")
        metadata = dict(e.metadata or {})
        # The frames differ in the wrapper's (sync and async run other code); the innermost is
        # the user's in both.
        frames = metadata.pop("error_traceback", None)
        if frames:
            metadata["innermost"] = frames[-1]["name"]
        rows[kind].setdefault(name, []).append(
            {
                "event_type": e.event_type,
                "inputs": e.inputs,
                "outputs": e.outputs,
                "config": e.config,
                "metadata": metadata,
                "metrics": e.metrics,
                "error": e.error,
                "parent": short(e.parent_id),
                "children": sorted(
                    (short(c), by_id[c].inputs["x"] if by_id[c].inputs else None)
                    for c in e.children_ids or []
                ),
            }
        )
    for by_name in rows.values():
        for found in by_name.values():
            found.sort(key=repr)
    assert sorted(rows["sync"]) == ["fails", "keywords", "leaf", "link", "quiet", "renamed"]
    assert rows["async"] == rows["sync"]
    sync = rows["sync"]
    assert [r["inputs"] for r in sync["leaf"] if r["parent"] == "session"] == [
        {"x": 1, "items": [1, 2]}
    ]
    assert sync["keywords"][0]["inputs"] == {"x": 2, "options": {"z": 1}}
    assert sync["keywords"][0]["config"] == {"m": 1}
    assert sync["renamed"][0]["outputs"] == {"result": 4, "extra": 4}
    assert sync["renamed"][0]["metrics"] == {"score": 0.5}
    assert not sync["quiet"][0]["inputs"]
    assert not sync["quiet"][0]["outputs"]
    assert str(sync["fails"][0]["error"]).startswith("ValueError: bad 6")
    assert sync["fails"][0]["metadata"] == {"error_type": "ValueError", "innermost": "fails_body"}
    assert sync["link"][0]["children"] == [("leaf", 7), ("leaf", 7)]
