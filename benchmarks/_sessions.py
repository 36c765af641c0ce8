"""What the capacity case and the soak trace: 10-span sessions, as a web service would make them.

Three sessions in four are async: a root span that gathers three async calls, runs a sync
function (with two sync children) in a thread, drains an async and a sync generator, and makes
one more async call. The fourth is a sync session run whole in a worker thread. Each session is
11 events: the session and its 10 spans.

Also here: the loop-lag ticker of `benchmarks.export`, the paced driver (a session every
10 / rate seconds) and the server process with random faults and the accept log on.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, TypeVar, cast

import aiohttp

from honeyhive_async.tracing import Tracer, trace

from ._timer import perf
from .servers import child_process

__all__ = [
    "EVENTS_PER_SESSION",
    "SPANS_PER_SESSION",
    "Workload",
    "faulty_server",
    "lag_stats",
    "paced",
    "server_state",
    "ticker",
]

F = TypeVar("F", bound=Callable[..., Any])

SPANS_PER_SESSION = 10
EVENTS_PER_SESSION = SPANS_PER_SESSION + 1


class _Untraced:
    """Stands in for a session when there is no tracer (the loop's own lag)."""

    def __enter__(self) -> _Untraced:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    async def __aenter__(self) -> _Untraced:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    def update(self, **_: Any) -> None:
        return None


class Workload:
    """The traced functions, bound to one tracer; `run(i)` makes session number `i`.

    Without a tracer the same functions run undecorated: the workload's own cost and lag.
    """

    def __init__(self, tracer: Tracer | None) -> None:
        self.tracer = tracer

        def traced(func: F) -> F:
            return func if tracer is None else cast(F, trace(tracer=tracer)(func))

        @traced
        async def leaf(i: int) -> dict[str, Any]:
            return {"answer": i, "status": "ok"}

        @traced
        def sync_leaf(i: int) -> int:
            return i * 2

        @traced
        def sync_work(i: int) -> list[int]:
            return [sync_leaf(i), sync_leaf(i + 1)]

        @traced
        async def chunks(n: int) -> AsyncIterator[str]:
            for k in range(n):
                yield f"tok{k}"

        @traced
        def sync_chunks(n: int) -> Iterator[int]:
            yield from range(n)

        @traced
        async def handle(i: int) -> dict[str, Any]:
            gathered = await asyncio.gather(leaf(i), leaf(i + 1), leaf(i + 2))
            worked = await asyncio.to_thread(sync_work, i)
            text = "".join([chunk async for chunk in chunks(3)])
            counted = sum(sync_chunks(3))
            last = await leaf(i + 3)
            return {"n": len(gathered) + len(worked) + counted, "text": text, "last": last}

        @traced
        def sync_handle(i: int) -> int:
            total = sum(sync_work(i)) + sum(sync_chunks(3))
            return total + sum(sync_leaf(i + k) for k in range(5))

        self._handle = handle
        self._sync_handle = sync_handle

    def _session(self, name: str, i: int) -> Any:
        if self.tracer is None:
            return _Untraced()
        return self.tracer.session(name, inputs={"i": i})

    def _sync_session(self, i: int) -> None:
        with self._session("soak-sync", i) as session:
            session.update(outputs={"total": self._sync_handle(i)})

    async def run(self, i: int) -> None:
        """Make session `i`: sync in a worker thread when ``i % 4 == 3``, else async."""
        if i % 4 == 3:
            await asyncio.to_thread(self._sync_session, i)
            return
        async with self._session("soak-async", i) as session:
            session.update(outputs=await self._handle(i))


async def ticker(lags: list[float], stop: asyncio.Event) -> None:
    """Record how late ``asyncio.sleep(0.001)`` wakes up, until `stop` is set."""
    while not stop.is_set():
        t0 = perf()
        await asyncio.sleep(0.001)
        lags.append(perf() - t0 - 0.001)


def lag_stats(lags: list[float]) -> dict[str, float]:
    """p50, p99 and max of the ticker's lags, in ms."""
    ordered = sorted(lags) or [0.0]
    return {
        "lag_p50_ms": ordered[len(ordered) // 2] * 1e3,
        "lag_p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1e3,
        "lag_max_ms": ordered[-1] * 1e3,
    }


async def paced(workload: Workload, sessions: int, spans_per_s: float) -> float:
    """Start `sessions` sessions, one every ``10 / spans_per_s`` s; return the seconds it took.

    A session starts on its schedule whether or not the earlier ones are done, as requests
    reach a service; when the loop falls behind, the late ones start at once.
    """
    interval = SPANS_PER_SESSION / spans_per_s
    running: set[asyncio.Task[None]] = set()
    t0 = perf()
    for i in range(sessions):
        ahead = t0 + i * interval - perf()
        if ahead > 0:
            await asyncio.sleep(ahead)
        task = asyncio.create_task(workload.run(i))
        running.add(task)
        task.add_done_callback(running.discard)
    await asyncio.gather(*running)
    return perf() - t0


@contextlib.contextmanager
def faulty_server(db: str, rate: float, seed: int) -> Iterator[str]:
    """Run a `LocalServer` on SQLite `db` in its own process, random faults and accept log on.

    Yields its base URL; the server stops (its database closed) when the block exits.
    """
    args = ["benchmarks._sessions", db, str(rate), str(seed)]
    with child_process(args, "the faulty server", stop_wait=60) as (url, _pid):
        yield url


async def server_state(url: str, key: str) -> dict[str, Any]:
    """The server's random-fault counts and accept log (``GET /_faults/random``, ``/accepted``)."""
    headers = {"Authorization": f"Bearer {key}"}
    async with aiohttp.ClientSession(base_url=url, headers=headers) as http:
        async with http.get("/_faults/random") as resp:
            faults = await resp.json()
        async with http.get("/_faults/accepted") as resp:
            accepted = await resp.json()
    return {"faults": faults, "accepted": accepted}


async def _serve(db: str, rate: float, seed: int) -> None:
    from honeyhive_async.server import LocalServer

    server = await LocalServer(db=db).start()
    server.faults.randomize(rate, seed=seed)
    server.faults.log_accepted()
    print(server.url, flush=True)
    # Serve until the parent closes our stdin; then close, so the database is complete.
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await server.close()


if __name__ == "__main__":
    asyncio.run(_serve(sys.argv[1], float(sys.argv[2]), int(sys.argv[3])))
