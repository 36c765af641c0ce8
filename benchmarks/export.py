"""Case 5: export throughput, and the application's event-loop lag while the exporter works.

An async app makes N traced calls (``@trace`` on ``async def handle(i)`` returning a small
dict), yielding to its loop every 100 calls as an app awaiting I/O would, then awaits
``tracer.flush()``. A ticker task in the same loop records how late ``asyncio.sleep(0.001)``
wakes up. Delivered events/s = ``ExportReport.sent`` / (first call to flush done). Targets, each
in its own process: the null sink (answers at once) and `LocalServer` (SQLite in memory). The
queue is sized to N so nothing is dropped (drops are reported). A row with no tracer shows
the loop's own lag.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

from honeyhive_async import AsyncHoneyHive
from honeyhive_async.server import LOCAL_API_KEY
from honeyhive_async.tracing import Tracer, trace

from ._out import args, emit, log, num, table
from ._timer import perf
from .servers import serve


async def _ticker(lags: list[float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        t0 = perf()
        await asyncio.sleep(0.001)
        lags.append(perf() - t0 - 0.001)


async def run_once(url: str | None, key: str, n: int) -> dict[str, Any]:
    lags: list[float] = []
    stop = asyncio.Event()
    tracer = None
    if url is not None:
        tracer = Tracer(
            AsyncHoneyHive(api_key=key, base_url=url),
            max_queue_size=n + 10,
            flush_at_exit=False,
            set_default=False,
        )

    async def handle(i: int) -> dict[str, Any]:
        return {"answer": i, "status": "ok"}

    traced = trace(tracer=tracer)(handle) if tracer is not None else handle
    ticker = asyncio.create_task(_ticker(lags, stop))
    await asyncio.sleep(0.01)
    t0 = perf()
    for i in range(n):
        await traced(i)
        if i % 100 == 99:
            await asyncio.sleep(0)
    produced = perf() - t0
    report = await tracer.flush(timeout=60) if tracer is not None else None
    elapsed = perf() - t0
    stop.set()
    await ticker
    if tracer is not None:
        await tracer.aclose()
    lags.sort()
    return {
        "sent": report.sent if report else 0,
        "dropped": sum(report.dropped.values()) if report else 0,
        "events_s": (report.sent if report else n) / elapsed,
        "produce_s": produced,
        "elapsed": elapsed,
        "p50": lags[len(lags) // 2],
        "p99": lags[min(len(lags) - 1, int(len(lags) * 0.99))],
        "max": lags[-1],
        "ticks": len(lags),
    }


def main(argv: list[str] | None = None) -> None:
    opts = args(argv)
    started = time.monotonic()
    n = 2_000 if opts.quick else 100_000
    rounds = 1 if opts.quick else 3
    runs: dict[str, list[dict[str, Any]]] = {}
    with serve("sink") as (sink, _), serve("local") as (local, _):
        targets = {
            "no tracer (the loop's own lag)": (None, "k"),
            "null sink": (sink, "k"),
            "LocalServer (SQLite)": (local, LOCAL_API_KEY),
        }
        for _ in range(rounds):
            for name, (url, key) in targets.items():
                result = asyncio.run(run_once(url, key, n))
                runs.setdefault(name, []).append(result)
                log(
                    f"export {name}: {result['events_s']:,.0f} ev/s p99 {result['p99'] * 1e3:.2f} ms"
                )
    rows, metrics = [], {}
    for name, rs in runs.items():
        rate = [r["events_s"] for r in rs]

        def med(key: str, rs: list[dict[str, Any]] = rs) -> float:
            return statistics.median(r[key] for r in rs)

        rows.append(
            [
                name,
                f"{int(med('sent')):,} / {n:,}" if "tracer" not in name else "-",
                f"{int(med('dropped'))}" if "tracer" not in name else "-",
                num(statistics.median(rate), 0),
                f"{num(min(rate), 0)}-{num(max(rate), 0)}",
                num(med("produce_s") * 1e3, 0),
                num(med("p50") * 1e3, 3),
                num(med("p99") * 1e3, 2),
                num(med("max") * 1e3, 1),
            ]
        )
        key = {"null sink": "sink", "LocalServer (SQLite)": "local"}.get(name, "none")
        metrics[f"export.{key}.events_s"] = statistics.median(rate)
        metrics[f"export.{key}.lag_p99_ms"] = med("p99") * 1e3
        metrics[f"export.{key}.lag_p50_ms"] = med("p50") * 1e3
        metrics[f"export.{key}.dropped"] = med("dropped")
    t = table(
        f"Export: {n:,} traced async calls shipped, then `await tracer.flush()`; medians of {rounds} runs",
        [
            "target",
            "sent",
            "dropped",
            "delivered events/s",
            "min-max events/s",
            "calls took ms",
            "loop lag p50 ms",
            "loop lag p99 ms",
            "lag max ms",
        ],
        rows,
        "events/s counts from the first call to the end of the flush. Lag = how late `asyncio.sleep(0.001)` "
        "woke up in the app's loop, over the same period. Servers run in their own processes on the same 2 cores.",
    )
    log(f"export done in {time.monotonic() - started:.0f}s")
    emit([t], metrics)


if __name__ == "__main__":
    main()
