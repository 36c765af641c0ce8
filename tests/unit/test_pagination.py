"""`PageIterator`: one page fetched ahead, the exact end, early stops, errors, two pages at most."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Sequence

import msgspec
import pytest

from honeyhive_async import AsyncHoneyHive
from honeyhive_async._pagination import PageIterator, more_after
from tests.page_server import PageServer


class Items(list[int]):
    """A page's items; unlike a plain list it can be watched with a weakref."""


class FakePage:
    """A page as a route returns it: items plus the spec's pagination fields."""

    def __init__(self, items: Items, page: int, limit: int, total: int) -> None:
        self.items = items
        self.page = page
        self.limit = limit
        self.total = total
        self.has_next = page * limit < total


class FakeApi:
    """Serves `sizes[n-1]` items as page n and counts the pages whose items are still alive."""

    def __init__(self, sizes: Sequence[int], totals: Sequence[int], limit: int = 2) -> None:
        self.sizes = sizes
        self.totals = totals
        self.limit = limit
        self.calls: list[int] = []
        self.alive = 0
        self.most_alive = 0
        self.fail_on: int | None = None
        self.block_on: int | None = None
        self.called = {n: asyncio.Event() for n in range(1, len(sizes) + 2)}
        self.next_value = 0

    def _released(self) -> None:
        self.alive -= 1

    async def fetch(self, number: int) -> FakePage:
        self.calls.append(number)
        self.called[number].set()
        if number == self.block_on:
            await asyncio.Event().wait()  # never set: only a cancellation ends it
        if number == self.fail_on:
            raise ConnectionError(f"page {number} failed")
        size = self.sizes[number - 1] if number <= len(self.sizes) else 0
        items = Items(range(self.next_value, self.next_value + size))
        self.next_value += size
        total = self.totals[min(number, len(self.totals)) - 1]
        page = FakePage(items, number, self.limit, total)
        self.alive += 1
        weakref.finalize(items, self._released)
        self.most_alive = max(self.most_alive, self.alive)
        return page

    def iterate(self) -> PageIterator[FakePage, int]:
        return PageIterator(
            self.fetch,
            lambda page: page.items,
            lambda page, number: more_after(number, page.limit, page.total, page.has_next),
        )


async def _collect(iterator: PageIterator[FakePage, int]) -> list[int]:
    return [item async for item in iterator]


@pytest.mark.parametrize(
    ("page", "limit", "total", "has_next", "expected"),
    [
        (1, 20, 0, False, False),
        (1, 20, 20, False, False),
        (1, 20, 21, True, True),
        (2, 20, 40, True, False),  # the server says more, but `total` says page 3 is empty
        (1, 20, 100, False, False),  # the server's has_next wins when it says no
        (1, 20, 21, None, True),
        (1, 20, None, True, True),
        (1, 20, None, None, False),
    ],
)
def test_more_after(
    page: int, limit: int, total: int | None, has_next: bool | None, expected: bool
) -> None:
    assert more_after(page, limit, total, has_next) is expected


async def test_an_empty_list_is_one_fetch_and_no_items() -> None:
    api = FakeApi(sizes=[0], totals=[0])
    assert await _collect(api.iterate()) == []
    assert api.calls == [1]


async def test_exactly_one_full_page_fetches_no_second() -> None:
    api = FakeApi(sizes=[2], totals=[2])
    assert await _collect(api.iterate()) == [0, 1]
    assert api.calls == [1]


async def test_a_partial_last_page_ends_the_iteration() -> None:
    api = FakeApi(sizes=[2, 2, 1], totals=[5])
    assert await _collect(api.iterate()) == [0, 1, 2, 3, 4]
    assert api.calls == [1, 2, 3]


async def test_an_empty_page_ends_the_iteration_even_when_more_is_announced() -> None:
    api = FakeApi(sizes=[2, 0, 2], totals=[10])
    assert await _collect(api.iterate()) == [0, 1]
    assert api.calls == [1, 2]


async def test_a_total_that_grows_mid_iteration_is_followed() -> None:
    api = FakeApi(sizes=[2, 2, 2, 1], totals=[5, 7])
    assert await _collect(api.iterate()) == list(range(7))
    assert api.calls == [1, 2, 3, 4]


async def test_a_total_that_shrinks_mid_iteration_stops_early() -> None:
    api = FakeApi(sizes=[2, 1, 2], totals=[6, 3])
    assert await _collect(api.iterate()) == [0, 1, 2]
    assert api.calls == [1, 2]


@pytest.mark.parametrize(
    ("pages", "totals"),
    [
        # Newest first, two a page: item 5 arrives after page 1, so 3 comes again on page 2.
        ([[4, 3], [3, 2], [1]], [4, 5, 5]),
        # Two arrive: page 2 holds only items already seen, and page 3 still follows.
        ([[4, 3], [4, 3], [2, 1]], [4, 6, 6]),
    ],
    ids=["one-shift", "a-page-of-repeats"],
)
async def test_with_a_key_an_item_shifted_onto_a_later_page_is_yielded_once(
    pages: list[list[int]], totals: list[int]
) -> None:
    async def fetch(number: int) -> FakePage:
        return FakePage(Items(pages[number - 1]), number, 2, totals[number - 1])

    iterator = PageIterator(
        fetch,
        lambda page: page.items,
        lambda page, number: more_after(number, page.limit, page.total, page.has_next),
        key=lambda item: item,
    )
    assert await _collect(iterator) == [4, 3, 2, 1]


async def test_the_next_page_is_fetched_while_the_caller_reads_this_one() -> None:
    api = FakeApi(sizes=[2, 2, 1], totals=[5])
    seen = []
    async for item in api.iterate():
        if item == 0:
            # Page 2's fetch starts without the caller asking for item 2.
            await api.called[2].wait()
        seen.append(item)
    assert seen == [0, 1, 2, 3, 4]


async def test_never_more_than_two_pages_are_alive() -> None:
    api = FakeApi(sizes=[2] * 10, totals=[20])
    items = []
    async for item in api.iterate():
        items.append(item)
        await api.called[min(item // 2 + 2, 10)].wait()  # let the fetch ahead run
    assert items == list(range(20))
    assert api.calls == list(range(1, 11))
    assert api.most_alive == 2


async def test_an_error_fetching_page_two_is_raised_when_the_caller_reaches_it() -> None:
    api = FakeApi(sizes=[2, 2], totals=[4])
    api.fail_on = 2
    seen = []
    iterator = api.iterate()

    async def consume() -> None:
        async for item in iterator:
            await api.called[2].wait()  # page 2 has already failed: nothing raised yet
            seen.append(item)

    with pytest.raises(ConnectionError, match="page 2 failed"):
        await consume()
    assert seen == [0, 1]
    assert [item async for item in iterator] == []  # finished after the error


async def test_aclose_cancels_the_fetch_ahead_and_leaves_no_task() -> None:
    api = FakeApi(sizes=[2, 2], totals=[4])
    api.block_on = 2
    before = asyncio.all_tasks()
    async with api.iterate() as iterator:
        async for item in iterator:
            await api.called[2].wait()
            assert item == 0
            break
    assert asyncio.all_tasks() - before == set()
    assert [item async for item in iterator] == []


async def test_a_bare_break_cancels_the_fetch_ahead() -> None:
    api = FakeApi(sizes=[2, 2], totals=[4])
    api.block_on = 2
    before = asyncio.all_tasks()
    async for _ in api.iterate():
        await api.called[2].wait()
        break
    # The iterator is gone with the loop: its fetch ahead was cancelled, not left running.
    leftover = asyncio.all_tasks() - before
    assert leftover
    await asyncio.wait(leftover)
    assert all(task.cancelled() for task in leftover)


async def test_aclose_after_a_failed_fetch_ahead_is_quiet() -> None:
    api = FakeApi(sizes=[2, 2], totals=[4])
    api.fail_on = 2
    iterator = api.iterate()
    assert await iterator.__anext__() == 0
    await api.called[2].wait()
    await iterator.aclose()
    assert [item async for item in iterator] == []


async def test_the_page_fetched_ahead_is_asked_for_before_this_page_is_read() -> None:
    # A caller that reads a page without awaiting holds the loop: the request for the next
    # page must already be on the wire by then, or the fetch ahead overlaps nothing.
    pages = [
        msgspec.json.encode({"count": 4, "events": [{"event_id": f"{n}a"}, {"event_id": f"{n}b"}]})
        for n in (1, 2)
    ]
    seen: list[str] = []
    next_request_there: list[bool] = []
    with PageServer(pages) as server:
        async with (
            AsyncHoneyHive("k", base_url=server.url) as client,
            client.events.iter(page_size=2) as events,
        ):
            async for event in events:
                if not seen:
                    # Blocks the loop: a request still queued behind it cannot arrive.
                    next_request_there.append(server.arrived[2].wait(10))
                seen.append(event.event_id)
    assert next_request_there == [True]
    assert seen == ["1a", "1b", "2a", "2b"]
