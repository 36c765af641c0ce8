"""Checked by mypy in tests/test_typing.py: `@trace` must keep each signature.

Every line marked `# error: <code>` must be flagged with that code, and nothing else may be.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

from typing_extensions import assert_type

from honeyhive_async import trace


@trace
def add(a: int, b: int = 1) -> int:
    return a + b


@trace(event_type="model", event_name="complete")
async def complete(prompt: str, *, temperature: float = 0.0) -> str:
    return prompt


@trace
def tokens(n: int) -> Iterator[str]:
    yield from ("a",) * n


@trace(event_type="model")
async def stream(n: int) -> AsyncIterator[str]:
    for _ in range(n):
        yield "t"


class Agent:
    @trace
    def act(self, goal: str) -> list[str]:
        return [goal]


async def use() -> None:
    assert_type(add(1), int)
    assert_type(await complete("hi", temperature=0.2), str)
    assert_type(list(tokens(2)), list[str])
    assert_type([t async for t in stream(2)], list[str])
    assert_type(Agent().act("win"), list[str])
    add("one")  # error: arg-type
    await complete("hi", temperature="hot")  # error: arg-type
    Agent().act(3)  # error: arg-type
    add(1, 2, 3)  # error: call-arg
