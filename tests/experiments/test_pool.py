"""The evaluate pool's threads are started by a thread of their own, not on the event loop."""

from __future__ import annotations

import concurrent.futures
import threading
from typing import Any

import pytest

from honeyhive_async import AsyncHoneyHive, evaluate
from honeyhive_async.experiments import _pool
from honeyhive_async.experiments._pool import in_pool, warm


def test_warm_starts_every_worker_from_its_own_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    starters: list[tuple[str, str]] = []
    start = threading.Thread.start

    def recorded(thread: threading.Thread) -> None:
        starters.append((thread.name, threading.current_thread().name))
        start(thread)

    monkeypatch.setattr(threading.Thread, "start", recorded)
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=8, thread_name_prefix="w")
    try:
        started = warm(pool, 3)
        assert started.wait(timeout=30)
        assert len(pool._threads) == 3  # all started once the event is set
        workers = [(name, by) for name, by in starters if name.startswith("w_")]
        assert len(workers) == 3
        assert {by for _, by in workers} == {"honeyhive-evaluate-warm"}
    finally:
        pool.shutdown(wait=True)


def test_warm_on_a_pool_already_shut_down_starts_nothing() -> None:
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=2)
    pool.shutdown()
    assert warm(pool, 2).wait(timeout=30)
    assert not pool._threads


def test_only_sync_callables_run_in_the_pool() -> None:
    async def coroutine() -> None:
        pass

    async def async_stream() -> Any:
        yield 1

    def stream() -> Any:
        yield 1

    assert in_pool(lambda: None)
    assert in_pool(stream)
    assert not in_pool(coroutine)
    assert not in_pool(async_stream)


async def test_evaluate_warms_the_pool_only_for_sync_callables(
    client: AsyncHoneyHive, monkeypatch: pytest.MonkeyPatch
) -> None:
    warmed: list[int] = []

    def counted(pool: concurrent.futures.ThreadPoolExecutor, workers: int) -> threading.Event:
        warmed.append(workers)
        return warm(pool, workers)

    monkeypatch.setattr("honeyhive_async.experiments._evaluate.warm", counted)
    rows = [{"inputs": {"x": i}} for i in range(3)]

    async def async_answer(inputs: dict[str, Any]) -> int:
        return int(inputs["x"])

    def sync_check(outputs: Any, inputs: Any, ground_truth: Any) -> bool:
        return bool(outputs == inputs["x"])

    await evaluate(async_answer, dataset=rows, concurrency=8, client=client, progress=False)
    assert warmed == []
    result = await evaluate(
        async_answer,
        dataset=rows,
        evaluators=[sync_check],
        concurrency=8,
        client=client,
        progress=False,
    )
    assert warmed == [3]  # no more threads than datapoints
    assert [r.scores for r in result.results] == [{"sync_check": True}] * 3
    assert _pool.__all__ == ["in_pool", "warm"]
