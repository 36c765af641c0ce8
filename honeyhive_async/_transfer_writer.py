"""The export's writer: pages appended to the file on a thread, in order, beside the next download.

Writing a page is mostly the kernel copying ~4 MB into the page cache, which `os.writev` does
without the GIL: on a thread of its own it overlaps the loop's thread receiving and splitting
the next page. The loop hands a page over only once the one before it is written, so at most
one page is in the writer's hands and memory stays flat.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable

__all__ = ["PageWriter"]


class PageWriter:
    """Runs one page's write at a time on a thread of its own; `close()` waits for the last."""

    def __init__(self) -> None:
        # Created on the first page: an export of nothing starts no thread.
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        self._writing: concurrent.futures.Future[None] | None = None

    async def write(self, write: Callable[[], None]) -> None:
        """Start `write` once the page before it is written; raise that page's error, if any."""
        await self.drain()
        if self._pool is None:
            self._pool = concurrent.futures.ThreadPoolExecutor(
                1, thread_name_prefix="honeyhive-export-writer"
            )
        self._writing = self._pool.submit(write)

    async def drain(self) -> None:
        """Wait until every page handed over is written; raise a failed write's error."""
        writing, self._writing = self._writing, None
        if writing is not None:
            await asyncio.wrap_future(writing)

    def close(self) -> None:
        """Wait for a write still running (the file closes next), then stop the thread.

        Raises nothing: on the normal path `drain()` has already reported every error, and on
        an error or a cancellation the exception on its way out is the one that matters.
        """
        writing, self._writing = self._writing, None
        if writing is not None:
            concurrent.futures.wait([writing])
        if self._pool is not None:
            self._pool.shutdown(wait=True)
