"""Traced generators and async generators: what a consumer's send, throw and return do to the span.

The records are read from the session's sink, in process: these tests pin what the wrappers'
loops hand to the exporter, whatever shape the loops take.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Generator, Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from honeyhive_async.tracing import (
    SpanRecord,
    current_span,
    set_default_tracer,
    trace,
    trace_span,
)
from honeyhive_async.tracing._streams import MAX_STREAM_CHUNKS


class Captured:
    """The records of the spans started in a `trace_span("outer")` block, by name."""

    def __init__(self) -> None:
        self.records: list[SpanRecord] = []

    def one(self, name: str) -> SpanRecord:
        (record,) = [r for r in self.records if r.event_name == name]
        return record


def run_in_outer(body: Any) -> Captured:
    """Run `body` in a span of a session of no tracer, whose records go to a list."""
    captured = Captured()
    previous = set_default_tracer(None)
    try:
        with trace_span("outer") as outer:
            outer.session._sink = SimpleNamespace(enqueue_span=captured.records.append)
            body()
    finally:
        set_default_tracer(previous)
    return captured


class Tok(str):
    """A str subclass: kept as it is, not joined (only chunks that are exactly str are)."""


def test_sent_values_reach_the_generator_and_its_return_value_is_recorded() -> None:
    seen: list[Any] = []

    @trace(event_name="echo")
    def echo() -> Generator[str, str | None, str]:
        reply = yield "ready"
        while reply is not None:
            seen.append(reply)
            reply = yield f"got {reply}"
        return "done"

    def body() -> None:
        gen = echo()
        assert next(gen) == "ready"
        assert gen.send("a") == "got a"
        assert gen.send("b") == "got b"
        with pytest.raises(StopIteration) as stop:
            gen.send(None)
        assert stop.value.value == "done"

    record = run_in_outer(body).one("echo")
    assert seen == ["a", "b"]
    assert record.outputs == {"result": "readygot agot b", "return": "done"}
    assert record.metrics is not None
    assert record.metrics["chunk_count"] == 3
    assert record.error is None


def test_a_value_thrown_in_and_caught_continues_the_stream() -> None:
    @trace(event_name="resilient")
    def resilient() -> Generator[str, None, None]:
        for i in range(3):
            try:
                yield str(i)
            except KeyError:
                yield "recovered"

    def body() -> None:
        gen = resilient()
        assert next(gen) == "0"
        assert gen.throw(KeyError("k")) == "recovered"
        assert list(gen) == ["1", "2"]

    record = run_in_outer(body).one("resilient")
    assert record.outputs == {"result": "0recovered12"}
    assert record.metrics is not None
    assert record.metrics["chunk_count"] == 4
    assert record.error is None


def test_a_value_thrown_in_and_not_caught_is_the_streams_error() -> None:
    @trace(event_name="fragile")
    def fragile() -> Generator[str, None, None]:
        yield "a"
        yield "b"

    def body() -> None:
        gen = fragile()
        assert next(gen) == "a"
        with pytest.raises(ValueError, match="stop"):
            gen.throw(ValueError("stop"))

    record = run_in_outer(body).one("fragile")
    assert record.error == "ValueError: stop"
    assert record.outputs == {"result": "a"}


def test_a_generator_sees_its_span_as_current_at_every_step_and_the_consumer_does_not() -> None:
    inside: list[str | None] = []
    outside: list[str | None] = []

    @trace(event_name="looker")
    def looker() -> Iterator[int]:
        for i in range(3):
            span = current_span()
            inside.append(None if span is None else span.event_name)
            yield i

    def body() -> None:
        for _ in looker():
            span = current_span()
            outside.append(None if span is None else span.event_name)

    run_in_outer(body)
    assert inside == ["looker"] * 3
    assert outside == ["outer"] * 3


def test_only_chunks_that_are_exactly_str_are_joined() -> None:
    @trace(event_name="subclassed")
    def subclassed() -> Iterator[str]:
        yield "a"
        yield Tok("b")

    @trace(event_name="mixed")
    def mixed() -> Iterator[Any]:
        yield "a"
        yield {"b": 1}

    @trace(event_name="empty")
    def empty() -> Iterator[str]:
        yield from ()

    def body() -> None:
        assert list(subclassed()) == ["a", "b"]
        assert list(mixed()) == ["a", {"b": 1}]
        assert list(empty()) == []

    captured = run_in_outer(body)
    assert captured.one("subclassed").outputs == {"result": ["a", "b"]}
    assert captured.one("mixed").outputs == {"result": ["a", {"b": 1}]}
    empty_record = captured.one("empty")
    assert empty_record.outputs == {"result": []}
    assert empty_record.metrics == {"chunk_count": 0}


def test_a_yielded_dict_is_recorded_as_it_was_when_yielded() -> None:
    @trace(event_name="dicts")
    def dicts() -> Iterator[dict[str, int]]:
        yield {"n": 1}

    def body() -> None:
        for chunk in dicts():
            chunk["n"] = 2  # the consumer changes it after the yield

    assert run_in_outer(body).one("dicts").outputs == {"result": [{"n": 1}]}


def test_chunks_past_the_bound_are_counted_not_kept() -> None:
    total = MAX_STREAM_CHUNKS + 3

    @trace(event_name="long")
    def long() -> Iterator[str]:
        for _ in range(total):
            yield "x"

    def body() -> None:
        assert sum(1 for _ in long()) == total

    record = run_in_outer(body).one("long")
    assert record.outputs == {"result": "x" * MAX_STREAM_CHUNKS}
    assert record.metrics is not None
    assert record.metrics["chunk_count"] == total
    assert record.metadata == {"chunks_truncated": 3}


def test_without_output_capture_chunks_are_still_counted() -> None:
    @trace(event_name="uncaptured", capture_outputs=False)
    def uncaptured() -> Iterator[str]:
        yield "a"
        yield "b"

    def body() -> None:
        assert list(uncaptured()) == ["a", "b"]

    record = run_in_outer(body).one("uncaptured")
    assert record.outputs is None
    assert record.metrics is not None
    assert record.metrics["chunk_count"] == 2
    assert record.metrics["time_to_first_chunk_ms"] >= 0


def test_enriched_outputs_and_metrics_are_merged_with_the_streams_own() -> None:
    @trace(event_name="enriched")
    def enriched() -> Iterator[str]:
        span = current_span()
        assert span is not None
        span.update(outputs={"note": "n"}, metrics={"tokens": 2})
        yield "a"

    def body() -> None:
        assert list(enriched()) == ["a"]

    record = run_in_outer(body).one("enriched")
    assert record.outputs == {"result": "a", "note": "n"}
    assert record.metrics is not None
    assert record.metrics["tokens"] == 2
    assert record.metrics["chunk_count"] == 1


def test_an_async_generator_takes_sent_and_thrown_values_like_a_generator() -> None:
    seen: list[Any] = []

    @trace(event_name="aecho")
    async def aecho() -> AsyncGenerator[str, str | None]:
        reply = yield "ready"
        while reply is not None:
            seen.append(reply)
            try:
                reply = yield f"got {reply}"
            except KeyError:
                reply = yield "recovered"

    async def consume() -> None:
        agen = aecho()
        assert await agen.__anext__() == "ready"
        assert await agen.asend("a") == "got a"
        assert await agen.athrow(KeyError("k")) == "recovered"
        assert await agen.asend("b") == "got b"
        with pytest.raises(StopAsyncIteration):
            await agen.asend(None)

    record = run_in_outer(lambda: asyncio.run(consume())).one("aecho")
    assert seen == ["a", "b"]
    assert record.outputs == {"result": "readygot arecoveredgot b"}
    assert record.metrics is not None
    assert record.metrics["chunk_count"] == 4
    assert record.error is None


def test_an_async_generator_fails_with_a_value_thrown_in_and_not_caught() -> None:
    @trace(event_name="afragile")
    async def afragile() -> AsyncGenerator[str, None]:
        yield "a"
        yield "b"

    async def consume() -> None:
        agen = afragile()
        assert await agen.__anext__() == "a"
        with pytest.raises(ValueError, match="stop"):
            await agen.athrow(ValueError("stop"))

    record = run_in_outer(lambda: asyncio.run(consume())).one("afragile")
    assert record.error == "ValueError: stop"
    assert record.outputs == {"result": "a"}


def test_an_async_generators_span_is_current_at_every_step_only() -> None:
    inside: list[str | None] = []
    outside: list[str | None] = []

    @trace(event_name="alooker")
    async def alooker() -> AsyncIterator[int]:
        for i in range(3):
            await asyncio.sleep(0)  # a step that suspends keeps its span too
            span = current_span()
            inside.append(None if span is None else span.event_name)
            yield i

    async def consume() -> None:
        async for _ in alooker():
            span = current_span()
            outside.append(None if span is None else span.event_name)

    captured = run_in_outer(lambda: asyncio.run(consume()))
    assert inside == ["alooker"] * 3
    assert outside == ["outer"] * 3
    record = captured.one("alooker")
    assert record.metrics is not None
    assert record.metrics["chunk_count"] == 3
    assert record.outputs == {"result": [0, 1, 2]}


def test_an_async_generators_chunks_past_the_bound_are_counted_not_kept() -> None:
    total = MAX_STREAM_CHUNKS + 3

    @trace(event_name="along")
    async def along() -> AsyncIterator[str]:
        for _ in range(total):
            yield "x"

    async def consume() -> int:
        return sum([1 async for _ in along()])

    def body() -> None:
        assert asyncio.run(consume()) == total

    record = run_in_outer(body).one("along")
    assert record.outputs == {"result": "x" * MAX_STREAM_CHUNKS}
    assert record.metrics is not None
    assert record.metrics["chunk_count"] == total
    assert record.metadata == {"chunks_truncated": 3}


def test_an_async_generator_without_output_capture_still_counts_its_chunks() -> None:
    @trace(event_name="auncaptured", capture_outputs=False)
    async def auncaptured() -> AsyncIterator[str]:
        yield "a"
        yield "b"
        yield "c"

    async def consume() -> list[str]:
        return [chunk async for chunk in auncaptured()]

    def body() -> None:
        assert asyncio.run(consume()) == ["a", "b", "c"]

    record = run_in_outer(body).one("auncaptured")
    assert record.outputs is None
    assert record.metrics is not None
    assert record.metrics["chunk_count"] == 3


def test_a_stream_stopped_early_counts_the_chunks_it_yielded() -> None:
    @trace(event_name="stopped")
    def stopped() -> Generator[str, None, None]:
        yield from "abcdef"

    @trace(event_name="astopped")
    async def astopped() -> AsyncGenerator[str, None]:
        for chunk in "abcdef":
            yield chunk

    async def take_two() -> None:
        agen = astopped()
        assert [await agen.__anext__(), await agen.__anext__()] == ["a", "b"]
        await agen.aclose()

    def body() -> None:
        gen = stopped()
        assert [next(gen), next(gen), next(gen)] == ["a", "b", "c"]
        gen.close()
        asyncio.run(take_two())

    captured = run_in_outer(body)
    for name, count, kept in (("stopped", 3, "abc"), ("astopped", 2, "ab")):
        record = captured.one(name)
        assert record.outputs == {"result": kept}
        assert record.metrics is not None
        assert record.metrics["chunk_count"] == count
        assert record.metadata == {"stopped_early": True}
