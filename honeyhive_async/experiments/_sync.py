"""`evaluate_sync`: `evaluate` for scripts and notebooks, also when a loop is already running.

With no loop running in the calling thread, it is ``asyncio.run(evaluate(...))``. Inside a
running loop (Jupyter, an async framework calling sync code) the loop cannot be re-entered, so
the evaluation runs on a thread of its own with a loop of its own; the caller's client is
copied onto a pool of its own there (aiohttp connections belong to the loop that made them).
Ctrl-C while waiting cancels the evaluation, which closes the run as ``cancelled``.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ._evaluate import evaluate

if TYPE_CHECKING:
    from ._result import EvaluationResult

__all__ = ["evaluate_sync"]


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class _Worker(threading.Thread):
    """A thread that runs one evaluation on its own event loop."""

    def __init__(self, function: Callable[..., Any], options: dict[str, Any]) -> None:
        super().__init__(name="honeyhive-evaluate-sync", daemon=True)
        self._function = function
        self._options = options
        self._loop = asyncio.new_event_loop()
        self._task: asyncio.Task[EvaluationResult] | None = None
        self._started = threading.Event()
        self.result: EvaluationResult | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._task = self._loop.create_task(self._evaluate())
            self._started.set()
            self.result = self._loop.run_until_complete(self._task)
        except BaseException as exc:  # handed to the caller's thread
            self.error = exc
        finally:
            self._started.set()
            self._loop.run_until_complete(self._loop.shutdown_asyncgens())
            self._loop.close()

    async def _evaluate(self) -> EvaluationResult:
        client = self._options.get("client")
        if client is None:
            return await evaluate(self._function, **self._options)
        async with client._copy_with_own_pool() as copy:
            return await evaluate(self._function, **{**self._options, "client": copy})

    def cancel(self) -> None:
        """Cancel the evaluation from another thread (it then closes the run as cancelled)."""
        self._started.wait()
        task = self._task
        if task is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(task.cancel)


def evaluate_sync(function: Callable[..., Any], **options: Any) -> EvaluationResult:
    """Blocking `evaluate` (same arguments), for scripts and notebooks.

    Works inside a running event loop too (e.g. a Jupyter cell): the evaluation then runs on a
    thread with its own loop, and a `client` passed in is copied onto a connection pool of its
    own for it. A `tracer` passed in is used as it is (its exporter has its own thread).
    """
    if not _loop_running():
        return asyncio.run(evaluate(function, **options))
    worker = _Worker(function, options)
    worker.start()
    try:
        worker.join()
    except BaseException:  # Ctrl-C: stop the evaluation, let it close the run, then go on
        worker.cancel()
        worker.join()
        raise
    if worker.error is not None:
        raise worker.error
    assert worker.result is not None
    return worker.result
