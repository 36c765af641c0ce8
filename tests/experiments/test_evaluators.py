"""A datapoint's evaluators: all at once, each bounded by the timeout, all stopped on cancel."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from honeyhive_async import AsyncHoneyHive, evaluate

from .conftest import meta, rows, run_of, tree_of


async def answer(inputs: dict[str, Any]) -> dict[str, Any]:
    return {"i": inputs["i"]}


async def test_a_datapoint_s_evaluators_run_at_once(client: AsyncHoneyHive) -> None:
    loop = asyncio.get_running_loop()
    arrived = 0
    all_here = asyncio.Event()
    sync_go = threading.Event()

    def arrive() -> None:
        nonlocal arrived
        arrived += 1
        if arrived == 4:
            all_here.set()
            sync_go.set()

    def waiting_async(name: str) -> Any:
        async def evaluator(outputs: Any, inputs: Any, ground_truth: Any) -> float:
            arrive()
            await all_here.wait()  # returns only once every evaluator has started
            return 1.0

        evaluator.__name__ = name
        return evaluator

    def in_thread(outputs: Any, inputs: Any, ground_truth: Any) -> bool:
        loop.call_soon_threadsafe(arrive)
        return sync_go.wait(timeout=30)  # bounded so the thread never outlives the test

    # One at a time, a timeout would fail the evaluators waiting for the others.
    result = await evaluate(
        answer,
        dataset=rows(1),
        evaluators=[waiting_async("a"), in_thread, waiting_async("b"), waiting_async("c")],
        timeout=20,
        client=client,
        progress=False,
    )

    (only,) = result.results
    assert only.evaluator_errors == {}
    assert only.scores == {"a": 1.0, "in_thread": True, "b": 1.0, "c": 1.0}
    assert list(only.scores) == ["a", "in_thread", "b", "c"]  # the evaluators' order
    session = await tree_of(client, only.session_id)
    names = sorted(str(e.event_name) for e in session.children if e.event_type == "tool")
    assert names == ["a", "b", "c", "in_thread"]


async def test_a_sync_evaluator_past_the_timeout_fails_alone(client: AsyncHoneyHive) -> None:
    release = threading.Event()

    def stuck(outputs: Any, inputs: Any, ground_truth: Any) -> bool:
        return release.wait(timeout=30)  # released by the test once evaluate returned

    async def quick(outputs: Any, inputs: Any, ground_truth: Any) -> float:
        return 0.5

    try:
        result = await evaluate(
            answer,
            dataset=rows(2),
            evaluators=[stuck, quick],
            timeout=0.05,
            client=client,
            progress=False,
        )
    finally:
        release.set()

    for each in result.results:
        assert each.error is None
        assert each.evaluator_errors == {"stuck": "TimeoutError: stuck took longer than 0.05 s"}
        assert each.scores == {"quick": 0.5}
    session = await tree_of(client, result.results[0].session_id)
    assert meta(session)["evaluator_errors"] == result.results[0].evaluator_errors
    assert result.evaluator_failures == 2
    assert result.status == "completed"


async def test_cancelling_the_run_cancels_every_evaluator_in_flight(
    client: AsyncHoneyHive,
) -> None:
    entered = 0
    both_in = asyncio.Event()
    cancelled: list[str] = []

    def waiting(name: str) -> Any:
        async def evaluator(outputs: Any, inputs: Any, ground_truth: Any) -> float:
            nonlocal entered
            entered += 1
            if entered == 2:
                both_in.set()
            try:
                # Never set: only the cancel ends it (bounded, so that a regression fails).
                await asyncio.wait_for(asyncio.Event().wait(), 30)
            except asyncio.CancelledError:
                cancelled.append(name)
                raise
            return 1.0

        evaluator.__name__ = name
        return evaluator

    run_id = "5c0e8d2a-7f41-4b9e-8a3d-2e6f1b0c9d74"
    task = asyncio.create_task(
        evaluate(
            answer,
            dataset=rows(1),
            evaluators=[waiting("first"), waiting("last")],
            run_id=run_id,
            client=client,
            progress=False,
        )
    )
    await both_in.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert sorted(cancelled) == ["first", "last"]
    run = await run_of(client, run_id)
    assert (run.status, run.event_ids) == ("cancelled", [])


async def test_inline_sync_evaluators_run_on_the_loop_inside_the_session(
    client: AsyncHoneyHive,
) -> None:
    called_on: list[int] = []

    def exact(outputs: Any, inputs: Any, ground_truth: Any) -> bool:
        called_on.append(threading.get_ident())
        return bool(outputs == ground_truth)

    def chunks(outputs: Any, inputs: Any, ground_truth: Any) -> Any:
        yield "o"
        yield "k"

    def broken(outputs: Any, inputs: Any, ground_truth: Any) -> float:
        raise ValueError("no score")

    def deferred(outputs: Any, inputs: Any, ground_truth: Any) -> Any:
        async def later() -> float:
            await asyncio.sleep(0)
            return 0.25

        return later()  # a sync callable handing back a coroutine: awaited, as in the pool

    async def quick(outputs: Any, inputs: Any, ground_truth: Any) -> float:
        return 0.5

    result = await evaluate(
        answer,
        dataset=rows(3),
        evaluators=[exact, chunks, broken, deferred, quick],
        inline_sync_evaluators=True,
        client=client,
        progress=False,
    )

    assert called_on == [threading.get_ident()] * 3  # the loop's thread, not the pool's
    for each in result.results:
        assert each.error is None
        assert each.scores == {"exact": True, "chunks": "ok", "deferred": 0.25, "quick": 0.5}
        assert list(each.scores) == ["exact", "chunks", "deferred", "quick"]
        assert each.evaluator_errors == {"broken": "ValueError: no score"}
    session = await tree_of(client, result.results[0].session_id)
    tools = sorted(str(e.event_name) for e in session.children if e.event_type == "tool")
    assert tools == ["broken", "chunks", "deferred", "exact", "quick"]
    assert all(meta(e)["evaluator"] is True for e in session.children if e.event_type == "tool")
    assert result.evaluator_failures == 3


async def test_without_the_option_sync_evaluators_run_in_the_pool(client: AsyncHoneyHive) -> None:
    called_on: list[int] = []

    def exact(outputs: Any, inputs: Any, ground_truth: Any) -> bool:
        called_on.append(threading.get_ident())
        return True

    result = await evaluate(
        answer, dataset=rows(2), evaluators=[exact], client=client, progress=False
    )

    assert [r.scores for r in result.results] == [{"exact": True}] * 2
    assert len(called_on) == 2
    assert threading.get_ident() not in called_on


async def test_cancelled_while_an_inline_evaluator_s_coroutine_waits(
    client: AsyncHoneyHive,
) -> None:
    waiting = asyncio.Event()

    def deferred(outputs: Any, inputs: Any, ground_truth: Any) -> Any:
        async def later() -> float:
            waiting.set()
            await asyncio.Event().wait()  # never set: only the cancel ends it
            return 1.0

        return later()

    task = asyncio.ensure_future(
        evaluate(
            answer,
            dataset=rows(1),
            evaluators=[deferred],
            inline_sync_evaluators=True,
            client=client,
            progress=False,
        )
    )
    await waiting.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    (run,) = (await client.runs.list()).evaluations
    assert run.status == "cancelled"
