"""Calling the user's function and evaluators: traced, sync ones in a thread pool, bounded in time.

Every call is wrapped once in `@trace` (the function as a ``chain``, each evaluator as a
``tool`` event with ``metadata.evaluator``), so it nests under whatever span is current: the
datapoint's session. A sync callable runs in the pool inside a copy of the caller's context, so
the session (and what the callable traces itself) stays its parent in the worker thread; a
coroutine function is awaited on the loop; a generator's chunks are collected (in the pool for a
sync one) and joined when they are all text.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..models import SpanType
from ..tracing import trace

if TYPE_CHECKING:
    from ..tracing import Tracer

__all__ = ["Call", "describe", "joined"]


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
    ) -> None:
        self.name = name
        self._pool = pool
        self._timeout = timeout
        self._is_async = inspect.iscoroutinefunction(target)
        self._is_async_stream = inspect.isasyncgenfunction(target)
        self._is_stream = inspect.isgeneratorfunction(target)
        self._traced: Callable[..., Any] = trace(
            event_type=event_type,
            event_name=name,
            metadata=metadata,
            tracer=tracer,
        )(target)

    async def __call__(self, *args: Any) -> Any:
        """Run the callable on `args`; raise `TimeoutError` past the timeout."""
        if self._timeout is None:
            return await self._run(*args)
        try:
            return await asyncio.wait_for(self._run(*args), self._timeout)
        except asyncio.TimeoutError:
            # asyncio.TimeoutError is not the builtin before 3.11: name the builtin either way.
            raise TimeoutError(f"{self.name} took longer than {self._timeout:g} s") from None

    async def _run(self, *args: Any) -> Any:
        if self._is_async:
            return await self._traced(*args)
        if self._is_async_stream:
            return await _collect_async(self._traced(*args))
        loop = asyncio.get_running_loop()
        context = contextvars.copy_context()  # the session stays current in the worker thread
        if self._is_stream:
            return await loop.run_in_executor(
                self._pool, context.run, lambda: _collect(self._traced(*args))
            )
        result = await loop.run_in_executor(self._pool, context.run, self._traced, *args)
        if inspect.isawaitable(result):  # a sync callable that hands back a coroutine
            return await result
        return result
