"""The thread pool sync functions and evaluators run in, its threads started off the event loop.

`ThreadPoolExecutor` starts a thread when a call finds none idle, inside `submit`, and
`Thread.start` waits for the new thread to run: on the event loop, every datapoint then waits
for it too (20-odd starts a run at concurrency 64, a few ms each on a busy machine). `warm`
starts them all from a thread of its own while the run is being created, and the datapoints
find them idle.
"""

from __future__ import annotations

import concurrent.futures
import inspect
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["in_pool", "warm"]


def in_pool(target: Callable[..., Any]) -> bool:
    """Whether `target` runs in the pool: a sync callable (a sync generator included)."""
    return not (inspect.iscoroutinefunction(target) or inspect.isasyncgenfunction(target))


def warm(pool: concurrent.futures.ThreadPoolExecutor, workers: int) -> threading.Event:
    """Start `workers` threads of `pool` from a thread of its own; the event is set once they are.

    Each thread is held busy until the last is started, so that every `submit` finds none idle
    and starts one; calls submitted meanwhile wait their turn in the pool's queue.
    """
    started = threading.Event()

    def hold() -> None:
        started.wait()

    def start_all() -> None:
        try:
            for _ in range(workers):
                pool.submit(hold)
        except RuntimeError:  # the pool was shut down meanwhile (the run failed to open)
            pass
        finally:
            started.set()

    threading.Thread(target=start_all, name="honeyhive-evaluate-warm", daemon=True).start()
    return started
