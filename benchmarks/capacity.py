"""Case 10: capacity, 10-span sessions at 5,000 spans/s into a server failing 20% of requests.

An async app starts a session every 2 ms (`benchmarks._sessions`: async sessions with
``gather``, a sync function in a thread and generators; one in four a sync session in a worker
thread), for a fixed number of spans, then awaits ``tracer.flush()``. The tracer has its
DEFAULT settings. The server (`LocalServer` on an SQLite file, in its own process) fails a
seeded 20% of all requests, the five kinds equally likely: 500 and 503 with ``Retry-After: 0``,
429, dropped connections and partial batches. Reported: events dropped (the tracer's report),
what the server holds (its accept log), and the app loop's lag (the ticker of
`benchmarks.export`) from the first session to the end of the flush. Bars (issue 14, target 2):
0 dropped, lag p99 <= 5 ms.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from typing import Any

from honeyhive_async import AsyncHoneyHive
from honeyhive_async.server import LOCAL_API_KEY
from honeyhive_async.tracing import Tracer

from ._out import args, emit, log, num, table
from ._sessions import (
    EVENTS_PER_SESSION,
    SPANS_PER_SESSION,
    Workload,
    faulty_server,
    lag_stats,
    paced,
    server_state,
    ticker,
)
from ._timer import perf

SPANS_PER_S = 5_000
FAULT_RATE = 0.2
FLUSH_TIMEOUT = 600.0


async def untraced_once(sessions: int) -> dict[str, Any]:
    """The same sessions without a tracer: the workload's own loop lag on this machine."""
    lags: list[float] = []
    stop = asyncio.Event()
    tick = asyncio.create_task(ticker(lags, stop))
    await asyncio.sleep(0.01)
    produced_s = await paced(Workload(None), sessions, SPANS_PER_S)
    stop.set()
    await tick
    return {"spans_s": sessions * SPANS_PER_SESSION / produced_s, **lag_stats(lags)}


async def run_once(url: str, sessions: int) -> dict[str, Any]:
    lags: list[float] = []
    stop = asyncio.Event()
    tracer = Tracer(
        AsyncHoneyHive(api_key=LOCAL_API_KEY, base_url=url),
        flush_at_exit=False,
        set_default=False,
    )
    workload = Workload(tracer)
    tick = asyncio.create_task(ticker(lags, stop))
    await asyncio.sleep(0.01)
    t0 = perf()
    produced_s = await paced(workload, sessions, SPANS_PER_S)
    report = await tracer.flush(timeout=FLUSH_TIMEOUT)
    elapsed = perf() - t0
    stop.set()
    await tick
    await tracer.aclose()
    state = await server_state(url, LOCAL_API_KEY)
    produced = sessions * EVENTS_PER_SESSION
    return {
        "produced": produced,
        "sent": report.sent,
        "dropped": sum(report.dropped.values()),
        "dropped_by": dict(report.dropped),
        "pending": report.pending,
        "failed_updates": report.failed_updates,
        "stored": state["accepted"]["distinct"],
        "stored_twice": state["accepted"]["stored_twice"],
        "faults": state["faults"]["applied"],
        "faulted_of": state["faults"]["seen"],
        "spans_s": sessions * SPANS_PER_SESSION / produced_s,
        "elapsed": elapsed,
        **lag_stats(lags),
    }


def main(argv: list[str] | None = None) -> None:
    opts = args(argv, spans=None, seed=14)
    started = time.monotonic()
    spans = int(opts.spans) if opts.spans else (2_000 if opts.quick else 100_000)
    sessions = spans // SPANS_PER_SESSION
    rounds = 1 if opts.quick else 3
    runs, bare = [], []
    with tempfile.TemporaryDirectory(prefix="hh-capacity-") as tmp:
        for n in range(rounds):
            bare.append(asyncio.run(untraced_once(sessions)))
            log(f"capacity round {n + 1}, no tracer: lag p99 {bare[-1]['lag_p99_ms']:.2f} ms")
            db = os.path.join(tmp, f"round{n}.db")
            with faulty_server(db, FAULT_RATE, int(opts.seed) + n) as url:
                result = asyncio.run(run_once(url, sessions))
            runs.append(result)
            log(
                f"capacity round {n + 1}: dropped {result['dropped']:,} of {result['produced']:,} "
                f"{result['dropped_by']}, stored {result['stored']:,}, "
                f"lag p99 {result['lag_p99_ms']:.2f} ms, {result['elapsed']:.1f}s"
            )

    def med(key: str) -> float:
        return statistics.median(float(r[key]) for r in runs)

    rows = [
        [
            n + 1,
            f"{r['produced']:,}",
            num(r["spans_s"], 0),
            f"{r['sent']:,}",
            f"{r['dropped']:,} {r['dropped_by'] or ''}".strip(),
            f"{r['stored']:,}",
            r["stored_twice"],
            r["failed_updates"],
            f"{sum(r['faults'].values()):,} of {r['faulted_of']:,} {r['faults']}",
            num(r["lag_p50_ms"], 3),
            num(r["lag_p99_ms"], 2),
            num(r["lag_max_ms"], 1),
            num(r["elapsed"], 1),
        ]
        for n, r in enumerate(runs)
    ]
    rows += [
        [
            f"{n + 1}, no tracer",
            "-",
            num(r["spans_s"], 0),
            *["-"] * 6,
            num(r["lag_p50_ms"], 3),
            num(r["lag_p99_ms"], 2),
            num(r["lag_max_ms"], 1),
            "-",
        ]
        for n, r in enumerate(bare)
    ]
    t = table(
        f"Capacity: {sessions:,} sessions x {SPANS_PER_SESSION} spans at {SPANS_PER_S:,} spans/s, "
        f"{FAULT_RATE:.0%} of requests failing, default Tracer settings; {rounds} round(s)",
        [
            "round",
            "events made",
            "spans/s made",
            "sent",
            "dropped (by reason)",
            "server holds",
            "stored twice",
            "failed session updates",
            "faults injected (of requests)",
            "loop lag p50 ms",
            "loop lag p99 ms",
            "lag max ms",
            "s to flushed",
        ],
        rows,
        "Events = sessions + spans. Faults: a seeded share of all requests, kind chosen at random "
        "(500/503 with Retry-After 0, 429 without, connection dropped unanswered, a batch partly "
        "stored then a 500 'partially created'). Server holds = distinct event ids the server's "
        "accept log saw stored. Lag = how late `asyncio.sleep(0.001)` woke up in the app's loop "
        "from the first session to the end of the flush ('no tracer': the same functions undecorated, "
        "the workload's own lag). Bars use the median round.",
    )
    metrics = {
        "capacity.dropped": med("dropped"),
        "capacity.lost": med("produced") - med("stored"),
        "capacity.lag_p99_ms": med("lag_p99_ms"),
        "capacity.lag_max_ms": med("lag_max_ms"),
        "capacity.spans_s": med("spans_s"),
        "capacity.untraced_lag_p99_ms": statistics.median(r["lag_p99_ms"] for r in bare),
    }
    log(f"capacity done in {time.monotonic() - started:.0f}s")
    emit([t], metrics)


if __name__ == "__main__":
    main()
