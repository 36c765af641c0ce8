"""Running a chunk's requests concurrently, a few at a time (`gather_limited`)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from ._handoff import checkpoint

__all__ = ["SESSION_CONCURRENCY", "gather_limited"]

SESSION_CONCURRENCY = 32
"""Session starts (and updates) in flight at once. An experiment opens and closes a session per
datapoint: at 8, 500 datapoints left ~0.4 s of starts and updates queued after the last one
finished; at 32, ~0.1 s (benchmarks/evaluate.py, c=64)."""


async def gather_limited(jobs: list[Callable[[], Coroutine[Any, Any, None]]]) -> None:
    """Run `jobs` concurrently, a few at a time.

    Each job's coroutine is made when its turn comes: a round cancelled first (a close that
    cuts the sends short) leaves no coroutine never awaited behind (a RuntimeWarning each).
    """
    turns = iter(jobs)

    async def worker() -> None:
        for job in turns:
            # The workers' first steps run in one round of the loop (no select between them):
            # 32 session requests made back to back held the GIL for milliseconds.
            checkpoint()
            await job()

    workers = min(SESSION_CONCURRENCY, len(jobs))
    if workers <= 1:
        await worker()
        return
    # A few workers taking turns, not a task per job behind a semaphore: a semaphore's
    # `acquire` walks its waiters each time (quadratic in a chunk's sessions).
    tasks = [asyncio.ensure_future(worker()) for _ in range(workers)]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        # A job that failed on a bug ends the round: the others must not go on sending
        # after `Sender.send` has counted what was left as dropped.
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
