"""Calling the user's function and evaluators: traced, sync ones in a thread pool, bounded in time.

Every call is wrapped once in `@trace` (the function as a ``chain``, each evaluator as a
``tool`` event with ``metadata.evaluator``), so it nests under whatever span is current: the
datapoint's session. A sync callable runs in the pool inside a copy of the caller's context, so
the session (and what the callable traces itself) stays its parent in the worker thread; a
coroutine function is awaited on the loop; a generator's chunks are collected (in the pool for a
sync one) and joined when they are all text. A sync evaluator made `inline` is called on the
loop instead (`Call.call_inline`): no thread hand-off, for quick checks the user opted in.

`Call.start` hands back the call already under way (a sync one submitted to the pool) without a
task of its own, and `Call.finish` awaits it, bounded by a deadline shared by every call that
started together: the runner awaits a datapoint's evaluators one after the other in its own
task while they all run at once, instead of a task per evaluator.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import contextvars
import inspect
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from ..models import SpanType
from ..tracing import trace
from ._pool import in_pool

if TYPE_CHECKING:
    from ..tracing import Tracer

__all__ = ["Call", "describe", "joined", "within"]


def joined(chunks: list[Any]) -> Any:
    """A generator's output: its chunks as one string when they are all text, else the list."""
    if chunks and all(isinstance(chunk, str) for chunk in chunks):
        return "".join(chunks)
    return chunks


def describe(exc: BaseException) -> str:
    """``"TypeName: message"``, as traced errors are recorded."""
    try:
        message = str(exc)
    except Exception:  # an exception whose __str__ fails must not hide the failure
        message = "<unprintable message>"
    return f"{type(exc).__name__}: {message}"


def _collect(stream: Any) -> Any:
    return joined(list(stream))


async def _collect_async(stream: Any) -> Any:
    return joined([chunk async for chunk in stream])


if sys.version_info >= (3, 11):

    async def within(awaitable: Awaitable[Any], deadline: float) -> Any:
        """Await `awaitable`, cancelled at loop time `deadline` (then `asyncio.TimeoutError`)."""
        # In the caller's task: no task of its own, unlike wait_for before 3.12.
        async with asyncio.timeout_at(deadline):
            return await awaitable

else:  # pragma: no cover - Python 3.10

    async def within(awaitable: Awaitable[Any], deadline: float) -> Any:
        """Await `awaitable`, cancelled at loop time `deadline` (then `asyncio.TimeoutError`)."""
        remaining = deadline - asyncio.get_running_loop().time()
        return await asyncio.wait_for(awaitable, max(remaining, 0.0))


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.cancelled():  # timed out or cancelled: nobody waits for the result any more
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


class Call:
    """One user callable, traced, ready to be awaited with a datapoint's arguments.

    Args:
        target: The function or evaluator.
        tracer: The tracer whose session the calls run in.
        event_type: ``"chain"`` for the function, ``"tool"`` for an evaluator.
        name: The event name.
        metadata: Static metadata of every event.
        pool: Where sync callables run.
        timeout: Seconds one call may take (None: no bound). A sync call that overruns keeps
            its worker thread until it returns: Python cannot stop a thread.
        inline: Call a sync callable on the event loop (`call_inline`) rather than in the
            pool: no thread hand-off, but nothing else runs on the loop meanwhile and no
            timeout stops it.
    """

    def __init__(
        self,
        target: Callable[..., Any],
        *,
        tracer: Tracer,
        event_type: SpanType,
        name: str,
        metadata: dict[str, Any] | None,
        pool: concurrent.futures.Executor,
        timeout: float | None,
        inline: bool = False,
    ) -> None:
        self.name = name
        self.timeout = timeout
        """Seconds one call may take, or None."""
        self._pool = pool
        self._is_async = inspect.iscoroutinefunction(target)
        self._is_async_stream = inspect.isasyncgenfunction(target)
        self._is_stream = inspect.isgeneratorfunction(target)
        sync = in_pool(target)
        self.inline = inline and sync
        """Whether the call is a sync one made on the loop, by `call_inline`."""
        self.in_pool = sync and not self.inline
        """Whether the call runs in the pool (a sync callable): `start` has it running at once."""
        self._traced: Callable[..., Any] = trace(
            event_type=event_type,
            event_name=name,
            metadata=metadata,
            tracer=tracer,
        )(target)

    async def __call__(self, *args: Any) -> Any:
        """Run the callable on `args`; raise `TimeoutError` past the timeout."""
        if self.timeout is None:
            return await self.finish(self.start(*args), None)
        deadline = asyncio.get_running_loop().time() + self.timeout
        return await self.finish(self.start(*args), deadline)

    def call_inline(self, *args: Any) -> Any:
        """Make the sync call on `args` here, on the loop (an `inline` call)."""
        if self._is_stream:
            return _collect(self._traced(*args))
        return self._traced(*args)

    def start(self, *args: Any) -> Awaitable[Any]:
        """The call on `args`: running in the pool for a sync callable, else a coroutine."""
        if self._is_async:
            return self._traced(*args)  # type: ignore[no-any-return]
        if self._is_async_stream:
            return _collect_async(self._traced(*args))
        if self._is_stream:
            return self._submit(lambda: _collect(self._traced(*args)))
        return self._submit(self._traced, *args)

    async def finish(self, started: Awaitable[Any], deadline: float | None) -> Any:
        """Await what `start` gave, at most until loop time `deadline`; raise `TimeoutError` past it."""
        if deadline is None:
            result = await started
            if self.in_pool and inspect.isawaitable(result):  # a sync callable's coroutine
                result = await result
            return result
        try:
            result = await within(started, deadline)
            if self.in_pool and inspect.isawaitable(result):
                result = await within(result, deadline)
        except asyncio.TimeoutError:
            # asyncio.TimeoutError is not the builtin before 3.11: name the builtin either way.
            raise TimeoutError(f"{self.name} took longer than {self.timeout:g} s") from None
        return result

    def _submit(self, function: Callable[..., Any], *args: Any) -> asyncio.Future[Any]:
        # One future and one wake-up of the loop per call: cheaper than run_in_executor's
        # chained pair of futures.
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        context = contextvars.copy_context()  # the session stays current in the worker thread

        def work() -> None:
            result, error = None, None
            try:
                result = context.run(function, *args)
            except BaseException as exc:  # handed to the awaiting task, as run_in_executor does
                error = exc
            # A call that returns after the loop closed (it timed out) has nobody to tell.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_settle, future, result, error)

        self._pool.submit(work)
        return future
