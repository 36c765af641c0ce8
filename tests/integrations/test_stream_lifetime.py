"""A traced stream is freed by reference counting when the caller drops it, as a bare one is.

A traced stream tied to itself (its traced `close` or `_iter_events` holding its own bound
method, an accumulator holding its own) stays alive, with its response and the last chunk,
until the cyclic collector runs: collections the bare call never causes, on the caller's path.
Each test runs with the collector off, so only reference counting can free the stream. The
bare stream read to the end is checked too (what the SDK itself does, the tests' premise). A
bare stream stopped early is tied to itself by the SDK (its unfinished iterator holds it); a
traced one is not, its `close` closing that iterator: only the traced one is checked there.
"""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import anthropic
import openai
import pytest

from honeyhive_async.integrations import wrap_anthropic, wrap_openai
from honeyhive_async.tracing import Tracer

from .fake_provider import REPLY, FakeProvider

QUESTION = [{"role": "user", "content": "How are events grouped?"}]


@pytest.fixture
def collector_off() -> Iterator[None]:
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    yield
    if enabled:
        gc.enable()


def openai_clients(fake: FakeProvider) -> tuple[Any, Any]:
    """A bare and a traced sync client (typed loosely: called with dicts)."""

    def make() -> Any:
        return openai.OpenAI(api_key="sk-test", base_url=f"{fake.url}/v1", max_retries=0)

    return make(), wrap_openai(make())


def read_all(stream: Any) -> str:
    return "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)


def read_one(stream: Any) -> str:
    with stream:
        for chunk in stream:
            return str(chunk.choices[0].delta.content)
    return ""


def freed(make: Callable[[], Any], read: Callable[[Any], str]) -> tuple[bool, str]:
    """Read the stream `make` returns with `read`, drop it; whether it and its response are gone."""
    stream = make()
    text = read(stream)
    refs = [weakref.ref(stream), weakref.ref(stream.response)]
    del stream
    return all(ref() is None for ref in refs), text


async def settled(refs: list[weakref.ref[Any]]) -> bool:
    """Whether the objects of `refs` are freed once the loop ran what their drop scheduled.

    An async SDK stream leaves its raw event generator unfinished: the loop's async-generator
    hook closes it in a task of its own, which holds the stream until it has run.
    """
    for _ in range(20):  # a few loop passes: the hook's call_soon, then the task's steps
        if all(ref() is None for ref in refs):
            return True
        await asyncio.sleep(0)
    return False


@pytest.mark.parametrize(
    ("asked", "read", "expected"),
    [
        ({}, read_all, "".join(REPLY)),  # usage asked for by us, held back
        ({"stream_options": {"include_usage": True}}, read_all, "".join(REPLY)),  # by the caller
        ({}, read_one, ""),  # stopped early: `with` closes it
    ],
    ids=["usage-ours", "usage-callers", "stopped-early"],
)
async def test_a_traced_openai_stream_is_freed_by_reference_counting(
    tracer: Tracer,
    fake: FakeProvider,
    collector_off: None,
    asked: dict[str, Any],
    read: Callable[[Any], str],
    expected: str,
) -> None:
    bare, traced = openai_clients(fake)
    async with tracer.session("chat"):
        for client in (bare, traced):  # the bare one first: what the SDK itself does
            gone, text = freed(
                lambda: client.chat.completions.create(  # noqa: B023  (called at once)
                    model="gpt-4o-mini", messages=QUESTION, stream=True, **asked
                ),
                read,
            )
            assert gone or (client is bare and read is read_one), (
                "traced" if client is traced else "bare"
            )
            assert text == expected
    bare.close()
    traced.close()


async def test_a_traced_async_openai_stream_is_freed_by_reference_counting(
    tracer: Tracer, fake: FakeProvider, collector_off: None
) -> None:
    def make() -> Any:
        return openai.AsyncOpenAI(api_key="sk-test", base_url=f"{fake.url}/v1", max_retries=0)

    bare, traced = make(), wrap_openai(make())
    async with tracer.session("chat"):
        for client in (bare, traced):
            for stop_early in (False, True):
                stream = await client.chat.completions.create(
                    model="gpt-4o-mini", messages=QUESTION, stream=True
                )
                got = []
                async for chunk in stream:
                    got.append(chunk)
                    if stop_early:
                        await stream.close()
                        break
                refs = [weakref.ref(stream), weakref.ref(stream.response)]
                del stream
                gone = await settled(refs)
                assert gone or (client is bare and stop_early), (
                    "traced" if client is traced else "bare"
                )
                assert len(got) == (1 if stop_early else len(REPLY) + 2)  # no usage chunk
    await bare.close()
    await traced.close()


async def test_a_traced_anthropic_stream_is_freed_by_reference_counting(
    tracer: Tracer, fake: FakeProvider, collector_off: None
) -> None:
    def make() -> Any:
        return anthropic.Anthropic(api_key="sk-ant-test", base_url=fake.url, max_retries=0)

    bare, traced = make(), wrap_anthropic(make())
    async with tracer.session("chat"):
        for client in (bare, traced):
            stream = client.messages.create(
                model="claude-test", max_tokens=100, messages=QUESTION, stream=True
            )
            events = list(stream)
            refs = [weakref.ref(stream), weakref.ref(stream.response)]
            del stream
            assert all(ref() is None for ref in refs), "traced" if client is traced else "bare"
            assert events[-1].type == "message_stop"
    bare.close()
    traced.close()
