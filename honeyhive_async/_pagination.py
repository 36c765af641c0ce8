"""Paged list routes as one async iterator that fetches the next page while this one is read.

`PageIterator` yields the items of page 1, 2, ... of any route that takes a 1-based page
number. While the caller consumes page N, page N+1 is already being fetched in a task; page N
is released before page N+2 is asked for, so at most two pages are held at any time. It stops
when a page says nothing follows (`more_after`, from the spec's pagination fields) or comes
back empty. Stopping early (``break``, `aclose`, leaving ``async with``) cancels the fetch in
flight; an error from a prefetch is raised when the caller reaches that page, not before.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Hashable, Iterator, Sequence
from types import TracebackType
from typing import Any, Generic, TypeVar

__all__ = ["SEND_TURNS", "PageIterator", "more_after", "send_off"]

P = TypeVar("P")
T = TypeVar("T")

SEND_TURNS = 8
"""Loop turns `send_off` gives a request fetched ahead to reach the socket."""


async def send_off(request: asyncio.Future[Any]) -> None:
    """Give the loop the turns a request just started in a task needs to reach the socket.

    A fetch ahead overlaps nothing if its request is still queued when the caller goes on
    to work that holds the loop (splitting or reading a page without awaiting): the server
    waits until that work is done. aiohttp writes the request's body from a task of its own
    that starts a turn after the request (2 turns in all with aiohttp 3.14 over a kept-alive
    connection; tests pin that the request arrives), so one `sleep(0)` is not enough. The
    margin covers other aiohttp versions; a turn with nothing else ready costs microseconds.
    """
    for _ in range(SEND_TURNS):
        if request.done():
            return
        await asyncio.sleep(0)


def more_after(
    page: int, limit: int, total: int | None = None, has_next: bool | None = None
) -> bool:
    """Return whether a page follows `page`, from the spec's `Pagination` fields.

    `has_next` is the server's word; `total` guards against a server that says "more"
    forever (a page past `total` can only be empty).
    """
    if has_next is False:
        return False
    if total is not None and page * limit >= total:
        return False
    return has_next is True or total is not None


def _unseen(found: Sequence[T], key: Callable[[T], Hashable], seen: set[Hashable]) -> Iterator[T]:
    # A function, not a method: the generator must not hold the iterator (see `_spawn`).
    for item in found:
        identity = key(item)
        if identity not in seen:
            seen.add(identity)
            yield item


class PageIterator(Generic[P, T]):
    """Every item of a paged route, one page fetched ahead.

    Args:
        fetch: Fetches one page by its 1-based number.
        items: The items of a fetched page.
        has_next: Whether a page follows the given one (its number is passed too).
        key: An item's identity: an item seen on an earlier page is not yielded again
            (one added while the pages are read shifts the later pages by one).
    """

    def __init__(
        self,
        fetch: Callable[[int], Awaitable[P]],
        items: Callable[[P], Sequence[T]],
        has_next: Callable[[P, int], bool],
        key: Callable[[T], Hashable] | None = None,
    ) -> None:
        self._fetch = fetch
        self._items = items
        self._has_next = has_next
        self._key = key
        self._seen: set[Hashable] = set()
        self._page_number = 0
        self._current: Iterator[T] = iter(())
        self._next: asyncio.Future[P] | None = None
        self._started = False
        self._done = False

    def __aiter__(self) -> PageIterator[P, T]:
        return self

    async def __anext__(self) -> T:
        for item in self._current:
            return item
        if self._done:
            raise StopAsyncIteration
        if not self._started:
            self._started = True
            self._next = self._spawn(1)
        while True:
            task = self._next
            if task is None:
                self._done = True
                raise StopAsyncIteration
            self._next = None
            try:
                page = await task
            except BaseException:
                self._done = True
                raise
            self._page_number += 1
            found = self._items(page)
            # Decide on the next page before dropping this one; the task starts only after
            # the page before this one is gone, which keeps at most two pages alive.
            if found and self._has_next(page, self._page_number):
                self._next = self._spawn(self._page_number + 1)
            key = self._key
            self._current = iter(found) if key is None else _unseen(found, key, self._seen)
            del page, found
            if self._next is not None:
                # On the wire before the caller reads this page (a cancellation here keeps
                # the page: `_current` holds it already).
                await send_off(self._next)
            for item in self._current:
                return item
            # An empty page ends the iteration (`_next` is None then).

    def _spawn(self, number: int) -> asyncio.Future[P]:
        # The task must not reference this iterator, or a bare ``break`` would leave the
        # iterator alive (held by its own task) and `__del__` could not cancel the task.
        return asyncio.ensure_future(self._fetch(number))

    async def aclose(self) -> None:
        """Stop: cancel the page being fetched ahead and wait until it has stopped."""
        self._done = True
        self._current = iter(())
        task, self._next = self._next, None
        if task is None:
            return
        task.cancel()
        # `wait` never raises the task's error (a failed fetch of a page nobody reads), and
        # a cancellation of the caller still propagates.
        await asyncio.wait([task])
        if not task.cancelled():
            task.exception()

    async def __aenter__(self) -> PageIterator[P, T]:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __del__(self) -> None:
        # ``break`` out of ``async for`` without `aclose`: the iterator is dropped right there,
        # so the fetch ahead is cancelled then rather than left to finish for nobody.
        task = self._next
        if task is not None:
            if task.done():
                if not task.cancelled():
                    task.exception()  # mark it retrieved: no "never retrieved" warning
            else:
                with contextlib.suppress(RuntimeError):  # its loop is already closed
                    task.cancel()
