"""A datapoint's evaluators run beside the next datapoints' functions, both bounded by concurrency."""

from __future__ import annotations

import asyncio
import sys
import threading
from typing import Any

import pytest

from honeyhive_async import AsyncHoneyHive, evaluate

from .conftest import rows


async def test_the_next_function_starts_before_the_evaluators_finish(
    client: AsyncHoneyHive,
) -> None:
    called: list[int] = []
    second_called = asyncio.Event()

    async def answer(inputs: dict[str, Any]) -> dict[str, Any]:
        called.append(inputs["i"])
        if inputs["i"] == 1:
            second_called.set()
        return {"i": inputs["i"]}

    async def waits_for_the_next(outputs: Any, inputs: Any, ground_truth: Any) -> bool:
        if inputs["i"] == 0:
            # One datapoint at a time, datapoint 1's function is called while this runs
            # (bounded, so that a regression fails rather than hangs).
            await asyncio.wait_for(second_called.wait(), 30)
        return True

    result = await evaluate(
        answer,
        dataset=rows(3),
        evaluators=[waits_for_the_next],
        concurrency=1,
        client=client,
        progress=False,
    )

    assert called == [0, 1, 2]
    assert [r.evaluator_errors for r in result.results] == [{}, {}, {}]
    assert [r.scores for r in result.results] == [{"waits_for_the_next": True}] * 3


async def test_evaluators_run_for_at_most_concurrency_datapoints(client: AsyncHoneyHive) -> None:
    concurrency = 2
    calls = 0
    scoring = 0
    scored = 0
    most_scoring = 0
    most_unscored = 0  # datapoints whose function was called and whose evaluator has not returned
    full = asyncio.Event()

    def check_full() -> None:
        # Both bounds reached: two datapoints scoring, two more whose functions returned.
        if scoring == concurrency and calls == 2 * concurrency:
            full.set()

    async def answer(inputs: dict[str, Any]) -> dict[str, Any]:
        nonlocal calls, most_unscored
        calls += 1
        most_unscored = max(most_unscored, calls - scored)
        check_full()
        return {"i": inputs["i"]}

    async def held(outputs: Any, inputs: Any, ground_truth: Any) -> bool:
        nonlocal scoring, scored, most_scoring
        scoring += 1
        most_scoring = max(most_scoring, scoring)
        check_full()
        try:
            await asyncio.wait_for(full.wait(), 30)  # bounded: a regression fails, not hangs
        finally:
            scoring -= 1
            scored += 1
        return True

    result = await evaluate(
        answer,
        dataset=rows(8),
        evaluators=[held],
        concurrency=concurrency,
        client=client,
        progress=False,
    )

    assert [r.scores for r in result.results] == [{"held": True}] * 8
    assert most_scoring == concurrency
    # The functions of two more datapoints ran meanwhile, and no third one.
    assert most_unscored == 2 * concurrency


async def test_sync_evaluators_do_not_wait_behind_sync_functions(client: AsyncHoneyHive) -> None:
    scored_first = threading.Event()

    def answer(inputs: dict[str, Any]) -> dict[str, Any]:
        if inputs["i"] == 1:
            # Holds the one function thread until datapoint 0 is scored (bounded, so that a
            # regression fails rather than hangs): in one pool, its evaluator would wait here.
            assert scored_first.wait(timeout=30)
        return {"i": inputs["i"]}

    def exact(outputs: Any, inputs: Any, ground_truth: Any) -> bool:
        if inputs["i"] == 0:
            scored_first.set()
        return bool(outputs["i"] == ground_truth["i"])

    result = await evaluate(
        answer, dataset=rows(2), evaluators=[exact], concurrency=1, client=client, progress=False
    )

    assert [r.error for r in result.results] == [None, None]
    assert [r.scores for r in result.results] == [{"exact": True}] * 2


@pytest.mark.skipif(sys.version_info < (3, 12), reason="asyncio.eager_task_factory is 3.12+")
async def test_an_eager_task_factory_runs_the_datapoints_one_after_the_other(
    client: AsyncHoneyHive,
) -> None:
    # Each datapoint is done without a wait, so each task runs its function as it is created,
    # and frees its place at once: the next datapoint must start in a loop, not a recursion.
    async def at_once(inputs: dict[str, Any]) -> dict[str, Any]:
        return inputs

    loop = asyncio.get_running_loop()
    loop.set_task_factory(asyncio.eager_task_factory)  # type: ignore[attr-defined]
    try:
        result = await evaluate(
            at_once,
            dataset=rows(3 * sys.getrecursionlimit()),
            concurrency=1,
            client=client,
            progress=False,
        )
    finally:
        loop.set_task_factory(None)

    assert len(result.results) == 3 * sys.getrecursionlimit()
    assert result.failed == []
